package ingest_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/auditlake/auditlake/ingest"
	"github.com/auditlake/auditlake/lake"
)

const (
	walCrashChildEnv = "AUDITLAKE_WAL_CRASH_CHILD"
	walCrashBatch    = 20 // events per Append
)

// walCrashChild is the process the WAL crash test kills: goroutines append
// batches through a Sink that flushes often, and it prints "acked BATCH"
// as soon as each Append returns. Even goroutines append CloudTrail events
// to "mgmt", odd ones events from outside AWS to "audit".
func walCrashChild() {
	ctx := context.Background()
	round := os.Getenv("AUDITLAKE_WAL_CRASH_ROUND")
	batches, _ := strconv.Atoi(os.Getenv("AUDITLAKE_WAL_CRASH_BATCHES"))
	l, err := lake.Open(ctx, os.Getenv("AUDITLAKE_WAL_CRASH_LAKE"), lake.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, "open:", err)
		os.Exit(2)
	}
	s, err := ingest.OpenSink(ctx, l, ingest.SinkOptions{FlushBytes: 32 << 10, FlushAge: 30 * time.Millisecond})
	if err != nil {
		fmt.Fprintln(os.Stderr, "open sink:", err)
		os.Exit(2)
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for b := range batches {
				id := fmt.Sprintf("r%s-g%d-b%03d", round, g, b)
				var err error
				if g%2 == 0 {
					err = s.Append(ctx, []string{"mgmt"}, mgmtEvents(id, walCrashBatch, day.Add(time.Duration(b)*time.Hour)))
				} else {
					err = s.AppendAudit(ctx, []string{"audit"}, auditRows(id, walCrashBatch))
				}
				if err != nil {
					fmt.Fprintln(os.Stderr, "append:", err)
					os.Exit(3)
				}
				mu.Lock()
				fmt.Fprintf(os.Stdout, "acked %s\n", id)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if err := s.Close(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "close sink:", err)
		os.Exit(4)
	}
	if err := l.Close(); err != nil {
		os.Exit(4)
	}
}

// TestSinkCrashAnywhereLosesAndDuplicatesNothing kills a process appending
// through a Sink with SIGKILL at random moments (while it logs, flushes,
// commits or removes flushed logs), reopens the lake and the Sink after
// each kill, and checks that every acknowledged batch is stored exactly
// once, and that any batch stored at all is stored whole and once.
func TestSinkCrashAnywhereLosesAndDuplicatesNothing(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 2))
	dir, l := newSinkLake(t)
	require.NoError(t, l.Close())

	rounds := 8
	if testing.Short() {
		rounds = 5
	}
	acked := map[string]bool{}
	interrupted := 0
	for round := range rounds {
		last := round == rounds-1
		// Runs that are killed have more to do than they can finish first.
		batches := 2000
		if last {
			batches = 40
		}
		var killAfter time.Duration
		if !last {
			killAfter = time.Duration(20+rng.IntN(300)) * time.Millisecond
		}
		n := 0
		stderr, err := runAckingChild(t, []string{walCrashChildEnv + "=1", "AUDITLAKE_WAL_CRASH_LAKE=" + dir,
			"AUDITLAKE_WAL_CRASH_ROUND=" + strconv.Itoa(round), "AUDITLAKE_WAL_CRASH_BATCHES=" + strconv.Itoa(batches)},
			killAfter, func(id string) { acked[id] = true; n++ })
		t.Logf("round %d: %d batches acknowledged in it, %d in all; process ended: %v", round, n, len(acked), err)
		if err != nil && n < 4*batches {
			interrupted++
		}
		if last {
			require.NoError(t, err, "the last run must complete: %s", stderr)
		} else if err != nil {
			require.Contains(t, err.Error(), "killed", "the child failed: %s", stderr)
		}
		checkWALExactlyOnce(t, dir, acked)
	}
	require.Positive(t, interrupted, "at least one kill must land while appending")
}

// checkWALExactlyOnce replays the log as the next process would, then
// checks the stores.
func checkWALExactlyOnce(t *testing.T, dir string, acked map[string]bool) {
	t.Helper()
	ctx := context.Background()
	l := openSinkLake(t, dir, false)
	s, err := ingest.OpenSink(ctx, l, ingest.SinkOptions{FlushAge: time.Hour})
	require.NoError(t, err)
	require.NoError(t, s.Close(ctx))
	batches := map[string]int{}
	for _, store := range []string{"mgmt", "audit"} {
		for id, n := range storeEventIDs(t, l, store) {
			require.Equal(t, 1, n, "event %s is stored %d times", id, n)
			batches[id[:strings.LastIndexByte(id, '-')]]++
		}
	}
	for b, n := range batches {
		require.Equal(t, walCrashBatch, n, "batch %s is stored in part", b)
	}
	for b := range acked {
		require.Contains(t, batches, b, "acknowledged batch %s is lost", b)
	}
	require.NoError(t, l.Close())
}
