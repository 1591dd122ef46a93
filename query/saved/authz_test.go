package saved

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/auditlake/auditlake/lake"
)

// fromAnalyzer reads "FROM <id>" words as the stores a statement reads.
func fromAnalyzer(_ context.Context, stmt string) ([]lake.StoreInfo, error) {
	var out []lake.StoreInfo
	f := strings.Fields(stmt)
	for i := 0; i+1 < len(f); i++ {
		if strings.EqualFold(f[i], "FROM") {
			out = append(out, lake.StoreInfo{ID: f[i+1], ARN: "arn:store/" + f[i+1]})
		}
	}
	return out, nil
}

func TestWritesNeedReadAccessAndRecordTheWriter(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, utc("2026-11-20T10:00:00Z"))
	e.st = NewStore(e.l, StoreOptions{Analyze: fromAnalyzer, Authorize: e.authz, Now: e.clk.Now})
	bob := &Principal{AccessKeyID: "AKIABOB", UserName: "bob"}
	e.authz.set(bob.AccessKeyID, "s1")

	_, err := e.st.CreateQuery(ctx, nil, Query{Name: "anon", Statement: "SELECT 1 FROM s1"})
	require.ErrorIs(t, err, ErrAccessDenied, "a write names its access key")
	_, err = e.st.CreateQuery(ctx, bob, Query{Name: "theirs", Statement: "SELECT 1 FROM s2"})
	require.ErrorIs(t, err, ErrAccessDenied, "bob may not read s2")
	_, err = e.st.CreateQuery(ctx, &Principal{AccessKeyID: "AKIAGONE"}, Query{Name: "gone", Statement: "SELECT 1"})
	require.ErrorIs(t, err, ErrAccessDenied, "a key that does not exist writes nothing")

	spoof := &Principal{AccessKeyID: "AKIAADMIN"}
	q, err := e.st.CreateQuery(ctx, bob, Query{Name: "mine", Statement: "SELECT 1 FROM s1", CreatedBy: spoof, UpdatedBy: spoof})
	require.NoError(t, err)
	require.Equal(t, bob, q.CreatedBy, "the writer comes from the caller, not the input")
	require.Equal(t, bob, q.UpdatedBy)
	require.Equal(t, []string{"s1"}, q.Stores)

	q.Statement = "SELECT 1 FROM s2"
	_, err = e.st.UpdateQuery(ctx, bob, q)
	require.ErrorIs(t, err, ErrAccessDenied, "bob may not point his query at s2")
	up, err := e.st.UpdateQuery(ctx, admin, q)
	require.NoError(t, err)
	require.Equal(t, bob, up.CreatedBy)
	require.Equal(t, admin, up.UpdatedBy)

	_, err = e.st.CreateReport(ctx, bob, Report{Name: "r", SavedQueryID: q.ID, Schedule: "@daily"})
	require.ErrorIs(t, err, ErrAccessDenied, "the saved query now reads s2, which bob may not read")
	r, err := e.st.CreateReport(ctx, admin, Report{Name: "r", SavedQueryID: q.ID, Schedule: "@daily", CreatedBy: bob})
	require.NoError(t, err)
	require.Equal(t, admin, r.CreatedBy)
	r.Schedule = "@hourly"
	_, err = e.st.UpdateReport(ctx, bob, r)
	require.ErrorIs(t, err, ErrAccessDenied)
	r2, err := e.st.UpdateReport(ctx, admin, r)
	require.NoError(t, err)
	require.Equal(t, admin, r2.CreatedBy)
}

func TestRunsHaveTheirWritersAuthority(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, utc("2026-11-20T10:30:00Z"))
	bob := &Principal{AccessKeyID: "AKIABOB", UserName: "bob"}
	e.authz.set(bob.AccessKeyID, "s1")
	e.run.stores = []lake.StoreInfo{{ID: "s1"}}
	q, err := e.st.CreateQuery(ctx, bob, Query{Name: "q", Statement: "SELECT 1"})
	require.NoError(t, err)
	r, err := e.st.CreateReport(ctx, bob, Report{Name: "hourly", SavedQueryID: q.ID, Schedule: "@hourly", Enabled: true})
	require.NoError(t, err)
	s := e.scheduler(t, Options{})
	step := func(at string) Run {
		t.Helper()
		e.clk.Set(utc(at))
		require.NoError(t, s.RunDue(ctx))
		runs, err := e.st.ListRuns(ctx, r.ID, 1)
		require.NoError(t, err)
		require.Len(t, runs, 1)
		return runs[0]
	}
	objects := func() int {
		t.Helper()
		objs, err := e.l.Bucket().List(ctx, r.Destination+"/")
		require.NoError(t, err)
		return len(objs)
	}

	run := step("2026-11-20T11:00:05Z")
	require.Equal(t, RunSuccess, run.Status, run.Error)
	require.Equal(t, 1, objects())

	e.authz.set(bob.AccessKeyID, "s9") // bob loses s1
	run = step("2026-11-20T12:00:05Z")
	require.Equal(t, RunFailed, run.Status)
	require.Contains(t, run.Error, `report "hourly" runs with the authority of bob (AKIABOB)`)
	require.Contains(t, run.Error, "may not read event data store s1")
	require.Empty(t, run.Location)
	require.Equal(t, 1, objects(), "a refused run writes nothing")
	require.Len(t, e.run.ran(), 1, "and runs nothing")

	e.authz.set(bob.AccessKeyID) // bob's key is deleted
	run = step("2026-11-20T13:00:05Z")
	require.Equal(t, RunFailed, run.Status)
	require.Contains(t, run.Error, "AKIABOB no longer exists")

	// Someone who changes bob's saved query joins the authority a run
	// needs: the run reads only what both may read.
	e.authz.set(bob.AccessKeyID, "s1")
	eve := &Principal{AccessKeyID: "AKIAEVE", UserName: "eve"}
	e.authz.set(eve.AccessKeyID, "s1")
	_, err = e.st.UpdateQuery(ctx, eve, q)
	require.NoError(t, err)
	require.Equal(t, RunSuccess, step("2026-11-20T14:00:05Z").Status)
	e.authz.set(eve.AccessKeyID, "s2")
	run = step("2026-11-20T15:00:05Z")
	require.Equal(t, RunFailed, run.Status)
	require.Contains(t, run.Error, "eve (AKIAEVE)")

	// A manual run needs its starter's access as well.
	e.authz.set(eve.AccessKeyID, "s1")
	run, err = s.RunNow(ctx, r.ID, Principal{AccessKeyID: "AKIAMALLORY", UserName: "mallory"})
	require.NoError(t, err)
	require.Equal(t, RunFailed, run.Status)
	require.Contains(t, run.Error, "mallory (AKIAMALLORY)")
	require.Equal(t, "AKIAMALLORY", run.StartedBy.AccessKeyID)
	require.Equal(t, 2, objects(), "only the 11:00 and 14:00 runs wrote a CSV")
}

func TestRunRefusedWithoutAuthorization(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, utc("2026-11-20T10:30:00Z"))
	r := e.report(t, Report{Name: "hourly", Schedule: "@hourly"})

	_, err := NewScheduler(NewStore(e.l, StoreOptions{Now: e.clk.Now}), Options{Runner: e.run})
	require.Error(t, err, "a scheduler without an Authorizer would run reports with the server's authority")

	e.run.noAuthz = true
	s := e.scheduler(t, Options{})
	run, err := s.RunNow(ctx, r.ID, *admin)
	require.NoError(t, err)
	require.Equal(t, RunFailed, run.Status)
	require.Contains(t, run.Error, "did not check")
	_, err = e.l.Bucket().ReadAll(ctx, r.Destination+"/manual-2026-11-20T10-30-00.000Z.csv")
	require.Error(t, err, "nothing is written")

	// A report written before writers were recorded does not run until
	// someone updates it.
	e.run.noAuthz = false
	require.NoError(t, e.l.ControlUpdate(func(c lake.Control) error {
		var raw Report
		if err := c.Get(nsReports, r.ID, &raw); err != nil {
			return err
		}
		raw.CreatedBy, raw.UpdatedBy = nil, nil
		return c.Put(nsReports, r.ID, raw)
	}))
	e.clk.Set(utc("2026-11-20T10:30:01Z"))
	run, err = s.RunNow(ctx, r.ID, *admin)
	require.NoError(t, err)
	require.Equal(t, RunFailed, run.Status)
	require.Contains(t, run.Error, "records no access key")
	got, err := e.st.GetReport(ctx, r.ID)
	require.NoError(t, err)
	_, err = e.st.UpdateReport(ctx, admin, got)
	require.NoError(t, err)
	e.clk.Set(utc("2026-11-20T10:30:02Z"))
	run, err = s.RunNow(ctx, r.ID, *admin)
	require.NoError(t, err)
	require.Equal(t, RunSuccess, run.Status, run.Error)
}

func TestPrincipalJSON(t *testing.T) {
	data, err := json.Marshal(Query{Name: "q", CreatedBy: admin})
	require.NoError(t, err)
	require.Contains(t, string(data), `"CreatedBy":{"AccessKeyId":"AKIAADMIN","UserName":"admin"}`)
	require.NotContains(t, string(data), "UpdatedBy", "absent writers are left out, as before they existed")
	_, err = writers(Report{Name: "r"}, Query{}, nil)
	require.True(t, errors.Is(err, ErrAccessDenied))
}
