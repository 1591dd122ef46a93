package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

// procResult is one finished subprocess: its wall time, CPU time, peak RSS
// and output.
type procResult struct {
	Wall    time.Duration
	UserSys time.Duration
	MaxRSS  int64 // bytes
	Stdout  []byte
	Stderr  []byte
}

// runProc runs name with args and measures it. Standard output is kept
// only when keepStdout is set.
func runProc(ctx context.Context, keepStdout bool, name string, args ...string) (procResult, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	var stdout, stderr bytes.Buffer
	if keepStdout {
		cmd.Stdout = &stdout
	}
	cmd.Stderr = &stderr
	start := time.Now()
	err := cmd.Run()
	res := procResult{Wall: time.Since(start), Stdout: stdout.Bytes(), Stderr: stderr.Bytes()}
	if ps := cmd.ProcessState; ps != nil {
		if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
			res.MaxRSS = ru.Maxrss * 1024 // kilobytes on Linux
		}
		res.UserSys = ps.UserTime() + ps.SystemTime()
	}
	if err != nil {
		return res, fmt.Errorf("%s %s: %w: %s", filepath.Base(name), strings.Join(args, " "), err, tail(stderr.String(), 800))
	}
	return res, nil
}

func tail(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}

// ensureBinary returns the absolute path of the auditlake binary, building
// it when it does not exist.
func ensureBinary(ctx context.Context, bin string) (string, error) {
	abs, err := filepath.Abs(bin)
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(abs); errors.Is(err, os.ErrNotExist) {
		logf("building %s", bin)
		cmd := exec.CommandContext(ctx, "go", "build", "-o", abs, "./cmd/auditlake")
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			return "", fmt.Errorf("build auditlake: %w", err)
		}
	}
	return abs, nil
}

// median returns the median of xs (the mean of the middle two for an even
// count); zero for none.
func median[T time.Duration | int64](xs []T) T {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// csvRows splits CSV output with a header row into its data records,
// keeping quoted newlines inside their record.
func csvRows(b []byte) []string {
	var rows []string
	inQuote, start := false, 0
	for i, c := range b {
		switch {
		case c == '"':
			inQuote = !inQuote
		case c == '\n' && !inQuote:
			if rec := strings.TrimSuffix(string(b[start:i]), "\r"); rec != "" {
				rows = append(rows, rec)
			}
			start = i + 1
		}
	}
	if rec := strings.TrimSuffix(string(b[start:]), "\r"); rec != "" {
		rows = append(rows, rec)
	}
	if len(rows) > 0 {
		rows = rows[1:] // header
	}
	return rows
}
