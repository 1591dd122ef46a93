package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/auditlake/auditlake/bench"
)

// The server's administrator key (AUDITLAKE_ROOT_*), used as the port's
// user and password.
const (
	benchKey    = "AKIAPGBENCH000000001"
	benchSecret = "pgbench-secret-0123456789abcdef"
)

// selectors keep management events and S3, Lambda and DynamoDB data
// events, as lakebench's store does: about 89% of generated events.
const selectors = `[` +
	`{"Name":"m","FieldSelectors":[{"Field":"eventCategory","Equals":["Management"]}]},` +
	`{"Name":"s3","FieldSelectors":[{"Field":"eventCategory","Equals":["Data"]},{"Field":"resources.type","Equals":["AWS::S3::Object"]}]},` +
	`{"Name":"l","FieldSelectors":[{"Field":"eventCategory","Equals":["Data"]},{"Field":"resources.type","Equals":["AWS::Lambda::Function"]}]},` +
	`{"Name":"d","FieldSelectors":[{"Field":"eventCategory","Equals":["Data"]},{"Field":"resources.type","Equals":["AWS::DynamoDB::Table"]}]}]`

// benchLake is an ingested lake with one store.
type benchLake struct {
	dir, storeID string
	events       int // generated
}

// segmentGlob matches the store's Parquet segments.
func (l benchLake) segmentGlob() string {
	return filepath.Join(l.dir, "objects", "stores", l.storeID, "data", "*", "*.parquet")
}

// prepareLake generates events (a quarter more than the rows wanted, as
// the selectors drop some) and ingests them into a new lake, unless a
// previous run with the same settings left one; a stamp written last marks
// it complete.
func prepareLake(ctx context.Context, c config, bin string) (benchLake, error) {
	lk := benchLake{dir: filepath.Join(c.work, "lake"), events: c.rows + c.rows/4}
	stamp := filepath.Join(c.work, "lake.json")
	key := fmt.Sprintf("%d/%d", lk.events, c.seed)
	var st struct{ Key, StoreID string }
	if b, err := os.ReadFile(stamp); err == nil && json.Unmarshal(b, &st) == nil && st.Key == key {
		logf("reusing the lake in %s", lk.dir)
		lk.storeID = st.StoreID
		return lk, nil
	}
	trail := filepath.Join(c.work, "trail")
	for _, d := range []string{trail, lk.dir} {
		if err := os.RemoveAll(d); err != nil {
			return lk, err
		}
	}
	logf("generating %d events into %s", lk.events, trail)
	end := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if _, err := bench.Generate(ctx, trail, bench.GenerateOptions{Events: lk.events, Days: 7, End: end, Seed: c.seed}); err != nil {
		return lk, fmt.Errorf("generate: %w", err)
	}
	out, err := command(ctx, bin, "--lake", lk.dir, "eds", "create", "--name", "bench", "--advanced-event-selectors", selectors)
	if err != nil {
		return lk, err
	}
	var created struct{ EventDataStoreArn string }
	if err := json.Unmarshal(out, &created); err != nil || len(created.EventDataStoreArn) < 36 {
		return lk, fmt.Errorf("eds create output %q: %v", out, err)
	}
	lk.storeID = created.EventDataStoreArn[len(created.EventDataStoreArn)-36:]
	logf("ingesting into store %s", lk.storeID)
	if _, err := command(ctx, bin, "--lake", lk.dir, "ingest", "--eds", "bench", trail); err != nil {
		return lk, err
	}
	st.Key, st.StoreID = key, lk.storeID
	b, _ := json.Marshal(st)
	return lk, os.WriteFile(stamp, b, 0o644)
}

// command runs a subprocess and returns its standard output.
func command(ctx context.Context, name string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%s %s: %w: %s", filepath.Base(name), strings.Join(args, " "), err, stderr.String())
	}
	return stdout.Bytes(), nil
}

// server is a running `auditlake serve` with the Postgres port open.
type server struct {
	cmd  *exec.Cmd
	port int
	done chan error
}

// dsn is a libpq connection string for the server.
func (s *server) dsn() string {
	return fmt.Sprintf("host=127.0.0.1 port=%d user=%s password=%s dbname=auditlake sslmode=disable", s.port, benchKey, benchSecret)
}

// startServer runs auditlake serve on a free loopback port and waits
// until a client can log in.
func startServer(ctx context.Context, c config, bin string, lk benchLake) (*server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	_ = ln.Close()
	args := []string{"--lake", lk.dir}
	if c.cpuProfile != "" {
		prof, err := filepath.Abs(c.cpuProfile)
		if err != nil {
			return nil, err
		}
		args = append(args, "--cpuprofile", prof)
	}
	args = append(args, "serve", "--http-addr", "127.0.0.1:0", "--pg-addr", fmt.Sprintf("127.0.0.1:%d", port), "--pg-allow-plain", "--no-self-audit")
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "AUDITLAKE_ROOT_ACCESS_KEY_ID="+benchKey, "AUDITLAKE_ROOT_SECRET_ACCESS_KEY="+benchSecret)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &server{cmd: cmd, port: port, done: make(chan error, 1)}
	go func() { s.done <- cmd.Wait() }()
	deadline := time.Now().Add(60 * time.Second)
	for {
		conn, err := pgx.Connect(ctx, s.dsn())
		if err == nil {
			_ = conn.Close(ctx)
			logf("server up on port %d (pid %d)", port, cmd.Process.Pid)
			return s, nil
		}
		select {
		case werr := <-s.done:
			return nil, fmt.Errorf("auditlake serve exited: %v: %s", werr, stderr.String())
		case <-time.After(200 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			_ = s.stop()
			return nil, fmt.Errorf("auditlake serve: no login within 60s: %v", err)
		}
	}
}

// stop ends the server with SIGINT (so that it writes its CPU profile)
// and waits for it.
func (s *server) stop() error {
	_ = s.cmd.Process.Signal(syscall.SIGINT)
	select {
	case err := <-s.done:
		var ee *exec.ExitError
		if errors.As(err, &ee) && !ee.Exited() {
			return nil // ended by the signal
		}
		return err
	case <-time.After(60 * time.Second):
		_ = s.cmd.Process.Kill()
		return errors.New("auditlake serve did not stop within 60s of SIGINT")
	}
}
