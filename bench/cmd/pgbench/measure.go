package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	_ "github.com/duckdb/duckdb-go/v2" // registers the "duckdb" driver
	"github.com/jackc/pgx/v5"

	"github.com/auditlake/auditlake/lake"
	"github.com/auditlake/auditlake/query"
)

// Methods, in the order of the report.
const (
	methodDuckDB     = "DuckDB in process (duckdb-go, read_parquet of the segments)"
	methodEngine     = "auditlake engine in process (query.Engine, no wire)"
	methodPgx        = "pgx (extended protocol, binary where it can, rows decoded)"
	methodPgxRaw     = "pgx, raw values (rows streamed, not decoded)"
	methodPsqlCopy   = "psql COPY (SELECT ...) TO STDOUT > /dev/null"
	methodPsqlSelect = "psql SELECT > /dev/null"
)

// result is one method's figure for one shape.
type result struct {
	shape, method string
	wall          time.Duration // median
	rows          int
}

// method is one way of reading the rows; run returns how many it read.
type method struct {
	name string
	run  func() (int, error)
}

// timeRounds runs each method once to warm up, then reps rounds of every
// method in turn, so that a change of load on a shared machine touches all
// of them alike. It checks every run returns want rows and adds the median
// of each method to r.
func timeRounds(c config, s shape, r *report, methods []method) error {
	walls := make([][]time.Duration, len(methods))
	for round := 0; round <= c.reps; round++ {
		for i, m := range methods {
			start := time.Now()
			n, err := m.run()
			d := time.Since(start)
			if err != nil {
				return fmt.Errorf("%s, %s: %w", s.name, m.name, err)
			}
			if n != c.rows {
				return fmt.Errorf("%s, %s: %d rows, want %d", s.name, m.name, n, c.rows)
			}
			if round > 0 {
				walls[i] = append(walls[i], d)
			}
		}
	}
	for i, m := range methods {
		slices.Sort(walls[i])
		med := walls[i][len(walls[i])/2]
		logf("%s, %s: %v median of %d, %.0f rows/s", s.name, m.name, med.Round(time.Millisecond), len(walls[i]), float64(c.rows)/med.Seconds())
		r.add(result{shape: s.name, method: m.name, wall: med, rows: c.rows})
	}
	return nil
}

func (s shape) sql(from string, rows int) string {
	return fmt.Sprintf("SELECT %s FROM %s LIMIT %d", s.cols, from, rows)
}

// openDuck opens an in-memory DuckDB in UTC and checks the store has
// enough rows.
func openDuck(ctx context.Context, c config, lk benchLake) (*sql.DB, error) {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	var total int
	if _, err := db.ExecContext(ctx, "SET TimeZone = 'UTC'"); err != nil {
		return nil, err
	}
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM read_parquet("+quote(lk.segmentGlob())+")").Scan(&total); err != nil {
		return nil, fmt.Errorf("count rows: %w", err)
	}
	if total < c.rows {
		return nil, fmt.Errorf("the store has %d rows, fewer than -rows %d", total, c.rows)
	}
	return db, nil
}

// duckMethod reads the rows with DuckDB over the store's Parquet
// segments, scanning every value into Go, as database/sql clients do.
func duckMethod(ctx context.Context, db *sql.DB, c config, lk benchLake, s shape) method {
	q := s.sql("read_parquet("+quote(lk.segmentGlob())+")", c.rows)
	return method{methodDuckDB, func() (int, error) {
		rows, err := db.QueryContext(ctx, q)
		if err != nil {
			return 0, err
		}
		defer rows.Close()
		cols, err := rows.Columns()
		if err != nil {
			return 0, err
		}
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		n := 0
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				return n, err
			}
			n++
		}
		return n, rows.Err()
	}}
}

// measureEngine times auditlake's query engine in this process: the
// engine without the wire. It runs before the server, which holds the
// lake's lock.
func measureEngine(ctx context.Context, c config, lk benchLake, r *report) error {
	l, err := lake.Open(ctx, lk.dir, lake.Options{})
	if err != nil {
		return err
	}
	defer l.Close()
	eng, err := query.NewEngine(l, query.Options{TempDir: filepath.Join(lk.dir, "tmp")})
	if err != nil {
		return err
	}
	defer eng.Close()
	for _, s := range c.shapes {
		err := timeRounds(c, s, r, []method{{methodEngine, func() (int, error) {
			rows, err := eng.Query(ctx, s.sql(lk.storeID, c.rows))
			if err != nil {
				return 0, err
			}
			defer rows.Close()
			n := 0
			for rows.Next() {
				_ = rows.Values()
				n++
			}
			return n, rows.Err()
		}}})
		if err != nil {
			return err
		}
	}
	return nil
}

// measurePort times DuckDB in process and the same rows through the
// Postgres port (pgx; psql with COPY and with a plain SELECT, output to
// /dev/null), in rounds.
func measurePort(ctx context.Context, c config, lk benchLake, db *sql.DB, srv *server, s shape, r *report) error {
	q := s.sql(lk.storeID, c.rows)
	conn, err := pgx.Connect(ctx, srv.dsn())
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	pgxRun := func(decode bool) func() (int, error) {
		return func() (int, error) {
			rows, err := conn.Query(ctx, q)
			if err != nil {
				return 0, err
			}
			defer rows.Close()
			n := 0
			for rows.Next() {
				if decode {
					if _, err := rows.Values(); err != nil {
						return n, err
					}
				} else {
					_ = rows.RawValues()
				}
				n++
			}
			return n, rows.Err()
		}
	}
	methods := []method{duckMethod(ctx, db, c, lk, s), {methodPgx, pgxRun(true)}, {methodPgxRaw, pgxRun(false)}}
	if psql, err := exec.LookPath("psql"); err != nil {
		logf("psql not found: no psql figures")
	} else {
		methods = append(methods,
			method{methodPsqlCopy, func() (int, error) { return runPsql(ctx, psql, srv, "COPY ("+q+") TO STDOUT", "COPY") }},
			method{methodPsqlSelect, func() (int, error) { return runPsql(ctx, psql, srv, q, "SELECT") }})
	}
	return timeRounds(c, s, r, methods)
}

// runPsql runs one statement with psql and returns the rows it produced:
// for SELECT psql's own count (:ROW_COUNT), the rows going to /dev/null;
// for COPY, whose data goes to standard output, the lines that came out.
func runPsql(ctx context.Context, psql string, srv *server, sqlText, verb string) (int, error) {
	args := []string{"-X", "-q", "-v", "ON_ERROR_STOP=1", "-At", srv.dsn(), "-c", sqlText}
	if verb == "SELECT" {
		args = append(args, "-o", os.DevNull, "-c", `\echo SELECT :ROW_COUNT`)
	}
	cmd := exec.CommandContext(ctx, psql, args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return 0, err
	}
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	var echo []byte
	lines := 0
	buf := make([]byte, 256<<10)
	for {
		n, rerr := stdout.Read(buf)
		lines += bytes.Count(buf[:n], []byte{'\n'})
		if verb == "SELECT" {
			echo = append(echo, buf[:n]...)
		}
		if rerr != nil {
			break
		}
	}
	if err := cmd.Wait(); err != nil {
		return 0, fmt.Errorf("psql: %w: %s", err, stderr.String())
	}
	if verb == "COPY" {
		return lines, nil
	}
	var n int
	if _, err := fmt.Sscanf(strings.TrimSpace(string(echo)), "SELECT %d", &n); err != nil {
		return 0, fmt.Errorf("psql printed %q: %w", echo, err)
	}
	return n, nil
}

func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
