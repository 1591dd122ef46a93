package main

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/auditlake/auditlake/bench/harness"
)

// windowResult is Q4 over a window of days ending at the history's end.
type windowResult struct {
	days      int
	events    int64 // events of the bench store in the window
	api, duck time.Duration
	rows      int
}

// storesResult is Q4 over the union of the first k stores.
type storesResult struct {
	k         int
	events    int64
	api, duck time.Duration
}

// clientsResult is N clients running Q4 in a loop for a fixed time,
// through the API and, as the baseline, on DuckDB (a new database per
// query, N goroutines).
type clientsResult struct {
	n                  int
	api, duck          latencies
	apiErrors, apiRuns int
	refused            int64 // StartQuery calls refused as over the concurrent-query quota, then retried
	firstErr           string
}

// scaleResult is the query set on a store of another size.
type scaleResult struct {
	events, days int
	benchEvents  int
	build        harness.Proc
	compact      *harness.Proc // nil when the lake was not compacted
	results      []queryResult // cli, duckCold, cliRows, duckRows
}

// latencies summarizes the latencies of runs over a span of wall time.
type latencies struct {
	n             int
	span          time.Duration
	p50, p95, p99 time.Duration
}

func summarize(ds []time.Duration, span time.Duration) latencies {
	return latencies{n: len(ds), span: span, p50: percentile(ds, 50), p95: percentile(ds, 95), p99: percentile(ds, 99)}
}

func (l latencies) perSecond() float64 {
	if l.span <= 0 {
		return 0
	}
	return float64(l.n) / l.span.Seconds()
}

// percentile returns the p-th percentile of ds by the nearest-rank method:
// the smallest value at or below which p percent of the values lie. Zero
// for none.
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	k := int(math.Ceil(p / 100 * float64(len(s))))
	return s[min(max(k, 1), len(s))-1]
}

func duckRel(ql *queryLake, id string) string {
	return "read_parquet(" + quote(segmentGlob(ql.dir, id)) + ")"
}

func countWhere(ctx context.Context, db *sql.DB, rel, where string) (int64, error) {
	var n int64
	err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+rel+" WHERE "+where).Scan(&n)
	return n, err
}

// measureWindows runs Q4 over windows of c.windows days ending at the
// history's end, through the API and on a new DuckDB database.
func measureWindows(ctx context.Context, c config, db *sql.DB, srv *server, ql *queryLake, r *report) error {
	reps := max(c.reps, 3)
	pq := duckRel(ql, ql.bench)
	for _, days := range c.windows {
		from := c.end.AddDate(0, 0, -days)
		w := windowResult{days: days}
		var err error
		if w.events, err = countWhere(ctx, db, pq, window(from, days)); err != nil {
			return err
		}
		q := query{SQL: windowQuery(from, days)}
		if w.api, w.rows, err = timeN(reps, func() (int, error) { return srv.apiQuery(ctx, q.on(ql.bench, ql.data)) }); err != nil {
			return fmt.Errorf("window %d days through the API: %w", days, err)
		}
		if w.duck, _, err = timeN(reps, func() (int, error) { _, n, err := timeDuckFresh(ctx, q.onDuck(pq, "")); return n, err }); err != nil {
			return err
		}
		logf("window %d days (%d events): API %v, DuckDB %v", days, w.events, w.api.Round(time.Millisecond), w.duck.Round(time.Millisecond))
		r.windows = append(r.windows, w)
	}
	return nil
}

// measureStores runs Q4 over the union of 1, 2, ... of the query lake's
// stores.
func measureStores(ctx context.Context, c config, db *sql.DB, srv *server, ql *queryLake, r *report) error {
	reps := max(c.reps, 3)
	for k := 1; k <= len(ql.stores); k++ {
		ids, rels := ql.stores[:k], make([]string, k)
		s := storesResult{k: k}
		for i, id := range ids {
			rels[i] = duckRel(ql, id)
			n, err := countWhere(ctx, db, rels[i], window(r.day, 1))
			if err != nil {
				return err
			}
			s.events += n
		}
		var err error
		if s.api, _, err = timeN(reps, func() (int, error) { return srv.apiQuery(ctx, storesQuery(ids, r.day)) }); err != nil {
			return fmt.Errorf("%d stores through the API: %w", k, err)
		}
		if s.duck, _, err = timeN(reps, func() (int, error) { _, n, err := timeDuckFresh(ctx, storesQuery(rels, r.day)); return n, err }); err != nil {
			return err
		}
		logf("%d stores (%d events in the day): API %v, DuckDB %v", k, s.events, s.api.Round(time.Millisecond), s.duck.Round(time.Millisecond))
		r.stores = append(r.stores, s)
	}
	return nil
}

// loop runs fn in n goroutines until d has passed and returns the
// latencies of the runs that succeeded, the number that failed and the
// first error.
func loop(ctx context.Context, n int, d time.Duration, fn func(client, i int) error) (latencies, int, error) {
	var mu sync.Mutex
	var ds []time.Duration
	var failed int
	var firstErr error
	var wg sync.WaitGroup
	start := time.Now()
	deadline := start.Add(d)
	for w := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; time.Now().Before(deadline) && ctx.Err() == nil; i++ {
				t := time.Now()
				err := fn(w, i)
				el := time.Since(t)
				mu.Lock()
				if err != nil {
					failed++
					if firstErr == nil {
						firstErr = err
					}
				} else {
					ds = append(ds, el)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return summarize(ds, time.Since(start)), failed, firstErr
}

// measureClients runs Q4 from 1, 4 and 16 concurrent API clients, and the
// same number of goroutines each opening a new DuckDB database per query.
func measureClients(ctx context.Context, c config, db *sql.DB, srv *server, ql *queryLake, r *report) error {
	q := query{SQL: windowQuery(r.day, 1)}
	apiSQL, duckSQL := q.on(ql.bench, ql.data), q.onDuck(duckRel(ql, ql.bench), "")
	for _, n := range c.clients {
		cr := clientsResult{n: n}
		refused0 := srv.refused.Load()
		var err error
		cr.api, cr.apiErrors, err = loop(ctx, n, c.clientsFor, func(int, int) error { _, err := srv.apiQuery(ctx, apiSQL); return err })
		if err != nil {
			cr.firstErr = err.Error()
		}
		cr.apiRuns, cr.refused = cr.api.n+cr.apiErrors, srv.refused.Load()-refused0
		duck, failed, err := loop(ctx, n, c.clientsFor, func(int, int) error { _, _, err := timeDuckFresh(ctx, duckSQL); return err })
		if failed > 0 {
			return fmt.Errorf("%d clients on DuckDB: %w", n, err)
		}
		cr.duck = duck
		logf("%d clients: API %.1f queries/s p50 %v p95 %v (%d errors, %d StartQuery refused as over the quota and retried); DuckDB %.1f queries/s p50 %v", n, cr.api.perSecond(), cr.api.p50.Round(time.Millisecond),
			cr.api.p95.Round(time.Millisecond), cr.apiErrors, cr.refused, duck.perSecond(), duck.p50.Round(time.Millisecond))
		r.clients = append(r.clients, cr)
	}
	return nil
}

// measureScale runs the query set through `auditlake query` and on a new
// DuckDB database over a lake of n events. The history is longer in
// proportion, so that a day holds as many events as in the main run: a
// store grows by keeping more time, and a one-day query should not notice.
func measureScale(ctx context.Context, c config, db *sql.DB, bin string, n int, r *report) error {
	days := int(math.Ceil(float64(c.days) * float64(n) / float64(c.events)))
	trail, _, err := generate(ctx, c, n, days)
	if err != nil {
		return err
	}
	dir := filepath.Join(c.work, fmt.Sprintf("lake-%d", n))
	defer os.RemoveAll(dir)
	ql, err := buildQueryLake(ctx, c, bin, trail, dir, 2)
	if err != nil {
		return err
	}
	sr := scaleResult{events: n, days: days, benchEvents: ql.benchEvents, build: ql.build, compact: ql.compact}
	pqT, pqD := duckRel(ql, ql.bench), duckRel(ql, ql.data)
	arn, err := busiestPrincipal(ctx, db, pqT)
	if err != nil {
		return err
	}
	reps := max(c.reps, 3)
	for _, q := range auditQueries(r.day, r.week, arn) {
		qr := queryResult{q: q}
		qr.cli, qr.cliRows, err = timeN(reps, func() (int, error) {
			p, err := harness.Run(ctx, nil, true, bin, "--lake", dir, "query", "--format", "csv", q.on(ql.bench, ql.data))
			return countCSVRows(p.Stdout), err
		})
		if err != nil {
			return fmt.Errorf("%d events, %s: %w", n, q.ID, err)
		}
		if qr.duckCold, qr.duckRows, err = timeN(reps, func() (int, error) { _, n, err := timeDuckFresh(ctx, q.onDuck(pqT, pqD)); return n, err }); err != nil {
			return fmt.Errorf("%d events, %s on DuckDB: %w", n, q.ID, err)
		}
		logf("%d events, %s: auditlake query %v (%d rows), DuckDB %v (%d rows)", n, q.ID, qr.cli.Round(time.Millisecond), qr.cliRows,
			qr.duckCold.Round(time.Millisecond), qr.duckRows)
		sr.results = append(sr.results, qr)
	}
	r.scale = append(r.scale, sr)
	return nil
}
