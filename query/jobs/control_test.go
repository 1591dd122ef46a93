package jobs

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestCancelRunning cancels a query that would run for minutes: it is
// CANCELLED at once, DuckDB stops, and the only worker is free for the
// next query within seconds.
func TestCancelRunning(t *testing.T) {
	e := newEnv(t, 3000, Options{Workers: 1})
	ctx := context.Background()
	long := e.start(e.longSQL())
	e.waitStatus(long.ID, StatusRunning, 30*time.Second)
	time.Sleep(300 * time.Millisecond) // DuckDB is busy in the join

	q, err := e.m.Cancel(ctx, long.ID)
	require.NoError(t, err)
	require.Equal(t, StatusCancelled, q.Status)
	require.False(t, q.EndTime.IsZero())

	next := e.start("SELECT count(*) AS n FROM " + e.store.ID)
	start := time.Now()
	next = e.wait(next.ID, 20*time.Second)
	require.Equal(t, StatusFinished, next.Status, next.ErrorMessage)
	t.Logf("next query finished %s after the cancel", time.Since(start))

	q, err = e.m.Describe(ctx, long.ID)
	require.NoError(t, err)
	require.Equal(t, StatusCancelled, q.Status, "the worker does not overwrite CANCELLED")

	_, err = e.m.Cancel(ctx, long.ID)
	require.ErrorIs(t, err, ErrInactiveQuery)
	_, err = e.m.Cancel(ctx, next.ID)
	require.ErrorIs(t, err, ErrInactiveQuery)
	_, err = e.m.Cancel(ctx, "11111111-1111-1111-1111-111111111111")
	require.ErrorIs(t, err, ErrQueryNotFound)
}

// TestConcurrencyLimit: with MaxActive 2 and one worker, a third query is
// refused until one of the two active ones ends; a cancelled queued query
// never runs.
func TestConcurrencyLimit(t *testing.T) {
	e := newEnv(t, 3000, Options{MaxActive: 2, Workers: 1})
	ctx := context.Background()
	running := e.start(e.longSQL())
	queued := e.start(e.longSQL())
	e.waitStatus(running.ID, StatusRunning, 30*time.Second)
	q, err := e.m.Describe(ctx, queued.ID)
	require.NoError(t, err)
	require.Equal(t, StatusQueued, q.Status)
	require.Zero(t, q.Stats.ExecutionTime)

	_, err = e.m.Start(ctx, StartInput{Statement: "SELECT 1 AS x FROM " + e.store.ID})
	require.ErrorIs(t, err, ErrMaxConcurrent)

	q, err = e.m.Cancel(ctx, queued.ID)
	require.NoError(t, err)
	require.Equal(t, StatusCancelled, q.Status)
	third := e.start("SELECT 1 AS x FROM " + e.store.ID + " LIMIT 1")
	_, err = e.m.Start(ctx, StartInput{Statement: "SELECT 1 AS x FROM " + e.store.ID})
	require.ErrorIs(t, err, ErrMaxConcurrent)

	_, err = e.m.Cancel(ctx, running.ID)
	require.NoError(t, err)
	third = e.wait(third.ID, 20*time.Second)
	require.Equal(t, StatusFinished, third.Status)
	q, err = e.m.Describe(ctx, queued.ID)
	require.NoError(t, err)
	require.Equal(t, StatusCancelled, q.Status)
	require.Zero(t, q.Stats.TotalResultsCount)
}

func TestTimeout(t *testing.T) {
	e := newEnv(t, 3000, Options{Timeout: 500 * time.Millisecond})
	q := e.wait(e.start(e.longSQL()).ID, 20*time.Second)
	require.Equal(t, StatusTimedOut, q.Status)
	require.Contains(t, q.ErrorMessage, "time limit of 500ms")
	page, err := e.m.Results(context.Background(), q.ID, "", 10)
	require.NoError(t, err)
	require.Equal(t, StatusTimedOut, page.Status)
	require.Equal(t, q.ErrorMessage, page.ErrorMessage)
	require.Empty(t, page.NextToken)
}

func TestFailedQuery(t *testing.T) {
	e := newEnv(t, 10, Options{})
	// Valid SQL that fails while it runs: a cast of text to a number.
	q := e.wait(e.start("SELECT CAST(eventName AS integer) AS n FROM "+e.store.ID).ID, 20*time.Second)
	require.Equal(t, StatusFailed, q.Status)
	require.NotEmpty(t, q.ErrorMessage)
}

// TestCloseStopsRunning: Close bounded by a short deadline stops a long
// query and records it FAILED; a queued one stays QUEUED and runs after a
// restart; nothing is left RUNNING.
func TestCloseStopsRunning(t *testing.T) {
	e := newEnv(t, 3000, Options{Workers: 1})
	long := e.start(e.longSQL())
	e.waitStatus(long.ID, StatusRunning, 30*time.Second)
	queued := e.start(fmt.Sprintf("SELECT count(*) AS n FROM %s", e.store.ID))

	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	require.NoError(t, e.m.Close(ctx))
	require.Less(t, time.Since(start), 15*time.Second)
	_, err := e.m.Start(context.Background(), StartInput{Statement: "SELECT 1 AS x FROM " + e.store.ID})
	require.ErrorIs(t, err, ErrClosed)

	q, err := e.m.Describe(context.Background(), long.ID)
	require.NoError(t, err)
	require.Equal(t, StatusFailed, q.Status)
	require.Contains(t, q.ErrorMessage, "shut down")
	q, err = e.m.Describe(context.Background(), queued.ID)
	require.NoError(t, err)
	require.Equal(t, StatusQueued, q.Status)

	e.open(Options{})
	q = e.wait(queued.ID, 20*time.Second)
	require.Equal(t, StatusFinished, q.Status)
	page, err := e.m.Results(context.Background(), q.ID, "", 10)
	require.NoError(t, err)
	require.Equal(t, "3000", page.Rows[0][0].Value)
}

// TestConcurrencyLimitRace: of 25 simultaneous starts with MaxActive 10,
// exactly 10 are accepted.
func TestConcurrencyLimitRace(t *testing.T) {
	e := newEnv(t, 3000, Options{Workers: 1})
	var wg sync.WaitGroup
	var mu sync.Mutex
	accepted, refused := 0, 0
	for range 25 {
		wg.Go(func() {
			_, err := e.m.Start(context.Background(), StartInput{Statement: e.longSQL()})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				accepted++
			case errors.Is(err, ErrMaxConcurrent):
				refused++
			default:
				t.Errorf("start: %v", err)
			}
		})
	}
	wg.Wait()
	require.Equal(t, DefaultMaxActive, accepted)
	require.Equal(t, 25-DefaultMaxActive, refused)
}
