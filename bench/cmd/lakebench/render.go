package main

import (
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/auditlake/auditlake/bench/harness"
)

// write writes report.csv (every figure) and report.md (the figures by
// section, with the detail tables, profiles and SQL) to the out folder.
func (r *report) write() error {
	rows := r.rows()
	f, err := os.Create(filepath.Join(r.cfg.out, "report.csv"))
	if err != nil {
		return err
	}
	if err := writeCSV(f, rows); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	var b strings.Builder
	r.markdown(&b, rows)
	return os.WriteFile(filepath.Join(r.cfg.out, "report.md"), []byte(b.String()), 0o644)
}

func writeCSV(w io.Writer, rows []row) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"section", "figure", "auditlake", "baseline", "ratio", "goal", "met"})
	for _, x := range rows {
		cw.Write([]string{x.section, x.figure, x.lake, x.base, x.ratio, x.goal, x.met})
	}
	cw.Flush()
	return cw.Error()
}

// sectionTitles name the sections of rows, in report order.
var sectionTitles = []struct{ key, title string }{
	{"ingest", "Ingest and import"},
	{"storage", "Storage"},
	{"queries", "Queries"},
	{"scale", "Scale"},
	{"load", "Concurrency under load"},
}

func figureTable(b *strings.Builder, rows []row, section string) {
	n := 0
	for _, x := range rows {
		if x.section != section {
			continue
		}
		if n == 0 {
			b.WriteString("| figure | auditlake | baseline | ratio | goal | met |\n|---|---|---|---|---|---|\n")
		}
		n++
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s |\n", x.figure, x.lake, x.base, x.ratio, x.goal, x.met)
	}
	if n > 0 {
		b.WriteString("\n")
	}
}

func (r *report) markdown(b *strings.Builder, rows []row) {
	c := r.cfg
	fmt.Fprintf(b, "# lakebench report\n\n")
	fmt.Fprintf(b, "Run %s: %d events over %d days ending %s (seed %d); medians of %d repetitions (queries: a warm-up, then %d); the whole run took %v.\n\n",
		time.Now().UTC().Format(time.RFC3339), c.events, c.days, c.end.Format(time.DateOnly), c.seed, c.reps, max(c.reps, 3), r.took.Round(time.Second))
	fmt.Fprintf(b, "- Machine: %s\n- auditlake commit: %s\n", r.machine, r.machine.Commit)
	fmt.Fprintf(b, "- Input: %d events in %d .json.gz trail files, %d bytes\n", r.gen.Events, r.gen.Files, r.gen.Bytes)
	if ql := r.queryLake; ql != nil {
		fmt.Fprintf(b, "- Query lake: %d stores imported in one pass in %s (peak RSS %s)", len(ql.stores), secs(ql.build.Wall), mib(ql.build.MaxRSS))
		if ql.compact != nil {
			fmt.Fprintf(b, ", then compacted by one maintenance pass in %s (peak RSS %s)", secs(ql.compact.Wall), mib(ql.compact.MaxRSS))
		}
		fmt.Fprintf(b, "; bench store %d rows in %d Parquet segments, %d bytes\n", r.lakeRows, r.lakeFiles, r.lakeBytes)
	}
	if r.ingestSummary != "" {
		fmt.Fprintf(b, "- auditlake ingest said: `%s`\n", r.ingestSummary)
	}
	if len(c.skip) > 0 {
		var s []string
		for k := range c.skip {
			s = append(s, k)
		}
		fmt.Fprintf(b, "- Sections left out (-skip): %s\n", strings.Join(s, ", "))
	}
	for _, n := range r.notes {
		fmt.Fprintf(b, "- Note: %s\n", n)
	}
	b.WriteString("\n")
	if w := r.checks(); len(w) > 0 {
		b.WriteString("## Warnings\n\n")
		for _, s := range w {
			fmt.Fprintf(b, "- WARNING: %s\n", s)
		}
		b.WriteString("\n")
	}
	for _, s := range sectionTitles {
		fmt.Fprintf(b, "## %s\n\n", s.title)
		if s.key == "queries" {
			// Per-query figures are in the matrix below (and all in report.csv).
			var base []row
			for _, x := range rows {
				if x.section == s.key && !strings.HasPrefix(x.figure, "Q") {
					base = append(base, x)
				}
			}
			figureTable(b, base, s.key)
		} else {
			figureTable(b, rows, s.key)
		}
		switch s.key {
		case "ingest":
			r.ingestDetail(b)
		case "queries":
			r.queryDetail(b)
		case "scale":
			r.scaleDetail(b)
		case "load":
			r.loadDetail(b)
		}
	}
	r.profileDetail(b)
	r.sqlDetail(b)
}

func (r *report) ingestDetail(b *strings.Builder) {
	all := append(append([]ingestRun(nil), r.ingests...), r.convert)
	b.WriteString("| path | events | wall (each rep) | CPU user+sys | peak RSS | input MB | note |\n|---|---|---|---|---|---|---|\n")
	for _, in := range all {
		if len(in.wall) == 0 {
			continue
		}
		var ws []string
		for _, w := range in.wall {
			ws = append(ws, secs(w))
		}
		fmt.Fprintf(b, "| %s | %d | %s | %s | %s | %.1f | %s |\n", in.name, in.events, strings.Join(ws, " "), secs(in.medCPU()), mib(harness.Median(in.rss)), float64(in.inBytes)/1e6, in.note)
	}
	b.WriteString("\nInput MB: the .json.gz files for the file and S3 paths; the eventData JSON sent for PutAuditEvents (its CPU and RSS are the server's).\n\n")
}

func (r *report) queryDetail(b *strings.Builder) {
	if len(r.results) == 0 {
		return
	}
	b.WriteString("Wall time of each path (rows returned in brackets). auditlake query is a new process; the API is StartQuery to the last page of GetQueryResults; DuckDB runs on the same Parquet segments.\n\n")
	b.WriteString("| query | auditlake query | API | Postgres | DuckDB new db | DuckDB warm | DuckDB raw .json.gz | query ratio (<= 1.3x) | API ratio (<= 1.5x) | Postgres ratio | raw speed-up (>= 100x) |\n|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, q := range r.results {
		cli, api, pg, speedup := r.queryRatios(q)
		raw := ms(q.raw)
		switch {
		case q.rawTimedOut:
			raw = ">= " + raw
		case q.rawErr != "":
			raw = "error"
		case q.raw > 0:
			raw += fmt.Sprintf(" (%d)", q.rawRows)
		}
		fmt.Fprintf(b, "| %s %s | %s | %s | %s | %s (%d) | %s | %s | %s | %s | %s | %s |\n", q.q.ID, q.q.Name,
			withRows(q.cli, q.cliRows), withRows(q.api, q.apiRows), withRows(q.pg, q.pgRows), ms(q.duckCold), q.duckRows, ms(q.duck), raw,
			goalFx(cli, cli <= 1.3), goalFx(api, api <= 1.5), fx(pg), goalFx(speedup, speedup >= 100))
	}
	b.WriteString("\nRatios: query = (auditlake query - its process start) / (DuckDB new database - its SELECT 1); API = (API - one round trip) / DuckDB new database; Postgres = (Postgres - its SELECT 1) / DuckDB new database; raw speed-up = DuckDB on raw / auditlake query. NO marks a missed goal. A negative ratio means the query took less than the start it is net of: noise.\n\n")
}

func withRows(d time.Duration, n int) string {
	if d == 0 {
		return "-"
	}
	return fmt.Sprintf("%s (%d)", ms(d), n)
}

// goalFx is fx with " NO" when the goal is missed.
func goalFx(x float64, ok bool) string {
	if x == 0 || ok {
		return fx(x)
	}
	return fx(x) + " NO"
}

func fx(x float64) string {
	if x == 0 {
		return "-"
	}
	if x >= 10 {
		return fmt.Sprintf("%.0fx", x)
	}
	return fmt.Sprintf("%.2fx", x)
}

func (r *report) scaleDetail(b *strings.Builder) {
	if len(r.scale) == 0 {
		return
	}
	fmt.Fprintf(b, "Each size's history is longer in proportion (a day holds as many events at every size). auditlake query / DuckDB in a new database, medians:\n\n")
	b.WriteString("| query | " + fmt.Sprintf("%d events, %d days", r.cfg.events, r.cfg.days))
	for _, s := range r.scale {
		fmt.Fprintf(b, " | %d events, %d days", s.events, s.days)
	}
	b.WriteString(" |\n|---|---" + strings.Repeat("|---", len(r.scale)) + "|\n")
	for _, q := range r.results {
		fmt.Fprintf(b, "| %s %s | %s / %s", q.q.ID, q.q.Name, ms(q.cli), ms(q.duckCold))
		for _, s := range r.scale {
			sq := scaleResultOf(s, q.q.ID)
			fmt.Fprintf(b, " | %s / %s", ms(sq.cli), ms(sq.duckCold))
		}
		b.WriteString(" |\n")
	}
	fmt.Fprintf(b, "| building the query lake (one import into its %d stores) | %s, %s peak RSS", len(r.queryLake.stores), secs(r.queryLake.build.Wall), mib(r.queryLake.build.MaxRSS))
	for _, s := range r.scale {
		fmt.Fprintf(b, " | %s, %s peak RSS", secs(s.build.Wall), mib(s.build.MaxRSS))
	}
	b.WriteString(" |\n")
	if r.queryLake.compact != nil {
		fmt.Fprintf(b, "| compacting it (one maintenance pass) | %s, %s peak RSS", secs(r.queryLake.compact.Wall), mib(r.queryLake.compact.MaxRSS))
		for _, s := range r.scale {
			if s.compact != nil {
				fmt.Fprintf(b, " | %s, %s peak RSS", secs(s.compact.Wall), mib(s.compact.MaxRSS))
			} else {
				b.WriteString(" | -")
			}
		}
		b.WriteString(" |\n")
	}
	b.WriteString("\n")
}

func (r *report) loadDetail(b *strings.Builder) {
	l := r.load
	if l == nil {
		return
	}
	fmt.Fprintf(b, "%d API clients ran the %d queries in turn for %v, first alone, then while PutAuditEvents sent %d events/s (calls of 100 events from 4 callers; call latency p50 %s, p99 %s) to an ActivityAuditLog store in the same lake, served with --wal-flush-age %v. A marker event was sent on its own every %v; a watcher polled the store for markers every %v on the Postgres port: lag is from PutAuditEvents' acknowledgement to the first poll that returned the marker.\n\n",
		l.clients, len(r.queries), r.cfg.loadFor, l.rate, ms(l.put.p50), ms(l.put.p99), l.flushAge, markerEvery, watchEvery)
}

func (r *report) profileDetail(b *strings.Builder) {
	b.WriteString("## Profiles\n\n")
	if len(r.profiles) == 0 {
		b.WriteString("Not taken in this run.\n\n")
	}
	for _, p := range r.profiles {
		cpu, mem := shownPath(p.cpuPath), shownPath(p.memPath)
		fmt.Fprintf(b, "### %s\n\n%s. Profiles: `%s`, `%s` (`go tool pprof -http : %s %s`).\n\n", p.name, p.what, cpu, mem, shownPath(r.machine.Auditlak), cpu)
		fmt.Fprintf(b, "CPU, top %d by flat time:\n\n```\n%s\n```\n\nCPU, top %d by cumulative time:\n\n```\n%s\n```\n\nAllocations (alloc_space), top %d:\n\n```\n%s\n```\n\n",
			profileTop, p.cpuTop, profileTop, p.cpuCum, profileTop, p.allocTop)
	}
	b.WriteString("### The three biggest costs and what would remove them\n\n")
	b.WriteString("To be written from a full run's profiles (bench/README.md keeps the latest):\n\n1. ...\n2. ...\n3. ...\n\n")
}

func (r *report) sqlDetail(b *strings.Builder) {
	if len(r.queries) == 0 {
		return
	}
	b.WriteString("## The queries\n\n`{T}` is the bench store, `{D}` the data-events store: their IDs for auditlake, `read_parquet(...)` of their segments or the unnested `read_json(...)` of the trail files (data events only for `{D}`) for DuckDB.\n\n")
	b.WriteString("| query | SQL |\n|---|---|\n")
	for _, q := range r.queries {
		fmt.Fprintf(b, "| %s %s | `%s` |\n", q.ID, q.Name, q.SQL)
		if q.Duck != "" {
			fmt.Fprintf(b, "| %s for DuckDB | `%s` |\n", q.ID, q.Duck)
		}
	}
	b.WriteString("\n")
}

// shownPath writes a path of this machine as the report shows it: under
// the temporary folder as $TMPDIR/..., under the working folder relative
// to it, so that a committed report names no machine's folders.
func shownPath(p string) string {
	if rel, err := filepath.Rel(os.TempDir(), p); err == nil && !strings.HasPrefix(rel, "..") {
		return filepath.Join("$TMPDIR", rel)
	}
	if wd, err := os.Getwd(); err == nil {
		if rel, err := filepath.Rel(wd, p); err == nil && !strings.HasPrefix(rel, "..") {
			return rel
		}
	}
	return p
}
