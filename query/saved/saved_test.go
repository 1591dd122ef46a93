package saved

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/auditlake/auditlake/lake"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// clock is a settable fake clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// fakeRunner records the statements it runs and answers one CSV row. Like
// JobRunner, it asks in.Authorize about the stores the statement reads
// (stores) before it runs anything.
type fakeRunner struct {
	mu       sync.Mutex
	stmts    []string
	err      error
	stores   []lake.StoreInfo
	noAuthz  bool // misbehave: never call in.Authorize
	refusals int
}

func (f *fakeRunner) Run(ctx context.Context, in RunInput, w io.Writer) (string, int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.noAuthz {
		if err := in.Authorize(ctx, f.stores); err != nil {
			f.refusals++
			return "", 0, err
		}
	}
	stmt := in.Statement
	f.stmts = append(f.stmts, stmt)
	if f.err != nil {
		return "q", 0, f.err
	}
	_, err := io.WriteString(w, "n\n1\n")
	return fmt.Sprintf("q%d", len(f.stmts)), 1, err
}

func (f *fakeRunner) ran() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.stmts...)
}

// fakeAuthz allows each access key to read the stores listed for it; a
// key it does not know does not exist.
type fakeAuthz struct {
	mu    sync.Mutex
	reads map[string][]string // access key ID -> store IDs ("*": all)
}

func (a *fakeAuthz) AuthorizeRead(_ context.Context, p Principal, stores []lake.StoreInfo) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	allowed, ok := a.reads[p.AccessKeyID]
	if !ok {
		return fmt.Errorf("%w: access key %s no longer exists", ErrAccessDenied, p.AccessKeyID)
	}
	for _, st := range stores {
		if !slices.Contains(allowed, "*") && !slices.Contains(allowed, st.ID) {
			return fmt.Errorf("%w: %s may not read event data store %s", ErrAccessDenied, p.AccessKeyID, st.ID)
		}
	}
	return nil
}

func (a *fakeAuthz) set(akid string, stores ...string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if stores == nil {
		delete(a.reads, akid)
		return
	}
	a.reads[akid] = stores
}

// admin is the principal the tests write with unless they say otherwise.
var admin = &Principal{AccessKeyID: "AKIAADMIN", UserName: "admin"}

type env struct {
	l     *lake.Lake
	st    *Store
	clk   *clock
	run   *fakeRunner
	authz *fakeAuthz
}

func newEnv(t *testing.T, start time.Time) *env {
	t.Helper()
	l, err := lake.Open(context.Background(), t.TempDir(), lake.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, l.Close()) })
	clk := &clock{t: start}
	authz := &fakeAuthz{reads: map[string][]string{admin.AccessKeyID: {"*"}}}
	st := NewStore(l, StoreOptions{Authorize: authz, Now: clk.Now})
	return &env{l: l, st: st, clk: clk, run: &fakeRunner{}, authz: authz}
}

func (e *env) scheduler(t *testing.T, opts Options) *Scheduler {
	t.Helper()
	opts.Runner, opts.Now = e.run, e.clk.Now
	if opts.Sleep == nil {
		opts.Sleep = func(context.Context, time.Duration) error { return nil }
	}
	s, err := NewScheduler(e.st, opts)
	require.NoError(t, err)
	return s
}

func (e *env) report(t *testing.T, r Report) Report {
	t.Helper()
	q, err := e.st.CreateQuery(context.Background(), admin, Query{Name: "q-" + r.Name, Statement: "SELECT count(*) FROM s WHERE eventTime >= {{start}} AND eventTime < {{end}}"})
	require.NoError(t, err)
	r.SavedQueryID, r.Enabled = q.ID, true
	r, err = e.st.CreateReport(context.Background(), admin, r)
	require.NoError(t, err)
	return r
}

func statuses(t *testing.T, st *Store, id string) []string {
	t.Helper()
	runs, err := st.ListRuns(context.Background(), id, 0)
	require.NoError(t, err)
	var out []string
	for i := len(runs) - 1; i >= 0; i-- { // oldest first
		out = append(out, runs[i].FireTime.UTC().Format("15:04")+" "+string(runs[i].Status))
	}
	return out
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestSavedQueryCRUD(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, utc("2026-11-20T10:00:00Z"))
	q, err := e.st.CreateQuery(ctx, admin, Query{Name: "Root logins", Description: "d", Statement: "SELECT 1"})
	require.NoError(t, err)
	require.NotEmpty(t, q.ID)

	_, err = e.st.CreateQuery(ctx, admin, Query{Name: "root LOGINS", Statement: "SELECT 2"})
	require.ErrorIs(t, err, lake.ErrInvalidParameter, "names are unique, ignoring case")
	_, err = e.st.CreateQuery(ctx, admin, Query{Name: "x"})
	require.ErrorIs(t, err, lake.ErrInvalidParameter)

	q.Statement = "SELECT 3"
	up, err := e.st.UpdateQuery(ctx, admin, q)
	require.NoError(t, err)
	require.Equal(t, "SELECT 3", up.Statement)
	got, err := e.st.GetQuery(ctx, q.ID)
	require.NoError(t, err)
	require.Equal(t, up, got)

	r, err := e.st.CreateReport(ctx, admin, Report{Name: "weekly", SavedQueryID: q.ID, Schedule: "0 9 * * 1", TimeZone: "Europe/Paris"})
	require.NoError(t, err)
	require.Equal(t, "reports/"+r.ID, r.Destination)
	require.ErrorIs(t, e.st.DeleteQuery(ctx, q.ID), lake.ErrInvalidParameter, "a report still runs it")
	require.NoError(t, e.st.DeleteReport(ctx, r.ID))
	require.NoError(t, e.st.DeleteQuery(ctx, q.ID))
	_, err = e.st.GetQuery(ctx, q.ID)
	require.ErrorIs(t, err, ErrNotFound)
	list, err := e.st.ListQueries(ctx)
	require.NoError(t, err)
	require.Empty(t, list)
}

func TestReportValidation(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, utc("2026-11-20T10:00:00Z"))
	q, err := e.st.CreateQuery(ctx, admin, Query{Name: "q", Statement: "SELECT 1"})
	require.NoError(t, err)
	for name, r := range map[string]Report{
		"bad cron":        {Schedule: "61 * * * *"},
		"bad zone":        {Schedule: "@daily", TimeZone: "Mars/Olympus"},
		"zone in expr":    {Schedule: "CRON_TZ=UTC 0 * * * *"},
		"bad catch-up":    {Schedule: "@daily", CatchUp: "SOMETIMES"},
		"escaping dest":   {Schedule: "@daily", Destination: "../etc"},
		"store dest":      {Schedule: "@daily", Destination: "stores/x"},
		"bad webhook":     {Schedule: "@daily", Webhook: "ftp://x"},
		"no saved query":  {Schedule: "@daily", SavedQueryID: "nope"},
		"negative window": {Schedule: "@daily", Window: -1},
	} {
		t.Run(name, func(t *testing.T) {
			r.Name = "r"
			if r.SavedQueryID == "" {
				r.SavedQueryID = q.ID
			}
			_, err := e.st.CreateReport(ctx, admin, r)
			require.Error(t, err)
			require.True(t, errors.Is(err, lake.ErrInvalidParameter) || errors.Is(err, ErrNotFound), err)
		})
	}
}

func TestFillAndDuration(t *testing.T) {
	got := Fill("WHERE eventTime >= {{start}} AND eventTime < {{end}}", utc("2026-11-19T09:00:00Z"), utc("2026-11-20T09:00:00Z"))
	require.Equal(t, "WHERE eventTime >= '2026-11-19 09:00:00' AND eventTime < '2026-11-20 09:00:00'", got)
	d, err := ParseDuration("7d")
	require.NoError(t, err)
	require.Equal(t, 7*24*time.Hour, d)
	_, err = ParseDuration("-1h")
	require.Error(t, err)
}

func TestSchedulerRunsOnceAtEachFireTime(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, utc("2026-11-20T10:30:00Z"))
	r := e.report(t, Report{Name: "hourly", Schedule: "0 * * * *", Window: Duration(24 * time.Hour)})
	s := e.scheduler(t, Options{})

	e.clk.Set(utc("2026-11-20T10:59:59Z"))
	require.NoError(t, s.RunDue(ctx))
	require.Empty(t, e.run.ran(), "nothing is due before 11:00")

	e.clk.Set(utc("2026-11-20T11:00:20Z"))
	require.NoError(t, s.RunDue(ctx))
	require.NoError(t, s.RunDue(ctx))
	require.Equal(t, []string{"SELECT count(*) FROM s WHERE eventTime >= '2026-11-19 11:00:00' AND eventTime < '2026-11-20 11:00:00'"}, e.run.ran())

	runs, err := e.st.ListRuns(ctx, r.ID, 0)
	require.NoError(t, err)
	require.Len(t, runs, 1)
	require.Equal(t, RunSuccess, runs[0].Status)
	require.Equal(t, "reports/"+r.ID+"/2026-11-20T11-00-00Z.csv", runs[0].Location)
	require.EqualValues(t, 1, runs[0].Rows)
	data, err := e.l.Bucket().ReadAll(ctx, runs[0].Location)
	require.NoError(t, err)
	require.Equal(t, "n\n1\n", string(data))
}

func TestSchedulerTimeZonesAndDST(t *testing.T) {
	for name, tc := range map[string]struct {
		expr, zone string
		from       time.Time
		want       []string
	}{
		// New York leaves daylight time on 1 November 2026: 09:00 local
		// moves from 13:00 to 14:00 UTC.
		"9am New York across fall-back": {"0 9 * * *", "America/New_York", utc("2026-10-30T12:00:00Z"),
			[]string{"2026-10-30T13:00:00Z", "2026-10-31T13:00:00Z", "2026-11-01T14:00:00Z", "2026-11-02T14:00:00Z"}},
		// Berlin skips 02:00-03:00 on 29 March 2026: a 02:30 job runs at
		// 03:00 local (01:00 UTC) that day, once.
		"02:30 Berlin across spring-forward": {"30 2 * * *", "Europe/Berlin", utc("2026-03-27T12:00:00Z"),
			[]string{"2026-03-28T01:30:00Z", "2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z"}},
		// Berlin repeats 02:00-03:00 on 25 October 2026: the 02:30 job runs
		// once, at the first 02:30.
		"02:30 Berlin across fall-back": {"30 2 * * *", "Europe/Berlin", utc("2026-10-24T12:00:00Z"),
			[]string{"2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z"}},
		"weekly Monday 08:00 Tokyo": {"0 8 * * 1", "Asia/Tokyo", utc("2026-11-20T00:00:00Z"),
			[]string{"2026-11-22T23:00:00Z", "2026-11-29T23:00:00Z"}},
	} {
		t.Run(name, func(t *testing.T) {
			sched, err := ParseSchedule(tc.expr, tc.zone)
			require.NoError(t, err)
			var got []string
			for t0 := sched.Next(tc.from); len(got) < len(tc.want); t0 = sched.Next(t0) {
				got = append(got, t0.Format(time.RFC3339))
			}
			require.Equal(t, tc.want, got)
		})
	}
}

func TestSchedulerCatchUpAfterDowntime(t *testing.T) {
	for _, tc := range []struct {
		policy CatchUp
		want   []string
	}{
		{CatchUpSkip, []string{"11:00 SKIPPED", "12:00 SKIPPED", "13:00 SKIPPED", "14:00 SKIPPED"}},
		{CatchUpLatest, []string{"11:00 SKIPPED", "12:00 SKIPPED", "13:00 SKIPPED", "14:00 SUCCEEDED"}},
		{CatchUpAll, []string{"11:00 SUCCEEDED", "12:00 SUCCEEDED", "13:00 SUCCEEDED", "14:00 SUCCEEDED"}},
	} {
		t.Run(string(tc.policy), func(t *testing.T) {
			e := newEnv(t, utc("2026-11-20T10:30:00Z"))
			r := e.report(t, Report{Name: "hourly", Schedule: "@hourly", CatchUp: tc.policy})
			e.clk.Set(utc("2026-11-20T14:30:00Z")) // down from 10:30 to 14:30
			s := e.scheduler(t, Options{})
			require.NoError(t, s.RunDue(context.Background()))
			require.Equal(t, tc.want, statuses(t, e.st, r.ID))
			require.NoError(t, s.RunDue(context.Background()))
			require.Equal(t, tc.want, statuses(t, e.st, r.ID), "a second step runs nothing again")
		})
	}
}

func TestSchedulerSkipRunsOnTimeFireTime(t *testing.T) {
	e := newEnv(t, utc("2026-11-20T10:30:00Z"))
	r := e.report(t, Report{Name: "hourly", Schedule: "@hourly"})
	e.clk.Set(utc("2026-11-20T12:01:00Z")) // 11:00 missed, 12:00 within the grace period
	s := e.scheduler(t, Options{})
	require.NoError(t, s.RunDue(context.Background()))
	require.Equal(t, []string{"11:00 SKIPPED", "12:00 SUCCEEDED"}, statuses(t, e.st, r.ID))
	// The window of the 12:00 run starts at the previous fire time.
	require.Contains(t, e.run.ran()[0], ">= '2026-11-20 11:00:00' AND eventTime < '2026-11-20 12:00:00'")
}

func TestSchedulerNoDoubleRunAfterCrash(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, utc("2026-11-20T10:30:00Z"))
	r := e.report(t, Report{Name: "hourly", Schedule: "@hourly", CatchUp: CatchUpAll})
	e.clk.Set(utc("2026-11-20T11:00:10Z"))
	s := e.scheduler(t, Options{})
	// A process claims the 11:00 run and dies before it ends.
	_, _, _, ok, err := s.claim(r.ID, utc("2026-11-20T11:00:00Z"), false)
	require.NoError(t, err)
	require.True(t, ok)

	s2 := e.scheduler(t, Options{}) // the restart
	require.NoError(t, s2.RunDue(ctx))
	require.Empty(t, e.run.ran(), "the interrupted fire time is not run again")
	runs, err := e.st.ListRuns(ctx, r.ID, 0)
	require.NoError(t, err)
	require.Len(t, runs, 1)
	require.Equal(t, RunFailed, runs[0].Status)
	require.Contains(t, runs[0].Error, "not run again")

	_, _, _, ok, err = s2.claim(r.ID, utc("2026-11-20T11:00:00Z"), false)
	require.NoError(t, err)
	require.False(t, ok, "a claimed fire time cannot be claimed twice")
}

func TestSchedulerRunFailureAndDisabled(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, utc("2026-11-20T10:30:00Z"))
	r := e.report(t, Report{Name: "hourly", Schedule: "@hourly"})
	off := e.report(t, Report{Name: "off", Schedule: "@hourly"})
	off.Enabled = false
	_, err := e.st.UpdateReport(ctx, admin, off)
	require.NoError(t, err)
	e.run.err = errors.New("boom")
	e.clk.Set(utc("2026-11-20T11:00:05Z"))
	s := e.scheduler(t, Options{})
	require.NoError(t, s.RunDue(ctx))
	runs, err := e.st.ListRuns(ctx, r.ID, 0)
	require.NoError(t, err)
	require.Len(t, runs, 1)
	require.Equal(t, RunFailed, runs[0].Status)
	require.Equal(t, "boom", runs[0].Error)
	require.Empty(t, statuses(t, e.st, off.ID), "a disabled report does not run")
}

func TestSchedulerWebhookRetriesWithBackoff(t *testing.T) {
	var calls atomic.Int32
	var body atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		body.Store(string(b))
		if calls.Add(1) < 3 {
			http.Error(w, "busy", http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()
	e := newEnv(t, utc("2026-11-20T10:30:00Z"))
	r := e.report(t, Report{Name: "hooked", Schedule: "@hourly", Webhook: srv.URL + "/hook"})
	e.clk.Set(utc("2026-11-20T11:00:01Z"))
	var waits []time.Duration
	s := e.scheduler(t, Options{WebhookBackoff: time.Second, Sleep: func(_ context.Context, d time.Duration) error {
		waits = append(waits, d)
		return nil
	}})
	require.NoError(t, s.RunDue(context.Background()))
	require.EqualValues(t, 3, calls.Load())
	require.Equal(t, []time.Duration{time.Second, 2 * time.Second}, waits)
	require.Contains(t, body.Load().(string), `"Status":"SUCCEEDED"`)
	require.Contains(t, body.Load().(string), `"Location":"reports/`+r.ID)
	runs, err := e.st.ListRuns(context.Background(), r.ID, 0)
	require.NoError(t, err)
	require.Equal(t, "SENT", runs[0].Webhook)
}

func TestRunNow(t *testing.T) {
	e := newEnv(t, utc("2026-11-20T10:30:00Z"))
	r := e.report(t, Report{Name: "weekly", Schedule: "@weekly", Window: Duration(7 * 24 * time.Hour)})
	s := e.scheduler(t, Options{})
	run, err := s.RunNow(context.Background(), r.ID, *admin)
	require.NoError(t, err)
	require.Equal(t, RunSuccess, run.Status)
	require.True(t, run.Manual)
	require.True(t, strings.HasPrefix(run.Location, "reports/"+r.ID+"/manual-"))
	require.Contains(t, e.run.ran()[0], "'2026-11-13 10:30:00'")
	got, err := e.st.GetReport(context.Background(), r.ID)
	require.NoError(t, err)
	require.Equal(t, r.LastFire, got.LastFire, "a manual run leaves the schedule alone")
}
