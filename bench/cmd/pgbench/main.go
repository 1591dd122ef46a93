// Command pgbench measures how fast rows stream out of auditlake's Postgres
// wire port: rows per second of one store read through pgx, through psql
// (COPY ... TO STDOUT and a plain SELECT) and, as the baseline, through
// DuckDB in process reading the same Parquet segments. The goal of issue 6
// is that the port costs at most 2x. It writes a Markdown table to -out.
//
//	go run ./bench/cmd/pgbench -rows 100000 -out bench/results/pgbench.md
//
// The lake is made as bench/cmd/lakebench makes it: events from the bench
// generator, ingested by bin/auditlake into a store named "bench".
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"path/filepath"
	"time"

	"github.com/auditlake/auditlake/bench/harness"
)

type config struct {
	rows, reps     int
	seed           int64
	out, work, bin string
	cpuProfile     string
	shapes         []shape
}

func main() {
	var c config
	var only string
	flag.IntVar(&c.rows, "rows", 1_000_000, "rows to stream per run")
	flag.IntVar(&c.reps, "reps", 3, "timed runs per method, after one warm-up; the median is reported")
	flag.Int64Var(&c.seed, "seed", 20260101, "generator seed")
	flag.StringVar(&c.out, "out", "bench/results/pgbench.md", "the Markdown report")
	flag.StringVar(&c.work, "work", "", "scratch folder for trail files and the lake (default: $TMPDIR/pgbench-<rows>-<seed>; reused)")
	flag.StringVar(&c.bin, "bin", "bin/auditlake", "auditlake binary; built with go build if missing")
	flag.StringVar(&c.cpuProfile, "cpuprofile", "", "write a CPU profile of the server (auditlake serve) to this file")
	flag.StringVar(&only, "shape", "", "run one row shape only: flat or nested")
	flag.Parse()
	for _, s := range shapes {
		if only == "" || only == s.name {
			c.shapes = append(c.shapes, s)
		}
	}
	if len(c.shapes) == 0 {
		log.Fatalf("pgbench: -shape %q: want flat or nested", only)
	}
	if c.work == "" {
		c.work = filepath.Join(os.TempDir(), fmt.Sprintf("pgbench-%d-%d", c.rows, c.seed))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, c); err != nil {
		log.Fatalf("pgbench: %v", err)
	}
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
}

// shape is the columns a run reads.
type shape struct {
	name, cols, note string
}

var shapes = []shape{
	{"flat", "eventTime, eventSource, eventName, awsRegion, sourceIPAddress, userAgent, errorCode, readOnly, recipientAccountId",
		"9 scalar columns"},
	{"nested", "eventTime, eventName, userIdentity, requestParameters, resources",
		"2 scalar columns + a struct, a map and a list (JSON text on the wire)"},
}

func run(ctx context.Context, c config) error {
	bin, err := harness.EnsureBinary(ctx, c.bin)
	if err != nil {
		return err
	}
	lk, err := prepareLake(ctx, c, bin)
	if err != nil {
		return err
	}
	r := &report{cfg: c, lake: lk, machine: func() string { m := harness.DescribeMachine(ctx); return m.String() + ", load average " + m.Load }()}
	if err := measureEngine(ctx, c, lk, r); err != nil {
		return err
	}
	db, err := openDuck(ctx, c, lk)
	if err != nil {
		return err
	}
	defer db.Close()
	srv, err := startServer(ctx, c, bin, lk)
	if err != nil {
		return err
	}
	for _, s := range c.shapes {
		if err = measurePort(ctx, c, lk, db, srv, s, r); err != nil {
			break
		}
	}
	if stopErr := srv.stop(); err == nil {
		err = stopErr
	}
	if err != nil {
		return err
	}
	return r.write(c.out)
}
