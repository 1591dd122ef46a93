package main

import (
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/auditlake/auditlake/bench"
)

type queryResult struct {
	q                           query
	lake, duck, raw             time.Duration
	duckCold                    time.Duration // a new DuckDB database for the run
	lakeRSS                     int64
	lakeRows, duckRows, rawRows int
	rawTimedOut                 bool
	rawErr                      string
}

// report collects every measurement of one run.
type report struct {
	cfg     config
	machine machine
	gen     bench.GenerateStats

	ingestWall, ingestCPU   []time.Duration
	ingestRSS               []int64
	ingested, refused       int
	ingestSummary           string
	convertWall, convertCPU []time.Duration
	convertRSS              []int64
	convertRows             int
	duckParquet             string

	lakeBytes, duckBytes int64
	lakeFiles            int
	lakeRows             int64
	coverage             []string // events missing from the lake, by kind

	start     time.Duration
	startSQL  string
	duckStart time.Duration // a new DuckDB database answering SELECT 1
	queries   []query
	results   []queryResult
}

// row is one line of report.csv and of the table in report.md.
type row struct {
	figure, lake, base, ratio, goal, met string
}

func ms(d time.Duration) string   { return fmt.Sprintf("%.1f ms", float64(d)/1e6) }
func secs(d time.Duration) string { return fmt.Sprintf("%.2f s", d.Seconds()) }
func mib(b int64) string          { return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20)) }
func yes(ok bool) string {
	if ok {
		return "yes"
	}
	return "NO"
}

func (r *report) rows() []row {
	var rows []row
	iw, cw := median(r.ingestWall), median(r.convertWall)
	eps := func(d time.Duration, n int) string { return fmt.Sprintf("%.0f events/s", float64(n)/d.Seconds()) }
	rows = append(rows,
		row{"ingest wall time (vs DuckDB read_json -> COPY parquet)", secs(iw), secs(cw), fmt.Sprintf("%.2fx", iw.Seconds()/cw.Seconds()), "-", "-"},
		row{"ingest throughput", eps(iw, r.ingested), eps(cw, r.convertRows), fmt.Sprintf("%.2fx", (float64(r.ingested)/iw.Seconds())/(float64(r.convertRows)/cw.Seconds())), "-", "-"},
		row{"ingest CPU time (user+sys)", secs(median(r.ingestCPU)), secs(median(r.convertCPU)), fmt.Sprintf("%.2fx", median(r.ingestCPU).Seconds()/median(r.convertCPU).Seconds()), "-", "-"},
		row{"ingest peak RSS", mib(medianInt(r.ingestRSS)), mib(medianInt(r.convertRSS)), fmt.Sprintf("%.2fx", float64(medianInt(r.ingestRSS))/float64(medianInt(r.convertRSS))), "-", "-"},
	)
	lakePer := float64(r.lakeBytes) / float64(r.lakeRows)
	inPer := float64(r.gen.Bytes) / float64(r.gen.Events)
	duckPer := float64(r.duckBytes) / float64(r.convertRows)
	rows = append(rows,
		row{"storage bytes/event (vs .json.gz input)", fmt.Sprintf("%.1f B", lakePer), fmt.Sprintf("%.1f B", inPer), fmt.Sprintf("%.2fx", lakePer/inPer), "<= 0.6x", yes(lakePer/inPer <= 0.6)},
		row{"storage bytes/event (vs DuckDB default Parquet)", fmt.Sprintf("%.1f B", lakePer), fmt.Sprintf("%.1f B", duckPer), fmt.Sprintf("%.2fx", lakePer/duckPer), "-", "-"},
		row{"query process start (" + r.startSQL + ")", ms(r.start), "-", "-", "-", "-"},
	)
	rows = append(rows, row{"DuckDB new in-memory database (SELECT 1)", "-", ms(r.duckStart), "-", "-", "-"})
	for _, q := range r.results {
		net := q.lake - r.start
		coldNet := q.duckCold - r.duckStart
		ratio := float64(net) / float64(coldNet)
		rows = append(rows, row{
			fmt.Sprintf("%s %s (vs DuckDB on lake Parquet in a new database; ratio = (auditlake - start) / (DuckDB - its start))", q.q.ID, q.q.Name),
			ms(q.lake), ms(q.duckCold), fmt.Sprintf("%.2fx", ratio), "<= 1.3x", yes(ratio <= 1.3)})
		rows = append(rows, row{
			fmt.Sprintf("%s vs DuckDB on lake Parquet, warm in-process database (ratio = (auditlake - start) / DuckDB)", q.q.ID),
			ms(q.lake), ms(q.duck), fmt.Sprintf("%.2fx", float64(net)/float64(q.duck)), "-", "-"})
		raw, lb := ms(q.raw), ""
		if q.rawTimedOut {
			raw, lb = ">= "+raw, ">= "
		}
		if q.rawErr != "" {
			rows = append(rows, row{fmt.Sprintf("%s vs DuckDB on raw .json.gz", q.q.ID), ms(q.lake), "error", "-", ">= 100x", "-"})
			continue
		}
		speed := float64(q.raw) / float64(q.lake)
		rows = append(rows, row{fmt.Sprintf("%s vs DuckDB on raw .json.gz (speed-up)", q.q.ID),
			ms(q.lake), raw, fmt.Sprintf("%s%.0fx", lb, speed), ">= 100x", yes(speed >= 100)})
	}
	return rows
}

// warnings lists what makes the numbers suspect.
func (r *report) warnings() []string {
	var w []string
	if r.ingested != r.gen.Events {
		w = append(w, fmt.Sprintf("auditlake ingested %d events of %d generated (%d missing; %d records refused): the selectors or the decoder drop events", r.ingested, r.gen.Events, r.gen.Events-r.ingested, r.refused))
	}
	if len(r.coverage) > 0 {
		w = append(w, "events in DuckDB's conversion but not in the lake (eventCategory eventSource resources[1].type: count): "+strings.Join(r.coverage, "; "))
	}
	if int64(r.ingested) != r.lakeRows {
		w = append(w, fmt.Sprintf("ingest reported %d events but the lake's segments hold %d rows", r.ingested, r.lakeRows))
	}
	if r.convertRows != r.gen.Events {
		w = append(w, fmt.Sprintf("DuckDB converted %d rows of %d generated events", r.convertRows, r.gen.Events))
	}
	for _, q := range r.results {
		if q.lakeRows != q.duckRows {
			w = append(w, fmt.Sprintf("%s: auditlake returned %d rows, DuckDB on the same Parquet %d", q.q.ID, q.lakeRows, q.duckRows))
		}
		if !q.rawTimedOut && q.rawErr == "" && q.rawRows != q.duckRows && r.ingested == r.gen.Events {
			w = append(w, fmt.Sprintf("%s: DuckDB on raw JSON returned %d rows, on the lake Parquet %d", q.q.ID, q.rawRows, q.duckRows))
		}
		if q.rawErr != "" {
			w = append(w, fmt.Sprintf("%s on raw JSON failed: %s", q.q.ID, tail(q.rawErr, 300)))
		}
	}
	return w
}

func (r *report) write() error {
	rows := r.rows()
	f, err := os.Create(filepath.Join(r.cfg.out, "report.csv"))
	if err != nil {
		return err
	}
	cw := csv.NewWriter(f)
	cw.Write([]string{"figure", "auditlake", "baseline", "ratio", "goal", "met"})
	for _, x := range rows {
		cw.Write([]string{x.figure, x.lake, x.base, x.ratio, x.goal, x.met})
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}

	var b strings.Builder
	c := r.cfg
	fmt.Fprintf(&b, "# lakebench report\n\n")
	fmt.Fprintf(&b, "Run %s: %d events over %d days ending %s (seed %d), median of %d repetitions.\n\n",
		time.Now().UTC().Format(time.RFC3339), c.events, c.days, c.end.Format(time.DateOnly), c.seed, c.reps)
	fmt.Fprintf(&b, "- Machine: %s\n- auditlake commit: %s\n", r.machine, r.machine.Commit)
	fmt.Fprintf(&b, "- Input: %d events in %d .json.gz trail files, %d bytes\n", r.gen.Events, r.gen.Files, r.gen.Bytes)
	fmt.Fprintf(&b, "- Lake: %d rows in %d Parquet segments, %d bytes; DuckDB Parquet: %d rows, %d bytes\n", r.lakeRows, r.lakeFiles, r.lakeBytes, r.convertRows, r.duckBytes)
	fmt.Fprintf(&b, "- auditlake ingest said: `%s`\n", r.ingestSummary)
	fmt.Fprintf(&b, "- Query process start measured with `auditlake query %q`\n\n", r.startSQL)
	if w := r.warnings(); len(w) > 0 {
		b.WriteString("## Warnings\n\n")
		for _, s := range w {
			fmt.Fprintf(&b, "- WARNING: %s\n", s)
		}
		b.WriteString("\n")
	}
	b.WriteString("## Figures\n\n| figure | auditlake | baseline | ratio | goal | met |\n|---|---|---|---|---|---|\n")
	for _, x := range rows {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", x.figure, x.lake, x.base, x.ratio, x.goal, x.met)
	}
	b.WriteString("\n## Queries\n\nWritten with `{T}` for the store (its UUID for auditlake, `read_parquet(...)` of its segments or the unnested `read_json(...)` of the trail files for DuckDB).\n\n")
	b.WriteString("| query | SQL | rows (auditlake / DuckDB Parquet / DuckDB raw) | auditlake peak RSS (upper bound: Linux charges a child the harness RSS at fork) |\n|---|---|---|---|\n")
	for _, q := range r.results {
		raw := fmt.Sprint(q.rawRows)
		if q.rawTimedOut {
			raw = "timeout"
		} else if q.rawErr != "" {
			raw = "error"
		}
		fmt.Fprintf(&b, "| %s | `%s` | %d / %d / %s | %s |\n", q.q.ID, q.q.SQL, q.lakeRows, q.duckRows, raw, mib(q.lakeRSS))
	}
	b.WriteString("\nRepetitions (wall): ingest")
	for _, d := range r.ingestWall {
		fmt.Fprintf(&b, " %s", secs(d))
	}
	b.WriteString("; DuckDB convert")
	for _, d := range r.convertWall {
		fmt.Fprintf(&b, " %s", secs(d))
	}
	b.WriteString(".\n")
	return os.WriteFile(filepath.Join(r.cfg.out, "report.md"), []byte(b.String()), 0o644)
}
