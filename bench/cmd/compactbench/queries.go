package main

import (
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/auditlake/auditlake/bench"

	"github.com/auditlake/auditlake/bench/harness"
)

// queryTiming is one query on one lake.
type queryTiming struct {
	wall   time.Duration // median
	best   time.Duration // fastest run: less sensitive to a shared machine's load
	rss    int64         // median peak RSS
	rows   int
	digest string // SHA-256 of the sorted result rows
}

func auditQueries(c config, arn string) []bench.Query {
	return bench.AuditQueries(bench.QueryDay(c.end), arn)
}

func cliQuery(ctx context.Context, bin string, lr *lakeRun, sql string) (harness.Proc, error) {
	return harness.Run(ctx, nil, true, bin, "--lake", lr.dir, "query", "--format", "csv", sql)
}

// busiestPrincipal returns the ARN of Q5's principal, from the lake.
func busiestPrincipal(ctx context.Context, bin string, lr *lakeRun) (string, error) {
	q := bench.Query{SQL: bench.BusiestPrincipalSQL}
	res, err := cliQuery(ctx, bin, lr, q.On(lr.storeID))
	if err != nil {
		return "", err
	}
	rows := csvRows(res.Stdout)
	if len(rows) != 1 {
		return "", fmt.Errorf("busiest principal: %d rows", len(rows))
	}
	rec, err := csv.NewReader(strings.NewReader(rows[0])).Read()
	if err != nil || len(rec) != 1 {
		return "", fmt.Errorf("busiest principal: cannot read %q: %v", rows[0], err)
	}
	return rec[0], nil
}

// timeStart is the median wall time of the cheapest query: process start.
func timeStart(ctx context.Context, c config, bin string, lr *lakeRun) (time.Duration, error) {
	var ds []time.Duration
	for i := 0; i <= c.reps; i++ {
		res, err := cliQuery(ctx, bin, lr, "SELECT 1")
		if err != nil {
			return 0, err
		}
		if i > 0 { // the first is the warm-up
			ds = append(ds, res.Wall)
		}
	}
	return harness.Median(ds), nil
}

// timeQueries runs each query on each lake: one warm-up run per lake, then
// c.reps timed runs, the lakes taking turns inside each repetition (and
// going first in turn from one repetition to the next). The
// result has one list per lake, in query order.
func timeQueries(ctx context.Context, c config, bin string, qs []bench.Query, lakes ...*lakeRun) ([][]queryTiming, error) {
	out := make([][]queryTiming, len(lakes))
	for _, q := range qs {
		walls := make([][]time.Duration, len(lakes))
		rss := make([][]int64, len(lakes))
		qt := make([]queryTiming, len(lakes))
		for i, lr := range lakes {
			res, err := cliQuery(ctx, bin, lr, q.On(lr.storeID))
			if err != nil {
				return nil, fmt.Errorf("%s on %s: %w", q.ID, lr.label, err)
			}
			rows := csvRows(res.Stdout)
			slices.Sort(rows)
			sum := sha256.Sum256([]byte(strings.Join(rows, "\n")))
			qt[i].rows, qt[i].digest = len(rows), hex.EncodeToString(sum[:8])
		}
		for rep := range c.reps {
			for k := range lakes {
				i := (k + rep) % len(lakes) // each lake goes first in turn
				lr := lakes[i]
				res, err := cliQuery(ctx, bin, lr, q.On(lr.storeID))
				if err != nil {
					return nil, fmt.Errorf("%s on %s: %w", q.ID, lr.label, err)
				}
				if n := len(csvRows(res.Stdout)); n != qt[i].rows {
					return nil, fmt.Errorf("%s on %s: %d rows, then %d", q.ID, lr.label, qt[i].rows, n)
				}
				walls[i] = append(walls[i], res.Wall)
				rss[i] = append(rss[i], res.MaxRSS)
			}
		}
		for i, lr := range lakes {
			qt[i].wall, qt[i].best, qt[i].rss = harness.Median(walls[i]), slices.Min(walls[i]), harness.Median(rss[i])
			out[i] = append(out[i], qt[i])
			logf("%s on %s: %v (%d rows)", q.ID, lr.label, qt[i].wall.Round(time.Millisecond), qt[i].rows)
		}
	}
	return out, nil
}
