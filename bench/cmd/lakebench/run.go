package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"
)

// procResult is one finished subprocess: its wall time, peak RSS and output.
type procResult struct {
	Wall    time.Duration
	MaxRSS  int64 // bytes
	Stdout  []byte
	Stderr  []byte
	UserSys time.Duration
}

// runProc runs name with args and env additions, and measures it. Standard
// output is kept only when keepStdout is set, so that large CSV results and
// per-file ingest lines do not sit in the harness's memory by default.
func runProc(ctx context.Context, env []string, keepStdout bool, name string, args ...string) (procResult, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), env...)
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

// median returns the median of ds (the mean of the middle two for an even
// count); zero for none.
func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func medianInt(xs []int64) int64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]int64(nil), xs...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// dirBytes sums the sizes of files under root whose names end in suffix, and
// counts them.
func dirBytes(root, suffix string) (int64, int, error) {
	var n int64
	var files int
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !strings.HasSuffix(p, suffix) {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		n += fi.Size()
		files++
		return nil
	})
	return n, files, err
}

// countCSVRows counts the data rows of CSV output with a header row. It
// counts record separators outside quotes, so quoted newlines in eventJson
// or error messages do not inflate the count.
func countCSVRows(b []byte) int {
	rows, inQuote, started := 0, false, false
	for _, c := range b {
		switch {
		case c == '"':
			inQuote = !inQuote
			started = true
		case c == '\n' && !inQuote:
			if started {
				rows++
			}
			started = false
		case c != '\r':
			started = true
		}
	}
	if started {
		rows++
	}
	if rows > 0 {
		rows-- // header
	}
	return rows
}
