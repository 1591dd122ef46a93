package main

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"
	"time"

	"github.com/auditlake/auditlake/bench/harness"
)

func TestPercentile(t *testing.T) {
	ms := func(xs ...int) []time.Duration {
		var ds []time.Duration
		for _, x := range xs {
			ds = append(ds, time.Duration(x)*time.Millisecond)
		}
		return ds
	}
	tests := []struct {
		ds   []time.Duration
		p    float64
		want time.Duration
	}{
		{nil, 50, 0},
		{ms(7), 99, 7 * time.Millisecond},
		{ms(4, 1, 3, 2), 50, 2 * time.Millisecond}, // nearest rank: the 2nd of 4
		{ms(4, 1, 3, 2), 95, 4 * time.Millisecond},
		{ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 90, 9 * time.Millisecond},
		{ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 91, 10 * time.Millisecond},
		{ms(5, 1), 0, 1 * time.Millisecond},
	}
	for _, tc := range tests {
		if got := percentile(tc.ds, tc.p); got != tc.want {
			t.Errorf("percentile(%v, %v) = %v, want %v", tc.ds, tc.p, got, tc.want)
		}
	}
	in := ms(3, 1, 2)
	percentile(in, 50)
	if in[0] != 3*time.Millisecond {
		t.Error("percentile sorted its input")
	}
}

func TestMedian(t *testing.T) {
	if got := harness.Median([]time.Duration{3, 1, 2}); got != 2 {
		t.Errorf("odd: %v", got)
	}
	if got := harness.Median([]time.Duration{4, 1, 3, 2}); got != 2 { // (2+3)/2 in integer nanoseconds
		t.Errorf("even: %v", got)
	}
	if got := harness.Median([]int64{10, 30}); got != 20 {
		t.Errorf("medianInt: %v", got)
	}
}

func TestCountCSVRows(t *testing.T) {
	tests := map[string]int{
		"":                               0,
		"n\n":                            0,
		"n\n1\n":                         1,
		"n\n1":                           1,
		"a,b\n\"x\ny\",1\n\"z\",2\r\n":   2, // a quoted newline is not a row
		"a\n\"he said \"\"hi\"\"\"\n2\n": 2,
	}
	for in, want := range tests {
		if got := countCSVRows([]byte(in)); got != want {
			t.Errorf("countCSVRows(%q) = %d, want %d", in, got, want)
		}
	}
}

// testReport is a small report with every section filled.
func testReport() *report {
	ms := time.Millisecond
	q := auditQueries(time.Date(2025, 12, 30, 0, 0, 0, 0, time.UTC), time.Date(2025, 12, 24, 0, 0, 0, 0, time.UTC), "arn:aws:iam::1:user/a")
	r := &report{
		cfg: config{events: 1000, days: 2, reps: 3, end: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), skip: map[string]bool{}},
		ingests: []ingestRun{{name: "auditlake ingest (files)", events: 900, inEvents: 1000, inBytes: 1e6,
			wall: []time.Duration{2 * time.Second}, cpu: []time.Duration{3 * time.Second}, rss: []int64{500 << 20}}},
		convert:  ingestRun{name: "DuckDB", events: 1000, inEvents: 1000, inBytes: 1e6, wall: []time.Duration{time.Second}, cpu: []time.Duration{time.Second}, rss: []int64{100 << 20}},
		ingested: 900,
		queries:  q,
		base:     baselines{startSQL: "SELECT 1", start: 40 * ms, duckStart: 5 * ms, apiRTT: ms, pgRTT: ms},
		results: []queryResult{
			{q: q[0], cli: 60 * ms, api: 30 * ms, pg: 20 * ms, duckCold: 25 * ms, duck: 10 * ms, raw: 9 * time.Second, cliRows: 5, apiRows: 5, pgRows: 5, duckRows: 5, rawRows: 5},
			{q: q[1], cli: 100 * ms, api: 90 * ms, duckCold: 25 * ms, duck: 10 * ms, rawTimedOut: true, raw: time.Minute, cliRows: 7, apiRows: 6, duckRows: 7},
		},
		clients: []clientsResult{{n: 4, api: latencies{n: 40, span: 2 * time.Second, p50: 50 * ms}, duck: latencies{n: 80, span: 2 * time.Second, p50: 20 * ms}}},
		load:    &loadResult{rate: 100, clients: 8, put: latencies{n: 10, span: time.Second}, putEvents: 1000, markers: 4, markersSeen: 3},
	}
	return r
}

func TestReportFigures(t *testing.T) {
	r := testReport()
	rows := r.rows()
	find := func(prefix string) row {
		t.Helper()
		for _, x := range rows {
			if strings.HasPrefix(x.figure, prefix) {
				return x
			}
		}
		t.Fatalf("no figure %q", prefix)
		return row{}
	}
	// (60 - 40) / (25 - 5) = 1.00: met; (100 - 40) / 20 = 3.00: missed.
	if x := find("Q1 counts by eventName: auditlake query"); x.ratio != "1.00x" || x.met != "yes" {
		t.Errorf("Q1 query ratio: %+v", x)
	}
	if x := find("Q2 counts by principal (userIdentity.arn): auditlake query"); x.ratio != "3.00x" || x.met != "NO" {
		t.Errorf("Q2 query ratio: %+v", x)
	}
	// (30 - 1) / 25 = 1.16.
	if x := find("Q1 counts by eventName: API"); x.ratio != "1.16x" || x.met != "yes" {
		t.Errorf("Q1 API ratio: %+v", x)
	}
	if x := find("Q1 counts by eventName: speed-up"); x.ratio != "150x" || x.met != "yes" {
		t.Errorf("Q1 raw: %+v", x)
	}
	if x := find("Q2 counts by principal (userIdentity.arn): speed-up"); !strings.HasPrefix(x.base, ">= ") || x.ratio != ">= 600x" {
		t.Errorf("Q2 raw timed out: %+v", x)
	}
	// 1000 input events in 2 s against 1000 in 1 s; 900 of them stored.
	if x := find("auditlake ingest (files): input events/s"); x.lake != "500" || x.base != "1000" || x.ratio != "0.50x" || x.met != "NO" {
		t.Errorf("ingest rate: %+v", x)
	}
	if x := find("auditlake ingest (files): stored events/s"); x.lake != "450" || x.base != "1000" || x.met != "-" {
		t.Errorf("stored rate: %+v", x)
	}
	if x := find("marker events seen"); x.met != "NO" {
		t.Errorf("markers: %+v", x)
	}
	w := strings.Join(r.checks(), "\n")
	for _, want := range []string{"Q2: the API returned 6 rows, DuckDB on the same Parquet 7", "1 of 4 marker events never became queryable"} {
		if !strings.Contains(w, want) {
			t.Errorf("checks miss %q:\n%s", want, w)
		}
	}
}

func TestReportRender(t *testing.T) {
	r := testReport()
	rows := r.rows()
	var buf bytes.Buffer
	if err := writeCSV(&buf, rows); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != len(rows)+1 || strings.Join(recs[0], ",") != "section,figure,auditlake,baseline,ratio,goal,met" {
		t.Errorf("csv: %d records for %d rows, header %v", len(recs), len(rows), recs[0])
	}
	var b strings.Builder
	r.markdown(&b, rows)
	md := b.String()
	for _, want := range []string{"## Ingest and import", "## Queries", "## Scale", "## Concurrency under load", "## Profiles",
		"### The three biggest costs and what would remove them", "| Q2 counts by principal (userIdentity.arn) | 100.0 ms (7) | 90.0 ms (6) |", "3.00x NO", ">= 60000.0 ms", "`{T}` is the bench store"} {
		if !strings.Contains(md, want) {
			t.Errorf("report.md misses %q", want)
		}
	}
}
