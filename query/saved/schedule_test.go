package saved

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/auditlake/auditlake/lake"
)

// walk steps the clock from e's current time to end every step and runs
// a scheduling step at each, as the Scheduler's loop does.
func walk(t *testing.T, e *env, s *Scheduler, end time.Time, step time.Duration) {
	t.Helper()
	for now := e.clk.Now(); !now.After(end); now = now.Add(step) {
		e.clk.Set(now)
		require.NoError(t, s.RunDue(context.Background()))
	}
}

func runTimes(t *testing.T, st *Store, id string) []string {
	t.Helper()
	runs, err := st.ListRuns(context.Background(), id, 0)
	require.NoError(t, err)
	var out []string
	for i := len(runs) - 1; i >= 0; i-- {
		out = append(out, runs[i].FireTime.UTC().Format(time.RFC3339)+" "+string(runs[i].Status))
	}
	return out
}

// TestSchedulerAcrossDaylightSaving drives a daily 02:30 Berlin report
// through both clock changes of 2026, one scheduling step every 10
// minutes, as a running server would.
func TestSchedulerAcrossDaylightSaving(t *testing.T) {
	for name, tc := range map[string]struct {
		from, to string
		want     []string
	}{
		// 29 March: 02:00 becomes 03:00, so 02:30 never happens; the run
		// happens once, when the skipped hour ends (03:00 CEST, 01:00 UTC).
		"spring forward": {"2026-03-28T12:00:00Z", "2026-03-30T12:00:00Z",
			[]string{"2026-03-29T01:00:00Z SUCCEEDED", "2026-03-30T00:30:00Z SUCCEEDED"}},
		// 25 October: 03:00 becomes 02:00, so 02:30 happens twice (00:30
		// and 01:30 UTC); the report runs at the first only.
		"fall back": {"2026-10-24T12:00:00Z", "2026-10-26T12:00:00Z",
			[]string{"2026-10-25T00:30:00Z SUCCEEDED", "2026-10-26T01:30:00Z SUCCEEDED"}},
	} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, utc(tc.from))
			r := e.report(t, Report{Name: "daily", Schedule: "30 2 * * *", TimeZone: "Europe/Berlin", Window: Duration(24 * time.Hour)})
			s := e.scheduler(t, Options{})
			walk(t, e, s, utc(tc.to), 10*time.Minute)
			require.Equal(t, tc.want, runTimes(t, e.st, r.ID))
			require.Len(t, e.run.ran(), len(tc.want), "each fire time ran once")
		})
	}
}

// TestSchedulerRestartNeverRunsTwice reopens the lake between scheduling
// steps, as a server restart does: runs done before it are not done again,
// and a run cut short by a crash during a catch-up is not repeated while
// the fire times after it are caught up.
func TestSchedulerRestartNeverRunsTwice(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	clk := &clock{t: utc("2026-11-20T10:30:00Z")}
	authz := &fakeAuthz{reads: map[string][]string{admin.AccessKeyID: {"*"}}}
	runner := &fakeRunner{}
	open := func() (*lake.Lake, *Store, *Scheduler) {
		l, err := lake.Open(ctx, dir, lake.Options{})
		require.NoError(t, err)
		st := NewStore(l, StoreOptions{Authorize: authz, Now: clk.Now})
		s, err := NewScheduler(st, Options{Runner: runner, Now: clk.Now})
		require.NoError(t, err)
		return l, st, s
	}
	l, st, s := open()
	q, err := st.CreateQuery(ctx, admin, Query{Name: "q", Statement: "SELECT {{end}}"})
	require.NoError(t, err)
	r, err := st.CreateReport(ctx, admin, Report{Name: "hourly", SavedQueryID: q.ID, Schedule: "@hourly", CatchUp: CatchUpAll, Enabled: true})
	require.NoError(t, err)
	clk.Set(utc("2026-11-20T11:00:03Z"))
	require.NoError(t, s.RunDue(ctx))
	// 12:00 is claimed, then the process dies before the run ends.
	clk.Set(utc("2026-11-20T12:00:01Z"))
	_, _, _, ok, err := s.claim(r.ID, utc("2026-11-20T12:00:00Z"), false)
	require.NoError(t, err)
	require.True(t, ok)
	require.NoError(t, s.Close())
	require.NoError(t, l.Close())

	clk.Set(utc("2026-11-20T14:30:00Z")) // down until 14:30
	l, st, s = open()
	require.NoError(t, s.RunDue(ctx))
	require.NoError(t, s.RunDue(ctx))
	require.NoError(t, s.Close())
	require.NoError(t, l.Close())
	l, st, s = open() // and a clean restart at the same time
	require.NoError(t, s.RunDue(ctx))
	t.Cleanup(func() { require.NoError(t, l.Close()) })

	require.Equal(t, []string{
		"2026-11-20T11:00:00Z SUCCEEDED",
		"2026-11-20T12:00:00Z FAILED",
		"2026-11-20T13:00:00Z SUCCEEDED",
		"2026-11-20T14:00:00Z SUCCEEDED",
	}, runTimes(t, st, r.ID))
	ran := strings.Join(runner.ran(), "\n")
	require.Equal(t, 3, len(runner.ran()), ran)
	require.NotContains(t, ran, "'2026-11-20 12:00:00'", "the interrupted fire time is not run again")
	_, err = l.Bucket().ReadAll(ctx, filepath.ToSlash(r.Destination+"/2026-11-20T12-00-00Z.csv"))
	require.Error(t, err)
}

// TestSchedulerCatchUpIsBounded checks that a long downtime under ALL runs
// only the latest MaxCatchUp fire times and records the others SKIPPED.
func TestSchedulerCatchUpIsBounded(t *testing.T) {
	e := newEnv(t, utc("2026-11-20T00:30:00Z"))
	r := e.report(t, Report{Name: "hourly", Schedule: "@hourly", CatchUp: CatchUpAll})
	e.clk.Set(utc("2026-11-21T06:30:00Z")) // 30 fire times missed
	s := e.scheduler(t, Options{})
	require.NoError(t, s.RunDue(context.Background()))
	got := runTimes(t, e.st, r.ID)
	require.Len(t, got, 30)
	require.Equal(t, "2026-11-20T01:00:00Z SKIPPED", got[0])
	require.Equal(t, "2026-11-20T06:00:00Z SKIPPED", got[5])
	require.Equal(t, "2026-11-20T07:00:00Z SUCCEEDED", got[6])
	require.Equal(t, "2026-11-21T06:00:00Z SUCCEEDED", got[29])
	require.Len(t, e.run.ran(), MaxCatchUp)
}
