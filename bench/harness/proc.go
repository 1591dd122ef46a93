package harness

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

// Proc is one finished subprocess: its wall time, CPU time (user + system),
// peak RSS and output.
type Proc struct {
	Wall    time.Duration
	UserSys time.Duration
	MaxRSS  int64 // bytes
	Stdout  []byte
	Stderr  []byte
}

// Run runs name with args, with env added to this process's environment,
// and measures it. Standard output is kept only when keepStdout is set, so
// that large CSV results and per-file ingest lines do not sit in the
// harness's memory by default.
func Run(ctx context.Context, env []string, keepStdout bool, name string, args ...string) (Proc, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	if keepStdout {
		cmd.Stdout = &stdout
	}
	cmd.Stderr = &stderr
	start := time.Now()
	err := cmd.Run()
	res := Proc{Wall: time.Since(start), Stdout: stdout.Bytes(), Stderr: stderr.Bytes()}
	if ps := cmd.ProcessState; ps != nil {
		if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
			res.MaxRSS = ru.Maxrss * 1024 // kilobytes on Linux
		}
		res.UserSys = ps.UserTime() + ps.SystemTime()
	}
	if err != nil {
		return res, fmt.Errorf("%s %s: %w: %s", filepath.Base(name), strings.Join(args, " "), err, Tail(stderr.String(), 800))
	}
	return res, nil
}

// Tail is the last n bytes of s, trimmed, marked "..." when cut.
func Tail(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}

// EnsureBinary returns the absolute path of the auditlake binary at bin,
// building ./cmd/auditlake there when it does not exist.
func EnsureBinary(ctx context.Context, bin string) (string, error) {
	abs, err := filepath.Abs(bin)
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(abs); errors.Is(err, os.ErrNotExist) {
		fmt.Fprintf(os.Stderr, "%s building %s\n", time.Now().Format(time.TimeOnly), bin)
		cmd := exec.CommandContext(ctx, "go", "build", "-o", abs, "./cmd/auditlake")
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			return "", fmt.Errorf("build auditlake: %w", err)
		}
	}
	return abs, nil
}

// Median returns the median of xs (the mean of the middle two for an even
// count); zero for none.
func Median[T time.Duration | int64 | float64](xs []T) T {
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
