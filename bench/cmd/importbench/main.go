// Command importbench measures the copy job: events per second importing a
// generated trail with `auditlake import` from a folder (file://) and from
// an S3 server (versitygw on loopback), beside `auditlake ingest` of the
// same files. Each run is a fresh lake and a separate auditlake process,
// whose wall time, CPU and peak RSS are recorded. See bench/README.md.
//
//	go run ./bench/cmd/importbench -events 1000000 -days 30 -out bench/results
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"log"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/auditlake/auditlake/bench"
)

// selectors are lakebench's: management events and S3, Lambda and DynamoDB
// data events.
const selectors = `[` +
	`{"Name":"m","FieldSelectors":[{"Field":"eventCategory","Equals":["Management"]}]},` +
	`{"Name":"s3","FieldSelectors":[{"Field":"eventCategory","Equals":["Data"]},{"Field":"resources.type","Equals":["AWS::S3::Object"]}]},` +
	`{"Name":"l","FieldSelectors":[{"Field":"eventCategory","Equals":["Data"]},{"Field":"resources.type","Equals":["AWS::Lambda::Function"]}]},` +
	`{"Name":"d","FieldSelectors":[{"Field":"eventCategory","Equals":["Data"]},{"Field":"resources.type","Equals":["AWS::DynamoDB::Table"]}]}]`

// importArgs are extra flags of every auditlake import run.
var importArgs []string

type result struct {
	Mode    string
	Events  int64
	Wall    time.Duration
	CPU     time.Duration
	PeakRSS int64 // bytes
}

func main() {
	events := flag.Int("events", 1_000_000, "events to generate")
	days := flag.Int("days", 30, "days of history")
	seed := flag.Int64("seed", 1, "generator seed")
	work := flag.String("work", "", "work folder (default: a temporary folder, removed at the end)")
	out := flag.String("out", "", "folder to write importbench.md to (default: standard output only)")
	bin := flag.String("bin", "", "auditlake binary (default: built from ./cmd/auditlake)")
	downloads := flag.Int("downloads", 0, "auditlake import --downloads (0: its default)")
	vgw := flag.String("versitygw", "", "versitygw binary (default: from PATH or $GOPATH/bin); empty and missing: the S3 run is left out")
	flag.Parse()
	if *downloads > 0 {
		importArgs = append(importArgs, "--downloads", fmt.Sprint(*downloads))
	}
	if err := run(*events, *days, *seed, *work, *out, *bin, *vgw); err != nil {
		log.Fatal(err)
	}
}

func run(events, days int, seed int64, work, out, bin, vgw string) error {
	ctx := context.Background()
	if work == "" {
		dir, err := os.MkdirTemp("", "importbench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		work = dir
	}
	if bin == "" {
		bin = filepath.Join(work, "auditlake")
		if err := cmd("go", "build", "-o", bin, "./cmd/auditlake").Run(); err != nil {
			return fmt.Errorf("build auditlake: %w", err)
		}
	}
	trail := filepath.Join(work, "trail")
	gs, err := bench.Generate(ctx, trail, bench.GenerateOptions{Events: events, Days: days, Seed: seed,
		End: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		return err
	}
	log.Printf("generated %d events in %d files (%d MiB)", gs.Events, gs.Files, gs.Bytes>>20)

	var results []result
	modes := []struct{ name, source string }{
		{"ingest", ""},
		{"import file://", "file://" + filepath.ToSlash(trail)},
	}
	var env []string
	if s3, stop, err := startS3(work, trail, vgw); err != nil {
		log.Printf("no S3 run: %v", err)
	} else {
		defer stop()
		modes = append(modes, struct{ name, source string }{"import s3:// (versitygw)", s3})
		env = []string{"AWS_ACCESS_KEY_ID=benchkey", "AWS_SECRET_ACCESS_KEY=benchsecret"}
	}
	for _, m := range modes {
		r, err := measure(bin, work, trail, m.name, m.source, env)
		if err != nil {
			return fmt.Errorf("%s: %w", m.name, err)
		}
		log.Printf("%s: %d events in %s", r.Mode, r.Events, r.Wall.Round(time.Millisecond))
		results = append(results, r)
	}
	report := format(results, gs, days)
	fmt.Print(report)
	if out != "" {
		return os.WriteFile(filepath.Join(out, "importbench.md"), []byte(report), 0o644)
	}
	return nil
}

// measure runs one ingest or import into a fresh lake.
func measure(bin, work, trail, mode, source string, env []string) (result, error) {
	lakeDir := filepath.Join(work, "lake-"+strings.Fields(mode)[0]+fmt.Sprint(time.Now().UnixNano()))
	defer os.RemoveAll(lakeDir)
	if err := cmd(bin, "--lake", lakeDir, "eds", "create", "--name", "bench", "--advanced-event-selectors", selectors).Run(); err != nil {
		return result{}, fmt.Errorf("create store: %w", err)
	}
	args := []string{"--lake", lakeDir, "ingest", "--eds", "bench", trail}
	if source != "" {
		args = append([]string{"--lake", lakeDir, "import", "--eds", "bench", source}, importArgs...)
	}
	c := cmd(bin, args...)
	c.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	c.Stdout, c.Stderr = &stdout, &stderr
	start := time.Now()
	if err := c.Run(); err != nil {
		return result{}, fmt.Errorf("%v: %s", err, stderr.String())
	}
	wall := time.Since(start)
	ru := c.ProcessState.SysUsage().(*syscall.Rusage)
	r := result{Mode: mode, Wall: wall, PeakRSS: ru.Maxrss << 10,
		CPU: c.ProcessState.UserTime() + c.ProcessState.SystemTime()}
	q := cmd(bin, "--lake", lakeDir, "query", "--format", "csv", "SELECT count(*) AS n FROM bench")
	qout, err := q.Output()
	if err != nil {
		return r, fmt.Errorf("count: %w", err)
	}
	lines := strings.Fields(string(qout)) // "n", then the count
	if len(lines) == 2 {
		fmt.Sscan(lines[1], &r.Events)
	}
	return r, nil
}

// startS3 serves the trail from versitygw on loopback: the trail is placed
// in the posix backend's bucket folder (the setup is not measured) and read
// through the S3 API.
func startS3(work, trail, bin string) (string, func(), error) {
	if bin == "" {
		var err error
		if bin, err = exec.LookPath("versitygw"); err != nil {
			gopath := os.Getenv("GOPATH")
			if gopath == "" {
				home, _ := os.UserHomeDir()
				gopath = filepath.Join(home, "go")
			}
			bin = filepath.Join(gopath, "bin", "versitygw")
		}
	}
	if _, err := os.Stat(bin); err != nil {
		return "", nil, fmt.Errorf("versitygw not found: %w", err)
	}
	root := filepath.Join(work, "s3")
	if err := copyTree(trail, filepath.Join(root, "trails")); err != nil {
		return "", nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	c := exec.Command(bin, "--access", "benchkey", "--secret", "benchsecret", "--port", addr, "--quiet", "posix", root)
	if err := c.Start(); err != nil {
		return "", nil, err
	}
	stop := func() { _ = c.Process.Kill(); _ = c.Wait() }
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if conn, err := net.Dial("tcp", addr); err == nil {
			conn.Close()
			break
		}
		if time.Now().After(deadline) {
			stop()
			return "", nil, errors.New("versitygw did not start")
		}
	}
	return "s3://trails/?endpoint=http://" + addr + "&use_path_style=true&region=us-east-1", stop, nil
}

func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
}

func cmd(name string, args ...string) *exec.Cmd {
	c := exec.Command(name, args...)
	c.Stderr = os.Stderr
	return c
}

func format(rs []result, gs bench.GenerateStats, days int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "## importbench: %d generated events, %d files (%d MiB gzip), %d days\n\n", gs.Events, gs.Files, gs.Bytes>>20, days)
	b.WriteString("| run | events stored | wall | events/s | CPU | peak RSS | vs ingest |\n|---|---|---|---|---|---|---|\n")
	var base float64
	for i, r := range rs {
		rate := float64(gs.Events) / r.Wall.Seconds()
		if i == 0 {
			base = r.Wall.Seconds()
		}
		fmt.Fprintf(&b, "| %s | %d | %.1f s | %.0f | %.1f s | %d MiB | %.2fx |\n",
			r.Mode, r.Events, r.Wall.Seconds(), rate, r.CPU.Seconds(), r.PeakRSS>>20, r.Wall.Seconds()/base)
	}
	b.WriteString("\nevents/s counts every generated event read (the store's selectors keep a part of them); \"vs ingest\" is wall time relative to `auditlake ingest`.\n")
	return b.String()
}
