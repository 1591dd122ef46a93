package jobs

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/auditlake/auditlake/lake"
)

// TestRestartSettlesActiveQueries plants what a killed server leaves: a
// QUEUED query, a RUNNING one with a partial result file and delivery
// pending. Opening a manager runs the QUEUED one and ends the RUNNING one
// FAILED, so that no query stays active forever.
func TestRestartSettlesActiveQueries(t *testing.T) {
	e := newEnv(t, 20, Options{})
	require.NoError(t, e.m.Close(context.Background()))
	ctx := context.Background()
	now := time.Now().UTC()
	queued := &record{ID: uuid.NewString(), Status: StatusQueued, Created: now.Add(-time.Minute),
		Statement: fmt.Sprintf("SELECT count(*) AS n FROM %s", e.store.ID), Stores: []string{e.store.ID}}
	running := &record{ID: uuid.NewString(), Status: StatusRunning, Created: now.Add(-2 * time.Minute),
		Started: now.Add(-time.Minute), Statement: "SELECT eventID FROM " + e.store.ID, Stores: []string{e.store.ID},
		DeliveryURI: "s3://b", Delivery: DeliveryPending, Columns: []string{"eventID"}, Parts: []part{{Rows: 1, Bytes: 19}}, Rows: 1}
	require.NoError(t, e.l.ControlUpdate(func(c lake.Control) error {
		return errorsJoin(putRecord(c, queued, true), putRecord(c, running, true))
	}))
	require.NoError(t, e.l.Bucket().WriteAll(ctx, partKey(running.ID, 1), []byte("eventID\nevt-000001\n"), false))
	require.NoError(t, e.l.Bucket().WriteAll(ctx, partKey(running.ID, 2)+".tmp-write-123", []byte("torn"), false))

	// A real restart: the lake and engine are opened again.
	require.NoError(t, e.eng.Close())
	require.NoError(t, e.l.Close())
	e.openLake()
	e.open(Options{})

	q, err := e.m.Describe(ctx, running.ID)
	require.NoError(t, err)
	require.Equal(t, StatusFailed, q.Status)
	require.Contains(t, q.ErrorMessage, "stopped while the query was running")
	require.Equal(t, DeliveryFailed, q.DeliveryStatus)
	require.False(t, q.EndTime.IsZero())
	page, err := e.m.Results(ctx, running.ID, "", 10)
	require.NoError(t, err)
	require.Len(t, page.Rows, 1, "rows stored before the crash stay readable")
	objs, err := e.l.Bucket().List(ctx, keyPrefix+running.ID+"/")
	require.NoError(t, err)
	require.Len(t, objs, 1, "torn temporary files are swept")

	q = e.wait(queued.ID, 20*time.Second)
	require.Equal(t, StatusFinished, q.Status, q.ErrorMessage)
	page, err = e.m.Results(ctx, queued.ID, "", 10)
	require.NoError(t, err)
	require.Equal(t, "20", page.Rows[0][0].Value)
}

func errorsJoin(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// TestSweep: with an injected clock, results and history of queries older
// than ResultTTL disappear; younger ones stay.
func TestSweep(t *testing.T) {
	e := newEnv(t, 10, Options{SweepInterval: -1})
	ctx := context.Background()
	t0 := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	e.clock.Set(t0)
	old := e.wait(e.start("SELECT eventID FROM "+e.store.ID).ID, 20*time.Second)
	e.clock.Set(t0.Add(3 * 24 * time.Hour))
	young := e.wait(e.start("SELECT eventName FROM "+e.store.ID).ID, 20*time.Second)
	objs, err := e.l.Bucket().List(ctx, keyPrefix+old.ID+"/")
	require.NoError(t, err)
	require.NotEmpty(t, objs)

	e.clock.Set(t0.Add(7*24*time.Hour - time.Second))
	n, err := e.m.Sweep(ctx)
	require.NoError(t, err)
	require.Zero(t, n)

	e.clock.Set(t0.Add(7*24*time.Hour + time.Second))
	n, err = e.m.Sweep(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	_, err = e.m.Describe(ctx, old.ID)
	require.ErrorIs(t, err, ErrQueryNotFound)
	_, err = e.m.Results(ctx, old.ID, "", 10)
	require.ErrorIs(t, err, ErrQueryNotFound)
	objs, err = e.l.Bucket().List(ctx, keyPrefix+old.ID+"/")
	require.NoError(t, err)
	require.Empty(t, objs)
	page, err := e.m.List(ctx, ListInput{Store: e.store.ID})
	require.NoError(t, err)
	require.Len(t, page.Queries, 1)
	require.Equal(t, young.ID, page.Queries[0].ID)

	// The sweep also runs when a manager starts.
	require.NoError(t, e.m.Close(ctx))
	e.clock.Set(t0.Add(11 * 24 * time.Hour))
	e.open(Options{SweepInterval: -1})
	_, err = e.m.Describe(ctx, young.ID)
	require.ErrorIs(t, err, ErrQueryNotFound)
}

func TestList(t *testing.T) {
	e := newEnv(t, 10, Options{SweepInterval: -1})
	ctx := context.Background()
	other, err := e.l.CreateStore(ctx, lake.CreateStoreInput{Name: "other"})
	require.NoError(t, err)
	t0 := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	var ids []string
	for i := range 5 {
		e.clock.Set(t0.Add(time.Duration(i) * time.Hour))
		sql := "SELECT eventID FROM " + e.store.ID
		if i == 2 {
			sql = "SELECT CAST(eventName AS integer) FROM " + e.store.ID // fails
		}
		ids = append(ids, e.wait(e.start(sql).ID, 20*time.Second).ID)
	}
	e.clock.Set(t0.Add(10 * time.Hour))
	otherQ := e.wait(e.start("SELECT eventID FROM other").ID, 20*time.Second)

	page, err := e.m.List(ctx, ListInput{Store: e.store.ARN})
	require.NoError(t, err)
	require.Len(t, page.Queries, 5)
	for i, q := range page.Queries {
		require.Equal(t, ids[4-i], q.ID, "newest first")
	}
	page, err = e.m.List(ctx, ListInput{Store: other.ID})
	require.NoError(t, err)
	require.Len(t, page.Queries, 1)
	require.Equal(t, otherQ.ID, page.Queries[0].ID)

	page, err = e.m.List(ctx, ListInput{Store: e.store.ID, Status: StatusFailed})
	require.NoError(t, err)
	require.Len(t, page.Queries, 1)
	require.Equal(t, ids[2], page.Queries[0].ID)

	page, err = e.m.List(ctx, ListInput{Store: e.store.ID, Start: t0.Add(time.Hour), End: t0.Add(3 * time.Hour)})
	require.NoError(t, err)
	require.Len(t, page.Queries, 3)
	require.Equal(t, ids[3], page.Queries[0].ID)
	require.Equal(t, ids[1], page.Queries[2].ID)

	// Pages of two, resumed by token.
	var got []string
	in := ListInput{Store: e.store.ID, Max: 2}
	for {
		page, err = e.m.List(ctx, in)
		require.NoError(t, err)
		require.LessOrEqual(t, len(page.Queries), 2)
		for _, q := range page.Queries {
			got = append(got, q.ID)
		}
		if page.NextToken == "" {
			break
		}
		in.NextToken = page.NextToken
	}
	require.Equal(t, []string{ids[4], ids[3], ids[2], ids[1], ids[0]}, got)

	page, err = e.m.List(ctx, ListInput{Store: e.store.ID, Max: 2})
	require.NoError(t, err)
	for _, tc := range []struct {
		name string
		in   ListInput
		want error
	}{
		{"no store", ListInput{}, ErrInvalidParameter},
		{"unknown store", ListInput{Store: "nosuch"}, lake.ErrStoreNotFound},
		{"max", ListInput{Store: e.store.ID, Max: 1001}, ErrInvalidMaxResults},
		{"range", ListInput{Store: e.store.ID, Start: t0, End: t0.Add(-time.Second)}, ErrInvalidDateRange},
		{"status", ListInput{Store: e.store.ID, Status: "DONE"}, ErrInvalidQueryStatus},
		{"token of another filter", ListInput{Store: e.store.ID, Status: StatusFinished, NextToken: page.NextToken}, ErrInvalidNextToken},
		{"token of another store", ListInput{Store: other.ID, NextToken: page.NextToken}, ErrInvalidNextToken},
		{"garbage token", ListInput{Store: e.store.ID, NextToken: "abcd"}, ErrInvalidNextToken},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.m.List(ctx, tc.in)
			require.ErrorIs(t, err, tc.want)
		})
	}
}
