package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/auditlake/auditlake/bench/harness"
)

// profile is a CPU and an allocation profile of one auditlake process,
// with pprof's top entries of each.
type profile struct {
	name, what       string
	cpuPath, memPath string
	cpuTop, cpuCum   string
	allocTop         string
}

// profileTop is how many functions of each profile the report lists.
const profileTop = 20

// profileIngest ingests the trail once more into a fresh lake with
// auditlake's hidden --cpuprofile and --memprofile flags. The run is not
// timed: profiling costs a little.
func profileIngest(ctx context.Context, c config, bin, trail string, r *report) error {
	lakeDir := filepath.Join(c.work, "lake-profile")
	if err := os.RemoveAll(lakeDir); err != nil {
		return err
	}
	defer os.RemoveAll(lakeDir)
	if _, err := createStore(ctx, bin, lakeDir, "bench", c.selectors()); err != nil {
		return err
	}
	p := newProfile(c, "ingest", fmt.Sprintf("`auditlake ingest` of the %d-event trail into the bench store", r.gen.Events))
	if _, err := harness.Run(ctx, nil, false, bin, "--lake", lakeDir, "--cpuprofile", p.cpuPath, "--memprofile", p.memPath, "ingest", "--eds", "bench", trail); err != nil {
		return err
	}
	return p.finish(ctx, bin, r)
}

// profileQueries serves the query lake with the profile flags and runs
// every query through the API max(reps, 3) times. DuckDB's own threads
// are not Go threads: the Go profiler sees the time the query waits for
// them as cgo calls (runtime.cgocall) only.
func profileQueries(ctx context.Context, c config, bin string, ql *queryLake, r *report) error {
	reps := max(c.reps, 3)
	p := newProfile(c, "query", fmt.Sprintf("`auditlake serve` answering the %d queries %d times each through the API", len(r.queries), reps))
	srv, err := startServer(ctx, bin, ql.dir, "--cpuprofile", p.cpuPath, "--memprofile", p.memPath)
	if err != nil {
		return err
	}
	for i := 0; i < reps; i++ {
		for _, q := range r.queries {
			if _, err := srv.apiQuery(ctx, q.on(ql.bench, ql.data)); err != nil {
				srv.stop()
				return fmt.Errorf("%s: %w", q.ID, err)
			}
		}
	}
	if _, err := srv.stop(); err != nil { // the profiles are written as it exits
		return err
	}
	return p.finish(ctx, bin, r)
}

func newProfile(c config, name, what string) *profile {
	dir := filepath.Join(c.work, "profiles")
	_ = os.MkdirAll(dir, 0o755)
	return &profile{name: name, what: what, cpuPath: filepath.Join(dir, name+".cpu.pprof"), memPath: filepath.Join(dir, name+".allocs.pprof")}
}

// finish reads the top entries of both profiles with go tool pprof and
// adds the profile to the report.
func (p *profile) finish(ctx context.Context, bin string, r *report) error {
	var err error
	if p.cpuTop, err = pprofTop(ctx, bin, p.cpuPath); err != nil {
		return err
	}
	if p.cpuCum, err = pprofTop(ctx, bin, p.cpuPath, "-cum"); err != nil {
		return err
	}
	if p.allocTop, err = pprofTop(ctx, bin, p.memPath, "-sample_index=alloc_space"); err != nil {
		return err
	}
	logf("%s profile: %s, %s", p.name, p.cpuPath, p.memPath)
	r.profiles = append(r.profiles, *p)
	return nil
}

// pprofTop returns `go tool pprof -top` of a profile, without the lines
// that name the binary and build.
func pprofTop(ctx context.Context, bin, path string, flags ...string) (string, error) {
	args := append([]string{"tool", "pprof", "-top", fmt.Sprintf("-nodecount=%d", profileTop)}, flags...)
	cctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(cctx, "go", append(args, bin, path)...).Output()
	if err != nil {
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		return "", fmt.Errorf("go tool pprof %s: %w: %s", path, err, harness.Tail(stderr, 500))
	}
	var keep []string
	for _, line := range strings.Split(strings.TrimRight(string(out), "\n"), "\n") {
		if strings.HasPrefix(line, "File: ") || strings.HasPrefix(line, "Build ID: ") {
			continue
		}
		keep = append(keep, line)
	}
	return strings.Join(keep, "\n"), nil
}
