package api

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/auditlake/auditlake/query/jobs"
)

// reflectQueryResults is GetQueryResults' response as it was encoded
// before appendQueryResults: the model's shape through encoding/json.
func reflectQueryResults(t testing.TB, page jobs.ResultPage) []byte {
	t.Helper()
	rows := make([][]map[string]string, len(page.Rows))
	for i, r := range page.Rows {
		row := make([]map[string]string, len(r))
		for j, f := range r {
			row[j] = map[string]string{f.Column: f.Value}
		}
		rows[i] = row
	}
	type stats struct {
		ResultsCount      int   `json:"ResultsCount"`
		TotalResultsCount int64 `json:"TotalResultsCount"`
		BytesScanned      int64 `json:"BytesScanned"`
	}
	data, err := json.Marshal(struct {
		QueryStatus     jobs.Status           `json:"QueryStatus"`
		QueryStatistics stats                 `json:"QueryStatistics"`
		QueryResultRows [][]map[string]string `json:"QueryResultRows"`
		NextToken       string                `json:"NextToken,omitempty"`
		ErrorMessage    string                `json:"ErrorMessage,omitempty"`
	}{
		QueryStatus:     page.Status,
		QueryStatistics: stats{page.ResultsCount, page.TotalResultsCount, page.BytesScanned},
		QueryResultRows: rows, NextToken: page.NextToken, ErrorMessage: page.ErrorMessage,
	})
	require.NoError(t, err)
	return data
}

var trickyValues = []string{
	"", "plain", `quote " and \ backslash`, "<script>&amp;</script>", "line\nbreak\r\ttab\b\f",
	"\x00\x01\x1f\x7f", "é ü 日本 😀", "\u2028\u2029", "bad \xff\xfe utf-8 \xe2\x82", "2025-12-28 10:00:00.000",
	`{"json":["in",1,null]}`, strings.Repeat("long ", 200),
}

func TestAppendQueryResults(t *testing.T) {
	var rows [][]jobs.Field
	for i, v := range trickyValues {
		rows = append(rows, []jobs.Field{{Column: "c" + v, Value: v}, {Column: "n", Value: trickyValues[(i+1)%len(trickyValues)]}})
	}
	rows = append(rows, []jobs.Field{})
	for _, tc := range []struct {
		name string
		page jobs.ResultPage
	}{
		{"rows", jobs.ResultPage{Status: jobs.StatusFinished, Rows: rows, ResultsCount: len(rows), TotalResultsCount: 1 << 40, BytesScanned: 123}},
		{"no rows", jobs.ResultPage{Status: jobs.StatusRunning, NextToken: "eyJxIjoiYSJ9.c2ln"}},
		{"error", jobs.ResultPage{Status: jobs.StatusFailed, ErrorMessage: "the query failed: <\"bad\">"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := reflectQueryResults(t, tc.page)
			got := appendQueryResults(nil, tc.page)
			require.Equal(t, string(want), string(got))
			require.LessOrEqual(t, len(got), queryResultsSize(tc.page)+len(got)/4, "the size estimate is close")
		})
	}
}

func FuzzAppendJSONString(f *testing.F) {
	for _, v := range trickyValues {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, err := json.Marshal(s)
		require.NoError(t, err)
		require.Equal(t, string(want), string(appendJSONString(nil, s)))
	})
}

func BenchmarkAppendQueryResults(b *testing.B) {
	page := jobs.ResultPage{Status: jobs.StatusFinished, ResultsCount: 1000}
	for range 1000 {
		page.Rows = append(page.Rows, []jobs.Field{
			{Column: "eventTime", Value: "2025-12-28 10:00:00.000"}, {Column: "eventName", Value: "GetObject"},
			{Column: "sourceIPAddress", Value: "10.0.12.200"},
		})
	}
	b.Run("reflect", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			reflectQueryResults(b, page)
		}
	})
	b.Run("append", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			appendQueryResults(make([]byte, 0, queryResultsSize(page)), page)
		}
	})
}
