package main

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
)

// machine describes where the numbers were taken.
type machine struct {
	CPU      string
	Cores    int
	MemGiB   float64
	OS       string
	Go       string
	DuckDB   string
	Commit   string
	Auditlak string // auditlake binary path
}

func describeMachine(ctx context.Context, db *sql.DB, bin string) machine {
	m := machine{
		CPU:      "unknown",
		Cores:    runtime.NumCPU(),
		OS:       runtime.GOOS + "/" + runtime.GOARCH,
		Go:       runtime.Version(),
		Auditlak: bin,
	}
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
	var v, src string
	if err := db.QueryRowContext(ctx, "SELECT version(), source_id FROM pragma_version()").Scan(&v, &src); err == nil {
		m.DuckDB = v + " (" + src + ")"
	}
	if out, err := exec.CommandContext(ctx, "git", "rev-parse", "--short", "HEAD").Output(); err == nil {
		m.Commit = strings.TrimSpace(string(out))
		if st, err := exec.CommandContext(ctx, "git", "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(st) > 0 {
			m.Commit += " (with uncommitted changes)"
		}
	}
	return m
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
	return fmt.Sprintf("%s, %d cores, %.1f GiB RAM, %s, %s, DuckDB %s", m.CPU, m.Cores, m.MemGiB, m.OS, m.Go, m.DuckDB)
}
