package query

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// A query takes the spare made ahead for it, a different database each
// time, with the shared settings applied and the configuration still open
// for the query's own.
func TestSparesGiveEachQueryAFreshConfiguredDatabase(t *testing.T) {
	s := newSpares(1, func() (*sandboxDB, error) { return newSandboxDB(Options{Threads: 1, MemoryLimit: "512MB"}) })
	defer func() { require.NoError(t, s.close()) }()
	ctx := context.Background()
	a, err := s.take(ctx)
	require.NoError(t, err)
	defer a.close()
	b, err := s.take(ctx)
	require.NoError(t, err)
	defer b.close()
	require.NotSame(t, a, b)
	require.NotSame(t, a.connector, b.connector)

	var threads int
	require.NoError(t, a.conn.QueryRowContext(ctx, "SELECT current_setting('threads')").Scan(&threads))
	require.Equal(t, 1, threads)
	_, err = a.conn.ExecContext(ctx, "CREATE TEMP VIEW only_a AS SELECT 1 AS x")
	require.NoError(t, err)
	err = b.conn.QueryRowContext(ctx, "SELECT x FROM only_a").Scan(new(int))
	require.Error(t, err, "a database never sees another query's views")
	_, err = b.conn.ExecContext(ctx, "SET lock_configuration = true")
	require.NoError(t, err, "the query's own settings come after the spare's")
}

// take waits for the spare being made instead of making a second database,
// replaces what it takes, makes one on the spot when a spare failed, and
// close closes the spares nobody took.
func TestSparesWaitReplaceRetryAndClose(t *testing.T) {
	var made, closed atomic.Int32
	gate := make(chan struct{})
	var failNext atomic.Bool
	mk := func() (*fakeDB, error) {
		<-gate
		made.Add(1)
		if failNext.CompareAndSwap(true, false) {
			return nil, errors.New("no memory")
		}
		return &fakeDB{closed: &closed}, nil
	}
	s := newSpares(1, mk)
	ctx := context.Background()

	got := make(chan *fakeDB)
	go func() {
		db, err := s.take(ctx)
		require.NoError(t, err)
		got <- db
	}()
	time.Sleep(20 * time.Millisecond)
	require.Equal(t, int32(0), made.Load(), "take waits for the spare being made")
	close(gate)
	<-got
	require.Eventually(t, func() bool { return made.Load() == 2 }, time.Second, time.Millisecond, "the spare taken is replaced")

	// A spare that failed: the query gets a database made on the spot.
	db, err := s.take(ctx) // the replacement
	require.NoError(t, err)
	require.NotNil(t, db)
	require.Eventually(t, func() bool { s.mu.Lock(); defer s.mu.Unlock(); return s.inflight == 0 }, time.Second, time.Millisecond)
	failNext.Store(true)
	db, err = s.take(ctx) // takes the ready spare (made before failNext)
	require.NoError(t, err)
	require.NotNil(t, db)
	require.Eventually(t, func() bool { return len(s.ready) == 1 }, time.Second, time.Millisecond)
	db, err = s.take(ctx) // the failed one: made again now
	require.NoError(t, err)
	require.NotNil(t, db)

	before := closed.Load()
	require.Eventually(t, func() bool { return len(s.ready) == 1 }, time.Second, time.Millisecond)
	require.NoError(t, s.close())
	require.Equal(t, before+1, closed.Load(), "close closes the spare nobody took")
}

// Concurrent queries each get a database of their own.
func TestSparesUnderConcurrentTakes(t *testing.T) {
	var closed atomic.Int32
	s := newSpares(1, func() (*fakeDB, error) { return &fakeDB{closed: &closed}, nil })
	var mu sync.Mutex
	seen := map[*fakeDB]bool{}
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			db, err := s.take(context.Background())
			require.NoError(t, err)
			mu.Lock()
			defer mu.Unlock()
			require.False(t, seen[db], "a database was given twice")
			seen[db] = true
		})
	}
	wg.Wait()
	require.NoError(t, s.close())
	require.Len(t, seen, 16)
}

type fakeDB struct{ closed *atomic.Int32 }

func (f *fakeDB) close() error { f.closed.Add(1); return nil }
