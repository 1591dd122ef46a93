package query

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/auditlake/auditlake/bench"
	"github.com/auditlake/auditlake/ingest"
	"github.com/auditlake/auditlake/lake"
)

var rewrite = flag.Bool("rewrite", false, "rewrite the expected results in testdata/dialect")

// The corpus dataset: generated once per test process, deterministic.
var corpusGen = bench.GenerateOptions{
	Events: 3000, Days: 7, End: time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC), Seed: 42, Workers: 1,
}

type corpusData struct {
	lake     *lake.Lake
	store    string // the store's ID
	trailDir string
	err      error
}

var (
	corpusOnce sync.Once
	corpus     corpusData
	corpusTmp  string
)

// TestMain removes the corpus dataset after the tests.
func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	if corpus.lake != nil {
		_ = corpus.lake.Close()
	}
	if corpusTmp != "" {
		_ = os.RemoveAll(corpusTmp)
	}
	os.Exit(code)
}

// corpusLake generates the trail files and ingests them into a store
// named "corpus", which takes the management events.
func corpusLake(t testing.TB) *corpusData {
	t.Helper()
	corpusOnce.Do(func() {
		ctx := context.Background()
		dir, err := os.MkdirTemp("", "auditlake-corpus-")
		if err != nil {
			corpus.err = err
			return
		}
		corpusTmp = dir
		corpus.trailDir = filepath.Join(dir, "trail")
		if _, err := bench.Generate(ctx, corpus.trailDir, corpusGen); err != nil {
			corpus.err = fmt.Errorf("generate: %w", err)
			return
		}
		l, err := lake.Open(ctx, filepath.Join(dir, "lake"), lake.Options{})
		if err != nil {
			corpus.err = err
			return
		}
		corpus.lake = l
		info, err := l.CreateStore(ctx, lake.CreateStoreInput{Name: "corpus"}) // management events
		if err != nil {
			corpus.err = err
			return
		}
		corpus.store = info.ID
		if _, err := ingest.Paths(ctx, l, info.ID, []string{corpus.trailDir}, ingest.Options{Workers: 1}, nil); err != nil {
			corpus.err = fmt.Errorf("ingest: %w", err)
		}
	})
	require.NoError(t, corpus.err)
	return &corpus
}

// corpusCase is one entry of a corpus file.
type corpusCase struct {
	line     int
	kind     string // "query" or "error"
	sql      string
	expected string
}

// readCorpus parses a corpus file: entries of a directive line ("query"
// or "error"), the SQL, a "----" line and the expected output, separated
// by blank lines. Lines starting with # between entries are comments.
func readCorpus(t *testing.T, path string) ([]corpusCase, []string) {
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	lines := strings.Split(string(data), "\n")
	var cases []corpusCase
	var preamble []string // the comment block before each case, kept on rewrite
	var comments []string
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		switch {
		case strings.HasPrefix(l, "#") || strings.TrimSpace(l) == "":
			comments = append(comments, l)
			continue
		case l != "query" && l != "error":
			t.Fatalf("%s:%d: expected query or error, got %q", path, i+1, l)
		}
		c := corpusCase{line: i + 1, kind: l}
		var sql []string
		for i++; i < len(lines) && lines[i] != "----"; i++ {
			sql = append(sql, lines[i])
		}
		var exp []string
		for i++; i < len(lines) && lines[i] != ""; i++ {
			exp = append(exp, lines[i])
		}
		c.sql, c.expected = strings.Join(sql, "\n"), strings.Join(exp, "\n")
		cases = append(cases, c)
		preamble = append(preamble, strings.Join(comments, "\n"))
		comments = nil
	}
	return cases, preamble
}

// runCase returns what a case produces: the CSV of the result, or the
// error message.
func runCase(e *Engine, c corpusCase, store string) (string, error) {
	sql := strings.ReplaceAll(c.sql, "$EDS", store)
	rows, err := e.Query(context.Background(), sql)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	var buf bytes.Buffer
	if err := WriteCSV(&buf, rows); err != nil {
		return "", err
	}
	return strings.TrimRight(buf.String(), "\n"), nil
}

// TestDialectCorpus runs every file in testdata/dialect: Trino queries
// with their expected CSV results, and broken queries with the message
// they must fail with (a substring, after "error").
func TestDialectCorpus(t *testing.T) {
	d := corpusLake(t)
	e := newTestEngine(t, d.lake, Options{Threads: 1})
	files, err := filepath.Glob("testdata/dialect/*.txt")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	total := 0
	for _, f := range files {
		cases, pre := readCorpus(t, f)
		total += len(cases)
		var out bytes.Buffer
		for i, c := range cases {
			got, err := runCase(e, c, d.store)
			switch c.kind {
			case "query":
				if err != nil {
					got = "ERROR: " + err.Error()
				}
			case "error":
				if err == nil {
					got = "NO ERROR"
				} else {
					if !errors.Is(err, ErrInvalidStatement) && !errors.Is(err, lake.ErrStoreNotFound) {
						t.Errorf("%s:%d: error does not wrap ErrInvalidStatement: %v", f, c.line, err)
					}
					got = err.Error()
				}
			}
			if *rewrite {
				if i > 0 {
					out.WriteString("\n") // the blank line that ended the previous entry
				}
				if p := strings.TrimLeft(pre[i], "\n"); p != "" || i == 0 && pre[i] != "" {
					out.WriteString(p + "\n")
				}
				exp := got
				if c.kind == "error" && strings.Contains(got, c.expected) && c.expected != "" {
					exp = c.expected
				}
				fmt.Fprintf(&out, "%s\n%s\n----\n%s\n", c.kind, c.sql, exp)
				continue
			}
			ok := got == c.expected
			if c.kind == "error" {
				ok = c.expected != "" && strings.Contains(got, c.expected) && got != "NO ERROR"
			}
			if !ok {
				t.Errorf("%s:%d:\n%s\nwant:\n%s\ngot:\n%s", f, c.line, c.sql, c.expected, got)
			}
		}
		if *rewrite {
			s := out.String()
			if !strings.HasSuffix(s, "\n") {
				s += "\n"
			}
			require.NoError(t, os.WriteFile(f, []byte(s), 0o644))
		}
	}
	t.Logf("%d corpus cases", total)
}
