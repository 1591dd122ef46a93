package main

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/auditlake/auditlake/bench"

	"github.com/auditlake/auditlake/bench/harness"
)

// queryResult is one query through every path. A zero duration is a path
// that was not run.
type queryResult struct {
	q                   query
	cli, api, pg        time.Duration
	duck, duckCold, raw time.Duration // duck: warm in-process database; duckCold: a new database per run
	cliRSS              int64
	cliRows, apiRows    int
	pgRows, duckRows    int
	rawRows             int
	rawTimedOut         bool
	rawErr              string
}

// baselines are the fixed costs the ratios take off: what a trivial query
// costs on each path.
type baselines struct {
	startSQL  string
	start     time.Duration // auditlake query process, SELECT 1
	duckStart time.Duration // a new DuckDB database answering SELECT 1
	apiRTT    time.Duration // one signed API call (ListEventDataStores)
	pgRTT     time.Duration // SELECT 1 on an open Postgres connection
}

// timeN runs fn reps times after one warm-up and returns the median wall
// time and the last row count.
func timeN(reps int, fn func() (int, error)) (time.Duration, int, error) {
	if _, err := fn(); err != nil {
		return 0, 0, err
	}
	var ds []time.Duration
	n := 0
	for i := 0; i < reps; i++ {
		start := time.Now()
		var err error
		if n, err = fn(); err != nil {
			return 0, 0, err
		}
		ds = append(ds, time.Since(start))
	}
	return harness.Median(ds), n, nil
}

// measureQueries runs the audit queries on the query lake through each
// path: auditlake query (one process per run), DuckDB over the stores'
// Parquet segments (warm, and a new database per run), DuckDB over the raw
// trail files, then with `auditlake serve` running the API and the
// Postgres port, and the window, stores, clients, load and query-profile
// figures.
func measureQueries(ctx context.Context, c config, db *sql.DB, bin string, ql *queryLake, trail string, r *report) error {
	pqT := "read_parquet(" + quote(segmentGlob(ql.dir, ql.bench)) + ")"
	pqD := "read_parquet(" + quote(segmentGlob(ql.dir, ql.data)) + ")"
	arn, err := busiestPrincipal(ctx, db, pqT)
	if err != nil {
		return err
	}
	r.day, r.week = bench.QueryDay(c.end), c.end.AddDate(0, 0, -8)
	r.queries = auditQueries(r.day, r.week, arn)
	reps := max(c.reps, 3)
	b := &r.base
	res := make([]queryResult, len(r.queries))
	for i, q := range r.queries {
		res[i].q = q
	}

	if c.on("cli") {
		cli := func(sqlText string) (harness.Proc, error) {
			return harness.Run(ctx, nil, true, bin, "--lake", ql.dir, "query", "--format", "csv", sqlText)
		}
		b.startSQL = "SELECT 1"
		if _, err := cli(b.startSQL); err != nil {
			logf("SELECT 1 refused (%v); timing a trivial store query instead", err)
			b.startSQL = "SELECT eventName FROM " + ql.bench + " LIMIT 1"
		}
		if b.start, _, err = timeN(reps, func() (int, error) { _, err := cli(b.startSQL); return 0, err }); err != nil {
			return err
		}
		logf("process start (%s): %v", b.startSQL, b.start)
		for i := range res {
			var rss []int64
			q := res[i].q
			res[i].cli, res[i].cliRows, err = timeN(reps, func() (int, error) {
				p, err := cli(q.on(ql.bench, ql.data))
				rss = append(rss, p.MaxRSS)
				return countCSVRows(p.Stdout), err
			})
			if err != nil {
				return fmt.Errorf("%s through auditlake query: %w", q.ID, err)
			}
			res[i].cliRSS = harness.Median(rss)
			logf("%s auditlake query: %v (%d rows)", q.ID, res[i].cli.Round(time.Millisecond), res[i].cliRows)
		}
	}

	if b.duckStart, _, err = timeN(reps, func() (int, error) { _, n, err := timeDuckFresh(ctx, "SELECT 1"); return n, err }); err != nil {
		return err
	}
	for i := range res {
		q := res[i].q
		sqlText := q.onDuck(pqT, pqD)
		if res[i].duck, res[i].duckRows, err = timeN(reps, func() (int, error) { _, n, err := timeDuck(ctx, db, sqlText); return n, err }); err != nil {
			return fmt.Errorf("%s on DuckDB: %w", q.ID, err)
		}
		if res[i].duckCold, _, err = timeN(reps, func() (int, error) { _, n, err := timeDuckFresh(ctx, sqlText); return n, err }); err != nil {
			return fmt.Errorf("%s on a new DuckDB: %w", q.ID, err)
		}
		if c.on("raw") {
			raw := "(" + rawRowsSQL(trail, q.usesEventJSON()) + ")"
			rawD := "(SELECT * FROM " + raw + " WHERE eventCategory = 'Data')"
			rctx, cancel := context.WithTimeout(ctx, c.rawTimeout)
			start := time.Now()
			_, n, err := timeDuck(rctx, db, q.onDuck(raw, rawD))
			res[i].raw = time.Since(start)
			cancel()
			switch {
			case err != nil && rctx.Err() != nil && ctx.Err() == nil:
				res[i].rawTimedOut, res[i].raw = true, c.rawTimeout
			case err != nil:
				res[i].rawErr = err.Error()
			default:
				res[i].rawRows = n
			}
		}
		logf("%s DuckDB: warm %v, new database %v (%d rows); raw %v (%d rows) %s", q.ID, res[i].duck.Round(time.Millisecond),
			res[i].duckCold.Round(time.Millisecond), res[i].duckRows, res[i].raw.Round(time.Millisecond), res[i].rawRows, res[i].rawErr)
	}
	r.results = res

	if c.on("api") || c.on("pg") || c.on("windows") || c.on("stores") || c.on("clients") {
		if err := measureServed(ctx, c, db, bin, ql, r); err != nil {
			return err
		}
	}
	if c.on("load") {
		if err := measureLoad(ctx, c, bin, ql, r); err != nil {
			return err
		}
	}
	if c.on("profile") {
		if err := profileQueries(ctx, c, bin, ql, r); err != nil {
			return err
		}
	}
	return nil
}

// measureServed starts `auditlake serve` on the query lake and runs the
// queries through the API and the Postgres port, then the window, stores
// and clients figures.
func measureServed(ctx context.Context, c config, db *sql.DB, bin string, ql *queryLake, r *report) (err error) {
	srv, err := startServer(ctx, bin, ql.dir)
	if err != nil {
		return err
	}
	defer func() {
		if _, serr := srv.stop(); err == nil {
			err = serr
		}
	}()
	reps := max(c.reps, 3)
	b := &r.base
	if c.on("api") {
		if b.apiRTT, _, err = timeN(reps, func() (int, error) { _, err := srv.roundTrip(ctx); return 0, err }); err != nil {
			return err
		}
		logf("API round trip: %v", b.apiRTT)
		for i := range r.results {
			q := r.results[i].q
			if r.results[i].api, r.results[i].apiRows, err = timeN(reps, func() (int, error) { return srv.apiQuery(ctx, q.on(ql.bench, ql.data)) }); err != nil {
				return fmt.Errorf("%s through the API: %w", q.ID, err)
			}
			logf("%s API: %v (%d rows)", q.ID, r.results[i].api.Round(time.Millisecond), r.results[i].apiRows)
		}
	}
	if c.on("pg") {
		conn, err := srv.pgConnect(ctx)
		if err != nil {
			return fmt.Errorf("postgres port: %w", err)
		}
		defer conn.Close(context.WithoutCancel(ctx))
		if b.pgRTT, _, err = timeN(reps, func() (int, error) { return pgQuery(ctx, conn, "SELECT 1") }); err != nil {
			return err
		}
		logf("Postgres round trip (SELECT 1): %v", b.pgRTT)
		for i := range r.results {
			q := r.results[i].q
			if r.results[i].pg, r.results[i].pgRows, err = timeN(reps, func() (int, error) { return pgQuery(ctx, conn, q.on(ql.bench, ql.data)) }); err != nil {
				return fmt.Errorf("%s through the Postgres port: %w", q.ID, err)
			}
			logf("%s Postgres: %v (%d rows)", q.ID, r.results[i].pg.Round(time.Millisecond), r.results[i].pgRows)
		}
	}
	if c.on("windows") {
		if err := measureWindows(ctx, c, db, srv, ql, r); err != nil {
			return err
		}
	}
	if c.on("stores") {
		if err := measureStores(ctx, c, db, srv, ql, r); err != nil {
			return err
		}
	}
	if c.on("clients") {
		if err := measureClients(ctx, c, db, srv, ql, r); err != nil {
			return err
		}
	}
	return nil
}

// busiestPrincipal returns the principal with the most events of rel.
func busiestPrincipal(ctx context.Context, db *sql.DB, rel string) (string, error) {
	var arn string
	if err := db.QueryRowContext(ctx, strings.ReplaceAll(bench.BusiestPrincipalSQL, "{T}", rel)).Scan(&arn); err != nil {
		return "", fmt.Errorf("pick principal: %w", err)
	}
	return arn, nil
}
