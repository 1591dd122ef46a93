package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// report collects the figures and writes them as Markdown.
type report struct {
	cfg     config
	lake    benchLake
	machine string
	results []result
}

func (r *report) add(res result) { r.results = append(r.results, res) }

// baseline is DuckDB's wall time for a shape.
func (r *report) baseline(shape string) time.Duration {
	for _, res := range r.results {
		if res.shape == shape && res.method == methodDuckDB {
			return res.wall
		}
	}
	return 0
}

// methodOrder is the order of the rows of a table.
var methodOrder = []string{methodDuckDB, methodEngine, methodPgx, methodPgxRaw, methodPsqlCopy, methodPsqlSelect}

// ordered returns a shape's results in methodOrder.
func (r *report) ordered(shape string) []result {
	var out []result
	for _, m := range methodOrder {
		for _, res := range r.results {
			if res.shape == shape && res.method == m {
				out = append(out, res)
			}
		}
	}
	return out
}

func (r *report) markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# pgbench: streaming rows through the Postgres wire port\n\n")
	fmt.Fprintf(&b, "%d rows of one store (%d generated events, seed %d, 7 days), median of %d rounds after a warm-up (each round runs every method once, DuckDB and the port interleaved), %s. Machine: %s.\n\n",
		r.cfg.rows, r.lake.events, r.cfg.seed, r.cfg.reps, time.Now().UTC().Format("2006-01-02"), r.machine)
	fmt.Fprintf(&b, "Reproduce: `go run ./bench/cmd/pgbench -rows %d -reps %d` (see docs/pgwire.md). Goal (issue 6): each client through the port at most 2x DuckDB's time.\n\n", r.cfg.rows, r.cfg.reps)
	for _, s := range r.cfg.shapes {
		fmt.Fprintf(&b, "## %s: %s\n\n`%s`\n\n", s.name, s.note, s.sql("<store>", r.cfg.rows))
		b.WriteString("| method | wall | rows/s | x DuckDB |\n|---|---:|---:|---:|\n")
		base := r.baseline(s.name)
		for _, res := range r.ordered(s.name) {
			ratio := "-"
			if base > 0 {
				ratio = fmt.Sprintf("%.2f", res.wall.Seconds()/base.Seconds())
			}
			fmt.Fprintf(&b, "| %s | %v | %s | %s |\n", res.method, res.wall.Round(time.Millisecond),
				thousands(int64(float64(res.rows)/res.wall.Seconds())), ratio)
		}
		b.WriteString("\n")
	}
	b.WriteString("psql figures include starting psql and logging in (SCRAM, about 10 ms); psql SELECT holds the whole result in memory before printing it, as psql does without FETCH_COUNT.\n")
	return b.String()
}

func (r *report) write(path string) error {
	md := r.markdown()
	fmt.Print(md)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(md), 0o644)
}

// thousands formats n with comma separators.
func thousands(n int64) string {
	s := fmt.Sprint(n)
	var out []byte
	for i := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	return string(out)
}
