package retention_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/stretchr/testify/require"

	"github.com/auditlake/auditlake/lake"
	"github.com/auditlake/auditlake/retention"
)

const crashChildEnv = "AUDITLAKE_MAINT_CRASH_LAKE"

// raceEnabled is set by race_test.go in -race builds.
var raceEnabled bool

// crashChild runs maintenance passes on the lake in dir until it is killed
// (or, with AUDITLAKE_MAINT_CRASH_ONCE set, after one pass): compaction of
// many small segments, retention of old days, and the purge of a deleted
// store, with no grace period, so that every step is exposed to the kill.
func crashChild(dir string) {
	ctx := context.Background()
	l, err := lake.Open(ctx, dir, lake.Options{PendingDeletion: time.Nanosecond})
	if err != nil {
		fmt.Fprintln(os.Stderr, "open:", err)
		os.Exit(2)
	}
	mt, err := retention.New(l, retention.Options{Grace: -1,
		Compaction: retention.CompactionPolicy{TargetBytes: 96 << 10, MinAge: time.Nanosecond}})
	if err != nil {
		os.Exit(2)
	}
	for {
		rep, err := mt.RunOnce(ctx, false)
		if err == nil {
			err = rep.Err()
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "maintenance:", err)
			os.Exit(3)
		}
		if os.Getenv("AUDITLAKE_MAINT_CRASH_ONCE") != "" {
			_ = l.Close()
			os.Exit(0)
		}
	}
}

type crashWorld struct {
	store, doomed string
	live          map[string]bool // event IDs on unexpired days: each must be stored exactly once
	expiring      map[string]bool // event IDs on expired days: stored at most once
	doomedIDs     int
	maxWal        uint64
}

func addSmallSegments(t *testing.T, l *lake.Lake, w *crashWorld, storeID string, round int, rng *rand.Rand) {
	t.Helper()
	ctx := context.Background()
	today := time.Now().UTC().Truncate(24 * time.Hour)
	for _, d := range []int{1, 2, 3, 4, 5, 6, 8, 9, 10} {
		day := today.Add(-time.Duration(d) * 24 * time.Hour)
		// Retention is 7 days: days 8 and older have expired whole, day 7
		// (not written) only in part.
		expired := d >= 8
		for s := range 4 {
			n := 20 + rng.IntN(60)
			evs := make([]lake.Event, n)
			for i := range evs {
				id := fmt.Sprintf("r%d-d%d-s%d-%d", round, d, s, i)
				evs[i] = lake.Event{EventTime: day.Add(time.Duration(rng.IntN(86400)) * time.Second), EventID: &id,
					EventJSON: fmt.Sprintf(`{"eventID":%q,"pad":%q}`, id, strings.Repeat("x", rng.IntN(400)))}
				switch {
				case storeID == w.doomed:
					w.doomedIDs++
				case expired:
					w.expiring[id] = true
				default:
					w.live[id] = true
				}
			}
			batch := ""
			if !expired && storeID == w.store {
				w.maxWal += uint64(1 + rng.IntN(5))
				batch = "wal:" + strconv.FormatUint(w.maxWal, 10)
			}
			segs, err := l.WriteSegments(ctx, storeID, batch, evs)
			require.NoError(t, err)
			_, err = l.Commit(ctx, storeID, lake.Change{Add: segs})
			require.NoError(t, err)
		}
	}
}

// checkCrashWorld opens the lake and checks it: every live event once,
// no expired event twice, no object the manifest does not list, the
// store's write-ahead-log position intact, and the deleted store either
// whole or gone.
func checkCrashWorld(t *testing.T, dir string, w *crashWorld, final bool) *lake.Lake {
	t.Helper()
	ctx := context.Background()
	l, err := lake.Open(ctx, dir, lake.Options{})
	require.NoError(t, err)
	count := func(storeID string) map[string]int {
		paths, release, err := l.Segments(ctx, storeID, time.Time{}, time.Time{})
		require.NoError(t, err)
		defer release()
		seen := map[string]int{}
		for _, p := range paths {
			rows, err := parquet.ReadFile[lake.Event](p)
			require.NoError(t, err)
			for _, r := range rows {
				seen[*r.EventID]++
			}
		}
		return seen
	}
	seen := count(w.store)
	for id := range w.live {
		require.Equal(t, 1, seen[id], "live event %s", id)
	}
	for id, n := range seen {
		require.True(t, w.live[id] || w.expiring[id], "unknown event %s", id)
		require.Equal(t, 1, n, "event %s stored %d times", id, n)
		if final {
			require.False(t, w.expiring[id], "expired event %s still stored after a full pass", id)
		}
	}
	m, err := l.Manifest(ctx, w.store)
	require.NoError(t, err)
	require.Equal(t, "wal:"+strconv.FormatUint(w.maxWal, 10), lake.MergedBatch(m.Segments), "write-ahead-log position")
	objs, err := l.Bucket().List(ctx, "stores/"+w.store+"/data/")
	require.NoError(t, err)
	require.Len(t, objs, len(m.Segments), "no object the manifest does not list")

	if _, err := l.GetStore(ctx, w.doomed); err == nil {
		require.False(t, final, "the deleted store was not purged")
		total := 0
		for _, n := range count(w.doomed) {
			total += n
		}
		require.Equal(t, w.doomedIDs, total, "a store pending deletion is whole until its purge")
	} else {
		require.ErrorIs(t, err, lake.ErrStoreNotFound)
		if final {
			objs, err := l.Bucket().List(ctx, "stores/"+w.doomed+"/")
			require.NoError(t, err)
			require.Empty(t, objs)
		}
	}
	return l
}

// TestMaintenanceCrashAnywhere kills a process running maintenance passes
// (compaction, retention, purge, file deletion) with SIGKILL at random
// moments, adds more small segments between runs, and checks the lake
// after every kill; a last pass runs to its end.
func TestMaintenanceCrashAnywhere(t *testing.T) {
	if raceEnabled {
		// The kills test durability, not data races, and the race detector
		// makes the child processes too slow for the suite's time budget.
		t.Skip("crash test skipped under -race; run it without")
	}
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 7))
	ctx := context.Background()
	dir := t.TempDir()
	l, err := lake.Open(ctx, dir, lake.Options{})
	require.NoError(t, err)
	w := &crashWorld{live: map[string]bool{}, expiring: map[string]bool{}}
	for _, name := range []string{"kept", "doomed"} {
		s, err := l.CreateStore(ctx, lake.CreateStoreInput{Name: name, RetentionPeriod: new(7), TerminationProtectionEnabled: new(false)})
		require.NoError(t, err)
		if name == "kept" {
			w.store = s.ID
		} else {
			w.doomed = s.ID
		}
	}
	addSmallSegments(t, l, w, w.doomed, 0, rng)
	_, err = l.DeleteStore(ctx, w.doomed)
	require.NoError(t, err)

	rounds := 4
	if testing.Short() {
		rounds = 2
	}
	for round := 0; round <= rounds; round++ {
		last := round == rounds
		if !last {
			addSmallSegments(t, l, w, w.store, round, rng)
		}
		require.NoError(t, l.Close())
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), crashChildEnv+"="+dir)
		if last {
			cmd.Env = append(cmd.Env, "AUDITLAKE_MAINT_CRASH_ONCE=1")
		}
		var stderr strings.Builder
		cmd.Stderr = &stderr
		require.NoError(t, cmd.Start())
		if last {
			require.NoError(t, cmd.Wait(), stderr.String())
		} else {
			time.Sleep(time.Duration(20+rng.IntN(400)) * time.Millisecond)
			require.NoError(t, cmd.Process.Kill())
			err := cmd.Wait()
			require.Error(t, err, "the child ran to the kill: %s", stderr.String())
			require.NotContains(t, stderr.String(), "maintenance:", stderr.String())
		}
		l = checkCrashWorld(t, dir, w, last)
	}
	require.NoError(t, l.Close())
}
