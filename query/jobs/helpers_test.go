package jobs

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"gocloud.dev/blob"
	"gocloud.dev/blob/fileblob"

	"github.com/auditlake/auditlake/lake"
	"github.com/auditlake/auditlake/query"
)

// env is a real lake with one store of events, a real engine and a manager.
type env struct {
	t      *testing.T
	dir    string
	l      *lake.Lake
	eng    *query.Engine
	m      *Manager
	store  lake.StoreInfo
	s3root string // folder holding the fake S3 buckets, one folder each
	clock  *clock
}

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.t.IsZero() {
		return time.Now()
	}
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

func ptr[T any](v T) *T { return &v }

// testEvents makes n events, one a minute from day, named in a cycle.
func testEvents(day time.Time, n int) []lake.Event {
	names := []string{"GetObject", "PutObject", "ListBuckets", "DeleteObject"}
	out := make([]lake.Event, n)
	for i := range out {
		at := day.Add(time.Duration(i) * time.Minute)
		name := names[i%len(names)]
		id := fmt.Sprintf("evt-%06d", i)
		out[i] = lake.Event{
			EventVersion: ptr("1.08"), EventTime: at, EventName: ptr(name),
			EventSource: ptr("s3.amazonaws.com"), AWSRegion: ptr("us-east-1"), EventID: ptr(id),
			EventJSON: `{"eventID":"` + id + `","eventName":"` + name + `"}`,
		}
	}
	return out
}

// newEnv opens a lake in a temporary folder with a store "trail" of
// events events, and a manager over it.
func newEnv(t *testing.T, events int, opts Options) *env {
	t.Helper()
	e := &env{t: t, dir: t.TempDir(), s3root: t.TempDir(), clock: &clock{}}
	e.openLake()
	ctx := context.Background()
	var err error
	e.store, err = e.l.CreateStore(ctx, lake.CreateStoreInput{Name: "trail"})
	require.NoError(t, err)
	if events > 0 {
		segs, err := e.l.WriteSegments(ctx, e.store.ID, "", testEvents(time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC), events))
		require.NoError(t, err)
		_, err = e.l.Commit(ctx, e.store.ID, lake.Change{Add: segs})
		require.NoError(t, err)
	}
	e.open(opts)
	return e
}

func (e *env) openLake() {
	t := e.t
	l, err := lake.Open(context.Background(), e.dir, lake.Options{})
	require.NoError(t, err)
	eng, err := query.NewEngine(l, query.Options{Threads: 2, MemoryLimit: "512MB", TempDir: t.TempDir()})
	require.NoError(t, err)
	e.l, e.eng = l, eng
	t.Cleanup(func() {
		require.NoError(t, eng.Close())
		require.NoError(t, l.Close())
	})
}

// open starts a manager with test defaults under opts.
func (e *env) open(opts Options) {
	t := e.t
	if opts.Now == nil {
		opts.Now = e.clock.Now
	}
	if opts.OpenBucket == nil {
		opts.OpenBucket = e.openS3
	}
	m, err := New(e.l, e.eng, opts)
	require.NoError(t, err)
	e.m = m
	t.Cleanup(func() {
		// Long queries a test leaves running are stopped, not waited for.
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		require.NoError(t, m.Close(ctx))
	})
}

// openS3 stands in for S3: bucket NAME is the folder s3root/NAME, which
// must exist.
func (e *env) openS3(_ context.Context, name string) (*blob.Bucket, error) {
	return fileblob.OpenBucket(filepath.Join(e.s3root, name), nil)
}

func (e *env) makeS3Bucket(name string) {
	require.NoError(e.t, os.MkdirAll(filepath.Join(e.s3root, name), 0o755))
}

// start starts a query that must be accepted.
func (e *env) start(sql string) Query {
	e.t.Helper()
	q, err := e.m.Start(context.Background(), StartInput{Statement: sql})
	require.NoError(e.t, err, sql)
	return q
}

// wait polls until the query is no longer active, or fails the test.
func (e *env) wait(id string, within time.Duration) Query {
	e.t.Helper()
	deadline := time.Now().Add(within)
	for {
		q, err := e.m.Describe(context.Background(), id)
		require.NoError(e.t, err)
		if !q.Status.Active() {
			return q
		}
		require.True(e.t, time.Now().Before(deadline), "query %s still %s after %s", id, q.Status, within)
		time.Sleep(10 * time.Millisecond)
	}
}

// waitStatus polls until the query has status s.
func (e *env) waitStatus(id string, s Status, within time.Duration) {
	e.t.Helper()
	require.Eventually(e.t, func() bool {
		q, err := e.m.Describe(context.Background(), id)
		require.NoError(e.t, err)
		return q.Status == s
	}, within, 5*time.Millisecond)
}

// longSQL is a query over the store that runs for minutes: a triple self
// join with no usable join condition.
func (e *env) longSQL() string {
	return fmt.Sprintf(`SELECT count(*) FROM %[1]s a, %[1]s b, %[1]s c
		WHERE a.eventID < b.eventID AND b.eventID <> c.eventID AND length(a.eventJson || c.eventJson) > 3`, e.store.ID)
}

// plantRunning records a RUNNING query that no worker runs: tests feed
// its results to writeParts themselves.
func (e *env) plantRunning() *record {
	e.t.Helper()
	now := time.Now().UTC()
	r := &record{ID: uuid.NewString(), Status: StatusRunning, Created: now, Started: now,
		Statement: "SELECT 1", Stores: []string{e.store.ID}}
	require.NoError(e.t, e.l.ControlUpdate(func(c lake.Control) error { return putRecord(c, r, true) }))
	return r
}

// pipeCSV runs writeParts for query id on a pipe, writes header to it and
// returns a closer and a function that writes more CSV. Closing ends
// writeParts and records the query FINISHED, as run does.
func pipeCSV(t *testing.T, e *env, id, header string) (io.Closer, func(string)) {
	t.Helper()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		last, err := e.m.writeParts(context.Background(), id, pr)
		if err == nil {
			_, err = e.m.end(id, StatusFinished, "", last)
		}
		done <- err
	}()
	feed := func(s string) {
		t.Helper()
		_, err := io.WriteString(pw, s)
		require.NoError(t, err)
	}
	feed(header)
	return closerFunc(func() error {
		if err := pw.Close(); err != nil {
			return err
		}
		return <-done
	}), feed
}

type closerFunc func() error

func (f closerFunc) Close() error { return f() }
