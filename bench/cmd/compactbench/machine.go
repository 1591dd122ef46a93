package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/auditlake/auditlake/bench"
)

// machine describes where the numbers were taken.
type machine struct {
	CPU    string
	Cores  int
	MemGiB float64
	OS     string
	Go     string
	Commit string
	Load   string // /proc/loadavg at the start: the machine may be shared
}

func describeMachine(ctx context.Context) machine {
	m := machine{CPU: "unknown", Cores: runtime.NumCPU(), OS: runtime.GOOS + "/" + runtime.GOARCH, Go: runtime.Version()}
	if v, ok := procField("/proc/cpuinfo", "model name"); ok {
		m.CPU = v
	}
	if v, ok := procField("/proc/meminfo", "MemTotal"); ok {
		if kb, err := strconv.ParseFloat(strings.Fields(v)[0], 64); err == nil {
			m.MemGiB = kb / (1 << 20)
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.OS += ", Linux " + strings.TrimSpace(string(b))
	}
	m.Load = loadAvg()
	if out, err := exec.CommandContext(ctx, "git", "rev-parse", "--short", "HEAD").Output(); err == nil {
		m.Commit = strings.TrimSpace(string(out))
		if st, err := exec.CommandContext(ctx, "git", "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(st) > 0 {
			m.Commit += " (with uncommitted changes)"
		}
	}
	return m
}

// loadAvg returns the 1, 5 and 15 minute load averages.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// procField returns the value of the first "key : value" line of a /proc file.
func procField(path, key string) (string, bool) {
	f, err := os.Open(path)
	if err != nil {
		return "", false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v), true
		}
	}
	return "", false
}

func (m machine) String() string {
	return fmt.Sprintf("%s, %d cores, %.1f GiB RAM, %s, %s", m.CPU, m.Cores, m.MemGiB, m.OS, m.Go)
}

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
