package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/auditlake/auditlake/bench"
)

// generate writes the trail files once per (events, days, seed, end) and
// reuses them on later runs. It keeps lakebench's convention: the stamp
// file trail.json beside the trail folder, written last, marks the files
// complete, so that either harness reuses what the other generated.
func generate(ctx context.Context, c config) (bench.GenerateStats, error) {
	stamp := filepath.Join(filepath.Dir(c.trail), "trail.json")
	want := fmt.Sprintf("%d/%d/%d/%s", c.events, c.days, c.seed, c.end.Format(time.DateOnly))
	var st struct {
		Key   string
		Stats bench.GenerateStats
	}
	if b, err := os.ReadFile(stamp); err == nil && json.Unmarshal(b, &st) == nil && st.Key == want {
		logf("reusing trail files in %s", c.trail)
		return st.Stats, nil
	}
	if err := os.RemoveAll(c.trail); err != nil {
		return bench.GenerateStats{}, err
	}
	logf("generating %d events over %d days into %s", c.events, c.days, c.trail)
	stats, err := bench.Generate(ctx, c.trail, bench.GenerateOptions{Events: c.events, Days: c.days, End: c.end, Seed: c.seed})
	if err != nil {
		return stats, fmt.Errorf("generate: %w", err)
	}
	st.Key, st.Stats = want, stats
	b, err := json.Marshal(st)
	if err != nil {
		return stats, err
	}
	return stats, os.WriteFile(stamp, b, 0o644)
}
