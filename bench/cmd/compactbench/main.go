// Command compactbench measures what compaction does for a store fed by
// streaming ingest. It fills two stores with the same generated events and
// the same selectors: A by one bulk `auditlake ingest` of the trail, B
// through the write-ahead-log Sink (the path of PutAuditEvents, channels
// and self-audit events) in eventTime order with a flush every -flush-every
// of event time, so that B has many small segments per day as a stream
// makes them. It then reports, for B before compaction, B after
// `auditlake maintenance run` and A: segment files, bytes, bytes/event,
// row groups and the median time of the five standard queries
// (bench.AuditQueries) as `auditlake query --format csv` subprocesses,
// and the time and peak RSS of the compaction. It writes a Markdown report
// to -out. See docs/retention.md.
//
//	go run ./bench/cmd/compactbench -events 100000 -days 7 -out bench/results/compaction.md
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
	events, days, reps int
	seed               int64
	end                time.Time
	flushEvery         time.Duration
	appendEvents       int
	targetBytes        int64
	out, work, trail   string
	bin, profile       string
}

func main() {
	var c config
	var end string
	flag.IntVar(&c.events, "events", 100_000, "events to generate")
	flag.IntVar(&c.days, "days", 7, "days of history")
	flag.IntVar(&c.reps, "reps", 15, "timed runs of each query after one warm-up (the median is reported); at least 3")
	flag.Int64Var(&c.seed, "seed", 20260101, "generator seed")
	flag.StringVar(&end, "end", "2026-01-01", "exclusive end date of the generated history (UTC)")
	flag.DurationVar(&c.flushEvery, "flush-every", 5*time.Minute, "event time between two flushes of the streaming store (the Sink's flush age is 30s)")
	flag.IntVar(&c.appendEvents, "append-events", 100, "events per Append to the Sink at most (PutAuditEvents takes up to 100)")
	flag.Int64Var(&c.targetBytes, "target-segment-bytes", 0, "passed to maintenance run when > 0; 0: its default")
	flag.StringVar(&c.out, "out", "bench/results/compaction.md", "the Markdown report")
	flag.StringVar(&c.work, "work", "", "scratch folder for the two lakes (default: $TMPDIR/compactbench-<events>-<days>-<seed>)")
	flag.StringVar(&c.trail, "trail", "", "trail folder, generated once and reused (default: lakebench's $TMPDIR/lakebench-<events>-<days>-<seed>/trail)")
	flag.StringVar(&c.bin, "bin", "bin/auditlake", "auditlake binary; built with go build if missing")
	flag.StringVar(&c.profile, "compaction-cpuprofile", "", "write a CPU profile of the compaction pass to this file")
	flag.Parse()
	var err error
	if c.end, err = time.Parse(time.DateOnly, end); err != nil {
		log.Fatalf("compactbench: -end: %v", err)
	}
	c.reps = max(c.reps, 3)
	if c.flushEvery <= 0 || c.appendEvents <= 0 {
		log.Fatalf("compactbench: -flush-every and -append-events must be positive")
	}
	key := fmt.Sprintf("%d-%d-%d", c.events, c.days, c.seed)
	if c.work == "" {
		c.work = filepath.Join(os.TempDir(), "compactbench-"+key)
	}
	if c.trail == "" {
		c.trail = filepath.Join(os.TempDir(), "lakebench-"+key, "trail")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, c); err != nil {
		log.Fatalf("compactbench: %v", err)
	}
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
}

func run(ctx context.Context, c config) error {
	if err := os.MkdirAll(c.work, 0o755); err != nil {
		return err
	}
	bin, err := harness.EnsureBinary(ctx, c.bin)
	if err != nil {
		return err
	}
	r := &report{cfg: c, machine: harness.DescribeMachine(ctx)}
	logf("machine: %s", r.machine)
	if r.gen, err = generate(ctx, c); err != nil {
		return err
	}
	logf("trail: %d events in %d files, %d bytes", r.gen.Events, r.gen.Files, r.gen.Bytes)

	bulk := &lakeRun{label: "A: bulk ingest", dir: filepath.Join(c.work, "bulk")}
	stream := &lakeRun{label: "B: streaming", dir: filepath.Join(c.work, "stream")}
	for _, lr := range []*lakeRun{bulk, stream} {
		if err := createStore(ctx, bin, lr); err != nil {
			return err
		}
	}
	if r.bulkIngest, err = ingestBulk(ctx, bin, bulk.dir, c.trail); err != nil {
		return err
	}
	logf("bulk ingest: %v", r.bulkIngest.Wall.Round(time.Millisecond))
	if r.stream, err = feedStream(ctx, c, stream.dir); err != nil {
		return err
	}
	logf("streaming feed: %d events in %d appends and %d flushes, %v", r.stream.events, r.stream.appends, r.stream.flushes, r.stream.wall.Round(time.Millisecond))

	if r.bulk, err = storeFigures(ctx, bulk); err != nil {
		return err
	}
	if r.before, err = storeFigures(ctx, stream); err != nil {
		return err
	}
	arn, err := busiestPrincipal(ctx, bin, bulk)
	if err != nil {
		return err
	}
	r.queries = auditQueries(c, arn)
	if r.start, err = timeStart(ctx, c, bin, bulk); err != nil {
		return err
	}
	// B before compaction alone; then A and B after, interleaved run by
	// run, so that a change in the machine's load hits both alike.
	res, err := timeQueries(ctx, c, bin, r.queries, stream)
	if err != nil {
		return err
	}
	r.beforeQ = res[0]
	if r.compaction, r.compactSummary, err = compact(ctx, c, bin, stream.dir); err != nil {
		return err
	}
	logf("compaction: %v, %.0f MiB peak RSS: %s", r.compaction.Wall.Round(time.Millisecond), float64(r.compaction.MaxRSS)/(1<<20), r.compactSummary)
	if r.after, err = storeFigures(ctx, stream); err != nil {
		return err
	}
	res, err = timeQueries(ctx, c, bin, r.queries, bulk, stream)
	if err != nil {
		return err
	}
	r.bulkQ, r.afterQ = res[0], res[1]
	r.loadEnd = harness.LoadAvg()
	return r.write()
}
