package jobs

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestWaitEnd: WaitEnd returns when the query ends, not after its whole
// allowance; at once for an ended or unknown query; and when the manager
// closes.
func TestWaitEnd(t *testing.T) {
	e := newEnv(t, 500, Options{})
	ctx := context.Background()
	q := e.start("SELECT eventName, count(*) AS n FROM " + e.store.ID + " GROUP BY eventName")
	start := time.Now()
	e.m.WaitEnd(ctx, q.ID, time.Minute)
	require.Less(t, time.Since(start), 30*time.Second)
	q, err := e.m.Describe(ctx, q.ID)
	require.NoError(t, err)
	require.Equal(t, StatusFinished, q.Status, "WaitEnd returned before the end was recorded")

	start = time.Now()
	e.m.WaitEnd(ctx, q.ID, time.Minute)
	e.m.WaitEnd(ctx, "00000000-0000-0000-0000-000000000000", time.Minute)
	require.Less(t, time.Since(start), time.Second, "ended and unknown queries do not wait")

	long := e.start(e.longSQL())
	e.waitStatus(long.ID, StatusRunning, 30*time.Second)
	start = time.Now()
	e.m.WaitEnd(ctx, long.ID, 50*time.Millisecond)
	require.GreaterOrEqual(t, time.Since(start), 50*time.Millisecond)
	ctx2, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	e.m.WaitEnd(ctx2, long.ID, time.Minute)
	require.Error(t, ctx2.Err(), "returned before its context ended")

	done := make(chan struct{})
	go func() {
		e.m.WaitEnd(ctx, long.ID, time.Minute)
		close(done)
	}()
	_, err = e.m.Cancel(ctx, long.ID)
	require.NoError(t, err)
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("WaitEnd did not return when the query was cancelled")
	}

	other := e.start(e.longSQL())
	e.waitStatus(other.ID, StatusRunning, 30*time.Second)
	waited := make(chan struct{})
	go func() {
		e.m.WaitRows(ctx, other.ID, 0, time.Minute)
		close(waited)
	}()
	closeCtx, cancel2 := context.WithTimeout(ctx, time.Second)
	defer cancel2()
	closed := make(chan error, 1)
	go func() { closed <- e.m.Close(closeCtx) }()
	select {
	case <-waited:
	case <-time.After(10 * time.Second):
		t.Fatal("WaitRows did not return when the manager closed")
	}
	require.NoError(t, <-closed)
}

// TestWaitRows: a page that found no rows of a running query can wait
// for the next result file instead of being asked for again.
func TestWaitRows(t *testing.T) {
	e := newEnv(t, 0, Options{PartRows: 1, FlushInterval: time.Hour})
	ctx := context.Background()
	r := e.plantRunning()
	e.m.mu.Lock()
	e.m.active[r.ID] = newJob(r.ID)
	e.m.mu.Unlock()

	src, feed := pipeCSV(t, e, r.ID, "n\n")
	start := time.Now()
	e.m.WaitRows(ctx, r.ID, 0, 50*time.Millisecond)
	require.GreaterOrEqual(t, time.Since(start), 50*time.Millisecond, "no rows yet: it waits")

	woke := make(chan time.Time, 1)
	go func() {
		e.m.WaitRows(ctx, r.ID, 0, time.Minute)
		woke <- time.Now()
	}()
	time.Sleep(20 * time.Millisecond)
	feed("1\n")
	select {
	case <-woke:
	case <-time.After(10 * time.Second):
		t.Fatal("WaitRows did not return when a result file was recorded")
	}
	page, err := e.m.Results(ctx, r.ID, "", 10)
	require.NoError(t, err)
	require.Equal(t, 1, page.ResultsCount)
	start = time.Now()
	e.m.WaitRows(ctx, r.ID, 0, time.Minute)
	require.Less(t, time.Since(start), time.Second, "more rows than the caller had: no wait")
	require.NoError(t, src.Close())
}

// TestLiveStats: a running query's statistics show in DescribeQuery
// before it stores a result file, and stay once it is cancelled. (The
// bytes scanned are known once DuckDB returns its first rows, which an
// aggregate over a long join does not do for minutes.)
func TestLiveStats(t *testing.T) {
	e := newEnv(t, 3000, Options{})
	ctx := context.Background()
	long := e.start(e.longSQL())
	require.Eventually(t, func() bool {
		q, err := e.m.Describe(ctx, long.ID)
		require.NoError(t, err)
		return q.Stats.EventsScanned == 3000
	}, 30*time.Second, 5*time.Millisecond)
	_, err := e.m.Cancel(ctx, long.ID)
	require.NoError(t, err)
	r, err := e.m.get(long.ID)
	require.NoError(t, err)
	require.EqualValues(t, 3000, r.EventsScanned, "recorded with the end")
}
