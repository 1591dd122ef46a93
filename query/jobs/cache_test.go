package jobs

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// pages reads every page of a query's results, size rows at a time from
// token tok, and returns the pages.
func (e *env) pages(id, tok string, size int) []ResultPage {
	e.t.Helper()
	var out []ResultPage
	for {
		page, err := e.m.Results(context.Background(), id, tok, size)
		require.NoError(e.t, err)
		out = append(out, page)
		if page.NextToken == "" {
			return out
		}
		tok = page.NextToken
	}
}

// TestResultsFromMemory: the result files a query writes are kept in
// memory as the very bytes of the files in the bucket, pages served from
// memory equal pages read from the files, and after a restart (nothing in
// memory) the same pages and tokens come from the files.
func TestResultsFromMemory(t *testing.T) {
	e := newEnv(t, 2500, Options{PartRows: 700})
	ctx := context.Background()
	q := e.wait(e.start(fmt.Sprintf("SELECT eventID, eventName, eventJson FROM %s ORDER BY eventTime", e.store.ID)).ID, 30*time.Second)
	require.Equal(t, StatusFinished, q.Status, q.ErrorMessage)
	r, err := e.m.get(q.ID)
	require.NoError(t, err)
	require.Len(t, r.Parts, 4)
	for n := 1; n <= len(r.Parts); n++ {
		cached, ok := e.m.cache.get(partKey(q.ID, n))
		require.True(t, ok, "result file %d is kept when it is written", n)
		stored, err := e.l.Bucket().ReadAll(ctx, partKey(q.ID, n))
		require.NoError(t, err)
		require.Equal(t, string(stored), string(cached))
	}
	fromMemory := e.pages(q.ID, "", 333)
	require.Len(t, fromMemory, 8)
	mid := fromMemory[3].NextToken

	require.NoError(t, e.m.Close(ctx))
	require.NoError(t, e.eng.Close())
	require.NoError(t, e.l.Close())
	e.openLake()
	e.open(Options{ResultCacheBytes: -1})
	require.Equal(t, fromMemory, e.pages(q.ID, "", 333), "pages from the files after a restart")
	require.Equal(t, fromMemory[4:], e.pages(q.ID, mid, 333), "a token from before the restart")

	require.NoError(t, e.m.Close(ctx))
	e.open(Options{})
	require.Equal(t, fromMemory[4:], e.pages(q.ID, mid, 333), "read from the files, then from memory")
	_, ok := e.m.cache.get(partKey(q.ID, 4))
	require.True(t, ok, "a file read is kept")
}

// exact is s as bytes whose capacity is their length: the cache counts
// capacity.
func exact(s string) []byte { return append(make([]byte, 0, len(s)), s...) }

func TestResultCache(t *testing.T) {
	c := newResultCache(10)
	c.put("results/a/result_1.csv", exact("1234"))
	c.put("results/a/result_2.csv", exact("5678"))
	_, ok := c.get("results/a/result_1.csv") // now the most recent
	require.True(t, ok)
	c.put("results/b/result_1.csv", exact("abcd"))
	_, ok = c.get("results/a/result_2.csv")
	require.False(t, ok, "the least recently used goes")
	_, ok = c.get("results/a/result_1.csv")
	require.True(t, ok)
	c.put("results/c/result_1.csv", exact("too large to keep"))
	_, ok = c.get("results/c/result_1.csv")
	require.False(t, ok)
	c.put("results/d/result_1.csv", make([]byte, 4, 16)) // kept as a copy of 4 bytes; b goes
	require.EqualValues(t, 8, c.size)
	data, ok := c.get("results/d/result_1.csv")
	require.True(t, ok)
	require.Equal(t, 4, cap(data))
	_, ok = c.get("results/b/result_1.csv")
	require.False(t, ok)
	c.forget("d", 1)
	_, ok = c.get("results/d/result_1.csv")
	require.False(t, ok)
	require.EqualValues(t, 4, c.size)

	none := newResultCache(-1)
	none.put("k", exact("v"))
	_, ok = none.get("k")
	require.False(t, ok)
}

// TestResultsKeepEmptyRows: a result of one column whose value is NULL or
// empty is a blank line in CSV, which CSV readers skip; such rows are
// stored as "" and counted and returned.
func TestResultsKeepEmptyRows(t *testing.T) {
	e := newEnv(t, 5, Options{})
	ctx := context.Background()
	q := e.wait(e.start("SELECT errorCode FROM "+e.store.ID).ID, 30*time.Second)
	require.Equal(t, StatusFinished, q.Status, q.ErrorMessage)
	require.EqualValues(t, 5, q.Stats.TotalResultsCount)
	page, err := e.m.Results(ctx, q.ID, "", 10)
	require.NoError(t, err)
	require.Len(t, page.Rows, 5)
	require.Equal(t, []Field{{"errorCode", ""}}, page.Rows[4])
	data, err := e.l.Bucket().ReadAll(ctx, partKey(q.ID, 1))
	require.NoError(t, err)
	require.Equal(t, "errorCode\n"+strings.Repeat("\"\"\n", 5), string(data))
}

func TestReadCSVRecord(t *testing.T) {
	long := strings.Repeat("x", 100<<10) // longer than the reader's buffer
	for _, tc := range []struct {
		name, in string
		want     []string
		err      string
	}{
		{name: "lines", in: "a,b\n1,2\n", want: []string{"a,b\n", "1,2\n"}},
		{name: "quoted line breaks", in: "\"x\ny\",\"a\"\"b\"\n2,\"\n\"\n", want: []string{"\"x\ny\",\"a\"\"b\"\n", "2,\"\n\"\n"}},
		{name: "crlf", in: "a\r\n\r\nb\r\n", want: []string{"a\r\n", "\"\"\r\n", "b\r\n"}},
		{name: "empty lines are empty fields", in: "h\n\n\n", want: []string{"h\n", "\"\"\n", "\"\"\n"}},
		{name: "no final line end", in: "a\nb", want: []string{"a\n", "b\n"}},
		{name: "long record", in: long + ",\"" + long + "\n\"\nz\n", want: []string{long + ",\"" + long + "\n\"\n", "z\n"}},
		{name: "unterminated quote", in: "a\n\"b\n", want: []string{"a\n"}, err: "quoted field"},
		{name: "empty", in: ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			br := bufio.NewReaderSize(strings.NewReader(tc.in), 16)
			var got []string
			for {
				rec, err := readCSVRecord(br, exact("prefix"))
				if errors.Is(err, io.EOF) {
					break
				}
				if tc.err != "" && err != nil {
					require.ErrorContains(t, err, tc.err)
					break
				}
				require.NoError(t, err)
				require.True(t, strings.HasPrefix(string(rec), "prefix"), "appends to dst")
				got = append(got, string(rec[len("prefix"):]))
			}
			require.Equal(t, tc.want, got)
		})
	}
}
