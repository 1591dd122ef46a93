package lake_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/auditlake/auditlake/lake"
)

func TestPendingDeletionRestoreAndPurge(t *testing.T) {
	ctx := context.Background()
	clk := &clock{t: time.Date(2027, 1, 10, 12, 0, 0, 0, time.UTC)}
	dir := t.TempDir()
	l := openLake(t, dir, lake.Options{Now: clk.now, PendingDeletion: 48 * time.Hour})
	s := newStore(t, l, "doomed")
	keep := newStore(t, l, "kept")
	day := time.Date(2027, 1, 9, 0, 0, 0, 0, time.UTC)
	segs := commitStream(t, l, s.ID, [][]lake.Event{streamEvents("a", day, 10, time.Minute), streamEvents("b", day, 10, time.Minute)}, []string{"", ""})
	commitStream(t, l, keep.ID, [][]lake.Event{streamEvents("k", day, 10, time.Minute)}, []string{""})

	_, err := l.DeleteStore(ctx, s.ID)
	require.NoError(t, err)
	_, err = l.PurgeStore(ctx, s.ID)
	require.ErrorIs(t, err, lake.ErrInvalidStatus, "inside the window")
	clk.t = clk.t.Add(47 * time.Hour)
	_, err = l.RestoreStore(ctx, s.ID)
	require.NoError(t, err, "restorable inside the configured window")
	require.Len(t, storeEventIDs(t, l, s.ID), 20, "restored whole")

	_, err = l.DeleteStore(ctx, s.ID)
	require.NoError(t, err)
	clk.t = clk.t.Add(49 * time.Hour)
	_, err = l.RestoreStore(ctx, s.ID)
	require.ErrorIs(t, err, lake.ErrInvalidStatus, "window over")
	st, err := l.PurgeStore(ctx, s.ID)
	require.NoError(t, err)
	require.Equal(t, 1, st.Stores)
	var want int64
	for _, g := range segs {
		want += g.Bytes
	}
	require.Greater(t, st.Bytes, want, "segments and manifests")
	_, err = l.GetStore(ctx, s.ID)
	require.ErrorIs(t, err, lake.ErrStoreNotFound)
	objs, err := l.Bucket().List(ctx, "stores/"+s.ID+"/")
	require.NoError(t, err)
	require.Empty(t, objs)
	require.Len(t, storeEventIDs(t, l, keep.ID), 10, "other stores untouched")

	changes, err := l.StoreChanges(s.ID)
	require.NoError(t, err)
	var actions []string
	for _, c := range changes {
		actions = append(actions, c.Action)
	}
	require.Equal(t, []string{lake.ChangeCreate, lake.ChangeDelete, lake.ChangeRestore, lake.ChangeDelete, lake.ChangePurge}, actions)
}

// TestPurgeInterruptedFinishes: a purge whose object deletion was cut short
// (here: objects put back after the purge record was written) is finished
// by FinishPurges, also after a reopen.
func TestPurgeInterruptedFinishes(t *testing.T) {
	ctx := context.Background()
	clk := &clock{t: time.Date(2027, 1, 10, 12, 0, 0, 0, time.UTC)}
	dir := t.TempDir()
	l, err := lake.Open(ctx, dir, lake.Options{Now: clk.now})
	require.NoError(t, err)
	s := newStore(t, l, "doomed")
	day := time.Date(2027, 1, 9, 0, 0, 0, 0, time.UTC)
	commitStream(t, l, s.ID, [][]lake.Event{streamEvents("a", day, 10, time.Minute)}, []string{""})
	_, err = l.DeleteStore(ctx, s.ID)
	require.NoError(t, err)
	clk.t = clk.t.Add(8 * 24 * time.Hour)
	_, err = l.PurgeStore(ctx, s.ID)
	require.NoError(t, err)
	// Debris as a crash in the middle of the deletion leaves it.
	require.NoError(t, l.Bucket().WriteAll(ctx, "stores/"+s.ID+"/data/date=2027-01-09/X.parquet", []byte("x"), false))
	require.NoError(t, l.ControlUpdate(func(c lake.Control) error { return c.Put("purges", s.ID, map[string]any{}) }))
	require.NoError(t, l.Close())

	l = openLake(t, dir, lake.Options{Now: clk.now})
	st, err := l.FinishPurges(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, st.Stores)
	objs, err := l.Bucket().List(ctx, "stores/"+s.ID+"/")
	require.NoError(t, err)
	require.Empty(t, objs)
}

func TestStoreChangesRecordUpdates(t *testing.T) {
	ctx := context.Background()
	l := openLake(t, t.TempDir(), lake.Options{})
	s := newStore(t, l, "changing")
	_, err := l.UpdateStore(ctx, s.ID, lake.UpdateStoreInput{RetentionPeriod: ptr(30)})
	require.NoError(t, err)
	_, err = l.SetIngestion(ctx, s.ID, false)
	require.NoError(t, err)
	_, err = l.SetIngestion(ctx, s.ID, true)
	require.NoError(t, err)
	changes, err := l.StoreChanges(s.ID)
	require.NoError(t, err)
	require.Len(t, changes, 4)
	require.Equal(t, lake.ChangeUpdate, changes[1].Action)
	require.Equal(t, map[string]string{"RetentionPeriod": "366 -> 30"}, changes[1].Changes)
	require.Equal(t, lake.ChangeStopIngestion, changes[2].Action)
	require.Equal(t, lake.ChangeStartIngestion, changes[3].Action)
}
