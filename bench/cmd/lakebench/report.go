package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/auditlake/auditlake/bench"

	"github.com/auditlake/auditlake/bench/harness"
)

// report collects every measurement of one run.
type report struct {
	cfg     config
	machine machine
	gen     bench.GenerateStats
	trail   string
	took    time.Duration

	ingests           []ingestRun // auditlake's ways in
	convert           ingestRun   // DuckDB's conversion, the baseline
	ingested, refused int
	ingestSummary     string
	duckParquet       string

	queryLake            *queryLake
	lakeBytes, duckBytes int64
	lakeFiles            int
	lakeRows             int64
	coverage             []string // events missing from the lake, by kind

	day, week time.Time
	base      baselines
	queries   []query
	results   []queryResult
	windows   []windowResult
	stores    []storesResult
	clients   []clientsResult
	scale     []scaleResult
	load      *loadResult
	profiles  []profile

	notes, warnings []string
}

// row is one figure beside its baseline: a line of report.csv and of a
// table in report.md.
type row struct {
	section, figure, lake, base, ratio, goal, met string
}

func ms(d time.Duration) string {
	if d == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f ms", float64(d)/1e6)
}
func secs(d time.Duration) string { return fmt.Sprintf("%.2f s", d.Seconds()) }
func mib(b int64) string          { return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20)) }
func ratio(a, b float64) string {
	if b == 0 || a == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2fx", a/b)
}
func yes(ok bool) string {
	if ok {
		return "yes"
	}
	return "NO"
}

// perCore is a rate per second of CPU time: what one fully used core does.
func perCore(x float64, cpu time.Duration) float64 {
	if cpu <= 0 {
		return 0
	}
	return x / cpu.Seconds()
}

// ingestRows compares each ingest path with DuckDB's conversion. The goal
// is on input events per second: both read the same trail files, and each
// decodes every event in them, while auditlake's bench store keeps only
// those its selectors choose (893,534 of 1M at the default size) and DuckDB
// converts all of them. Stored events per second is shown beside it.
func (r *report) ingestRows() []row {
	var rows []row
	cv := r.convert
	cvRate := float64(cv.inEvents) / cv.medWall().Seconds()
	cvPerCore := perCore(float64(cv.inEvents), cv.medCPU())
	for _, in := range r.ingests {
		w, cpu := in.medWall(), in.medCPU()
		rate := float64(in.inEvents) / w.Seconds()
		stored := float64(in.events) / w.Seconds()
		rss := harness.Median(in.rss)
		rows = append(rows,
			row{"ingest", in.name + ": input events/s (vs DuckDB's conversion)", fmt.Sprintf("%.0f", rate), fmt.Sprintf("%.0f", cvRate), ratio(rate, cvRate), ">= 1x (stretch 2x)", goalMet(cv.inEvents > 0, rate >= cvRate)},
			row{"ingest", in.name + ": stored events/s (vs DuckDB's converted rows/s)", fmt.Sprintf("%.0f", stored), fmt.Sprintf("%.0f", float64(cv.events)/cv.medWall().Seconds()), ratio(stored, float64(cv.events)/cv.medWall().Seconds()), "-", "-"},
			row{"ingest", in.name + ": input events/s per core (events / CPU s)", fmt.Sprintf("%.0f", perCore(float64(in.inEvents), cpu)), fmt.Sprintf("%.0f", cvPerCore),
				ratio(perCore(float64(in.inEvents), cpu), cvPerCore), "-", "-"},
			row{"ingest", in.name + ": MB/s of input, per core", fmt.Sprintf("%.1f", perCore(float64(in.inBytes)/1e6, cpu)), fmt.Sprintf("%.1f", perCore(float64(cv.inBytes)/1e6, cv.medCPU())), "-", "-", "-"},
			row{"ingest", in.name + ": peak RSS", mib(rss), mib(harness.Median(cv.rss)), ratio(float64(rss), float64(harness.Median(cv.rss))), "< 1 GiB", yes(rss < 1<<30)},
		)
	}
	return rows
}

// goalMet is yes/NO when the baseline was measured, else "-".
func goalMet(measured, ok bool) string {
	if !measured {
		return "-"
	}
	return yes(ok)
}

func (r *report) storageRows() []row {
	if r.lakeRows == 0 {
		return nil
	}
	lakePer := float64(r.lakeBytes) / float64(r.lakeRows)
	inPer := float64(r.gen.Bytes) / float64(r.gen.Events)
	rows := []row{{"storage", "bytes/event (vs .json.gz input)", fmt.Sprintf("%.1f B", lakePer), fmt.Sprintf("%.1f B", inPer), ratio(lakePer, inPer), "<= 0.6x", yes(lakePer/inPer <= 0.6)}}
	if r.duckBytes > 0 {
		duckPer := float64(r.duckBytes) / float64(r.convert.events)
		rows = append(rows, row{"storage", "bytes/event (vs DuckDB default Parquet)", fmt.Sprintf("%.1f B", lakePer), fmt.Sprintf("%.1f B", duckPer), ratio(lakePer, duckPer), "-", "-"})
	}
	return rows
}

// queryRatios are a query's figures against their goals: auditlake query
// minus its process start against DuckDB in a new database minus its
// start; the API minus one round trip against DuckDB in a new database
// (the server opens one per query too); the Postgres port minus its
// SELECT 1 against the same; DuckDB on the raw files against auditlake
// query.
func (r *report) queryRatios(q queryResult) (cli, api, pg, speedup float64) {
	b := r.base
	coldNet := float64(q.duckCold - b.duckStart)
	if q.cli > 0 && coldNet > 0 {
		cli = float64(q.cli-b.start) / coldNet
	}
	if q.api > 0 && q.duckCold > 0 {
		api = float64(q.api-b.apiRTT) / float64(q.duckCold)
	}
	if q.pg > 0 && q.duckCold > 0 {
		pg = float64(q.pg-b.pgRTT) / float64(q.duckCold)
	}
	if q.raw > 0 && q.cli > 0 && q.rawErr == "" {
		speedup = float64(q.raw) / float64(q.cli)
	}
	return cli, api, pg, speedup
}

func (r *report) queryRows() []row {
	var rows []row
	b := r.base
	if b.start > 0 {
		rows = append(rows, row{"queries", "auditlake query process start (" + b.startSQL + ")", ms(b.start), ms(b.duckStart), "-", "-", "-"})
	}
	if b.apiRTT > 0 {
		rows = append(rows, row{"queries", "API round trip (ListEventDataStores)", ms(b.apiRTT), "-", "-", "-", "-"})
	}
	if b.pgRTT > 0 {
		rows = append(rows, row{"queries", "Postgres round trip (SELECT 1)", ms(b.pgRTT), "-", "-", "-", "-"})
	}
	for _, q := range r.results {
		cli, api, pg, speedup := r.queryRatios(q)
		name := q.q.ID + " " + q.q.Name
		if q.cli > 0 {
			rows = append(rows, row{"queries", name + ": auditlake query vs DuckDB in a new database, net of starts", ms(q.cli), ms(q.duckCold), fmt.Sprintf("%.2fx", cli), "<= 1.3x", yes(cli <= 1.3)})
		}
		if q.api > 0 {
			rows = append(rows, row{"queries", name + ": API (StartQuery to last page) vs DuckDB in a new database, net of one round trip", ms(q.api), ms(q.duckCold), fmt.Sprintf("%.2fx", api), "<= 1.5x", yes(api <= 1.5)})
		}
		if q.pg > 0 {
			rows = append(rows, row{"queries", name + ": Postgres port vs DuckDB in a new database, net of SELECT 1", ms(q.pg), ms(q.duckCold), fmt.Sprintf("%.2fx", pg), "-", "-"})
		}
		if q.cli > 0 {
			rows = append(rows, row{"queries", name + ": auditlake query vs warm in-process DuckDB, net of start", ms(q.cli), ms(q.duck), ratio(float64(q.cli-b.start), float64(q.duck)), "-", "-"})
		}
		switch {
		case q.raw == 0 || q.cli == 0:
		case q.rawErr != "":
			rows = append(rows, row{"queries", name + ": speed-up over DuckDB on raw .json.gz", ms(q.cli), "error", "-", ">= 100x", "-"})
		case q.rawTimedOut:
			rows = append(rows, row{"queries", name + ": speed-up over DuckDB on raw .json.gz", ms(q.cli), ">= " + ms(q.raw), fmt.Sprintf(">= %.0fx", speedup), ">= 100x", yes(speedup >= 100)})
		default:
			rows = append(rows, row{"queries", name + ": speed-up over DuckDB on raw .json.gz", ms(q.cli), ms(q.raw), fmt.Sprintf("%.0fx", speedup), ">= 100x", yes(speedup >= 100)})
		}
	}
	return rows
}

func (r *report) scaleRows() []row {
	var rows []row
	for _, w := range r.windows {
		rows = append(rows, row{"scale", fmt.Sprintf("Q4 over a window of %d day(s) (%d events), API vs DuckDB in a new database", w.days, w.events), ms(w.api), ms(w.duck), ratio(float64(w.api), float64(w.duck)), "-", "-"})
	}
	for _, s := range r.stores {
		rows = append(rows, row{"scale", fmt.Sprintf("Q4 one day over %d store(s) (%d events), API vs DuckDB in a new database", s.k, s.events), ms(s.api), ms(s.duck), ratio(float64(s.api), float64(s.duck)), "-", "-"})
	}
	for _, cr := range r.clients {
		rows = append(rows,
			row{"scale", fmt.Sprintf("%d concurrent clients, Q4: queries/s, API vs DuckDB (new database per query)", cr.n), fmt.Sprintf("%.1f", cr.api.perSecond()), fmt.Sprintf("%.1f", cr.duck.perSecond()), ratio(cr.api.perSecond(), cr.duck.perSecond()), "-", "-"},
			row{"scale", fmt.Sprintf("%d concurrent clients, Q4: p50 latency", cr.n), ms(cr.api.p50), ms(cr.duck.p50), ratio(float64(cr.api.p50), float64(cr.duck.p50)), "-", "-"},
			row{"scale", fmt.Sprintf("%d concurrent clients, Q4: p95 latency", cr.n), ms(cr.api.p95), ms(cr.duck.p95), ratio(float64(cr.api.p95), float64(cr.duck.p95)), "-", "-"},
			row{"scale", fmt.Sprintf("%d concurrent clients, Q4: errors", cr.n), fmt.Sprint(cr.apiErrors), "-", "-", "0", yes(cr.apiErrors == 0)},
			row{"scale", fmt.Sprintf("%d concurrent clients, Q4: StartQuery refused over the 10-query quota (retried; in the latency)", cr.n), fmt.Sprint(cr.refused), "-", "-", "-", "-"},
		)
	}
	if len(r.scale) > 0 {
		main := r.result("Q4")
		for _, s := range r.scale {
			q := scaleResultOf(s, "Q4")
			if main.cli == 0 || q.cli == 0 {
				continue
			}
			x := float64(q.cli) / float64(main.cli)
			rows = append(rows, row{"scale", fmt.Sprintf("Q4 one day, auditlake query at %d events vs at %d", s.events, r.cfg.events), ms(q.cli), ms(main.cli), fmt.Sprintf("%.2fx", x), "<= 1.5x", yes(x <= 1.5)})
			dx := float64(q.duckCold) / float64(main.duckCold)
			rows = append(rows, row{"scale", fmt.Sprintf("Q4 one day, DuckDB in a new database at %d events vs at %d", s.events, r.cfg.events), ms(q.duckCold), ms(main.duckCold), fmt.Sprintf("%.2fx", dx), "-", "-"})
		}
	}
	return rows
}

func (r *report) loadRows() []row {
	l := r.load
	if l == nil {
		return nil
	}
	return []row{
		{"load", fmt.Sprintf("PutAuditEvents acknowledged at %d events/s target", l.rate), fmt.Sprintf("%d events (%.0f/s)", l.putEvents, float64(l.putEvents)/l.put.span.Seconds()), "-", "-", "-", "-"},
		{"load", "PutAuditEvents errors (calls and events refused)", fmt.Sprint(l.putFailed), "-", "-", "0", yes(l.putFailed == 0)},
		{"load", fmt.Sprintf("ingest lag p50, ack to queryable (flush age %v)", l.flushAge), ms(l.lag.p50), "-", "-", "-", "-"},
		{"load", "ingest lag p95 / max", ms(l.lag.p95) + " / " + ms(l.lagMax), "-", "-", "-", "-"},
		{"load", "marker events seen in queries", fmt.Sprintf("%d of %d", l.markersSeen, l.markers), "-", "-", "all", yes(l.markers > 0 && l.markersSeen == l.markers)},
		{"load", fmt.Sprintf("%d clients' query latency p50 (vs the same clients without ingest)", l.clients), ms(l.query.p50), ms(l.base.p50), ratio(float64(l.query.p50), float64(l.base.p50)), "-", "-"},
		{"load", "query latency p95", ms(l.query.p95), ms(l.base.p95), ratio(float64(l.query.p95), float64(l.base.p95)), "-", "-"},
		{"load", "query latency p99", ms(l.query.p99), ms(l.base.p99), ratio(float64(l.query.p99), float64(l.base.p99)), "-", "-"},
		{"load", "queries/s", fmt.Sprintf("%.1f", l.query.perSecond()), fmt.Sprintf("%.1f", l.base.perSecond()), ratio(l.query.perSecond(), l.base.perSecond()), "-", "-"},
		{"load", "query errors", fmt.Sprint(l.queryErrors), fmt.Sprint(l.baseError), "-", "0", yes(l.queryErrors == 0 && l.baseError == 0)},
	}
}

func (r *report) rows() []row {
	var rows []row
	rows = append(rows, r.ingestRows()...)
	rows = append(rows, r.storageRows()...)
	rows = append(rows, r.queryRows()...)
	rows = append(rows, r.scaleRows()...)
	rows = append(rows, r.loadRows()...)
	return rows
}

func (r *report) result(id string) queryResult {
	for _, q := range r.results {
		if q.q.ID == id {
			return q
		}
	}
	return queryResult{}
}

func scaleResultOf(s scaleResult, id string) queryResult {
	for _, q := range s.results {
		if q.q.ID == id {
			return q
		}
	}
	return queryResult{}
}

// checks lists what makes the numbers suspect.
func (r *report) checks() []string {
	w := append([]string(nil), r.warnings...)
	if r.ingested > 0 && r.ingested != r.gen.Events {
		w = append(w, fmt.Sprintf("auditlake ingested %d events of %d generated (%d missing; %d records refused): the selectors or the decoder drop events", r.ingested, r.gen.Events, r.gen.Events-r.ingested, r.refused))
	}
	if len(r.coverage) > 0 {
		w = append(w, "events in DuckDB's conversion but not in the lake (eventCategory eventSource resources[1].type: count): "+strings.Join(r.coverage, "; "))
	}
	if r.queryLake != nil && int64(r.queryLake.benchEvents) != r.lakeRows {
		w = append(w, fmt.Sprintf("the bench store answers COUNT(*) = %d but its segments hold %d rows", r.queryLake.benchEvents, r.lakeRows))
	}
	if r.convert.events > 0 && r.convert.events != r.gen.Events {
		w = append(w, fmt.Sprintf("DuckDB converted %d rows of %d generated events", r.convert.events, r.gen.Events))
	}
	for _, in := range r.ingests {
		if r.ingested > 0 && in.events != r.ingested && !strings.HasPrefix(in.name, "PutAuditEvents") {
			w = append(w, fmt.Sprintf("%s stored %d events, auditlake ingest %d", in.name, in.events, r.ingested))
		}
	}
	for _, q := range r.results {
		for _, p := range []struct {
			path string
			ran  bool
			n    int
		}{{"auditlake query", q.cli > 0, q.cliRows}, {"the API", q.api > 0, q.apiRows}, {"the Postgres port", q.pg > 0, q.pgRows}} {
			if p.ran && p.n != q.duckRows {
				w = append(w, fmt.Sprintf("%s: %s returned %d rows, DuckDB on the same Parquet %d", q.q.ID, p.path, p.n, q.duckRows))
			}
		}
		if q.raw > 0 && !q.rawTimedOut && q.rawErr == "" && q.rawRows != q.duckRows && r.ingested == r.gen.Events {
			w = append(w, fmt.Sprintf("%s: DuckDB on raw JSON returned %d rows, on the lake Parquet %d", q.q.ID, q.rawRows, q.duckRows))
		}
		if q.rawErr != "" {
			w = append(w, fmt.Sprintf("%s on raw JSON failed: %s", q.q.ID, harness.Tail(q.rawErr, 300)))
		}
	}
	for _, s := range r.scale {
		for _, q := range s.results {
			if q.cliRows != q.duckRows {
				w = append(w, fmt.Sprintf("%d events, %s: auditlake query returned %d rows, DuckDB %d", s.events, q.q.ID, q.cliRows, q.duckRows))
			}
		}
	}
	for _, cr := range r.clients {
		if cr.apiErrors > 0 {
			w = append(w, fmt.Sprintf("%d clients: %d of %d API queries failed: %s", cr.n, cr.apiErrors, cr.apiRuns, harness.Tail(cr.firstErr, 300)))
		}
	}
	if l := r.load; l != nil {
		if l.putFailed > 0 {
			w = append(w, fmt.Sprintf("under load %d events were refused: %s", l.putFailed, harness.Tail(l.putErr, 300)))
		}
		if l.queryErrors+l.baseError > 0 {
			w = append(w, fmt.Sprintf("under load %d queries failed (%d without load): %s", l.queryErrors, l.baseError, harness.Tail(l.queryErr, 300)))
		}
		if l.markersSeen < l.markers {
			w = append(w, fmt.Sprintf("under load %d of %d marker events never became queryable", l.markers-l.markersSeen, l.markers))
		}
	}
	return w
}
