package lake_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/stretchr/testify/require"

	"github.com/auditlake/auditlake/lake"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func openLake(t testing.TB, dir string, opts lake.Options) *lake.Lake {
	t.Helper()
	l, err := lake.Open(context.Background(), dir, opts)
	require.NoError(t, err)
	t.Cleanup(func() { _ = l.Close() })
	return l
}

func ptr[T any](v T) *T { return &v }

func events(day time.Time, n int) []lake.Event {
	out := make([]lake.Event, n)
	for i := range out {
		name := fmt.Sprintf("Event%d", i%7)
		out[i] = lake.Event{
			EventTime: day.Add(time.Duration(n-i) * time.Minute), // reverse order: the writer sorts
			EventName: &name,
			EventID:   ptr(fmt.Sprintf("%s-%d", day.Format("20060102"), i)),
			EventJSON: fmt.Sprintf(`{"eventName":%q}`, name),
		}
	}
	return out
}

func TestStoreLifecycle(t *testing.T) {
	ctx := context.Background()
	clk := &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	l := openLake(t, t.TempDir(), lake.Options{Now: clk.now, Region: "eu-west-1", AccountID: "111122223333"})

	s, err := l.CreateStore(ctx, lake.CreateStoreInput{Name: "audit-main"})
	require.NoError(t, err)
	require.Equal(t, "arn:aws:cloudtrail:eu-west-1:111122223333:eventdatastore/"+s.ID, s.ARN)
	require.Equal(t, lake.StatusEnabled, s.Status)
	require.True(t, s.TerminationProtectionEnabled, "termination protection is on by default")
	require.True(t, s.MultiRegionEnabled)
	require.Equal(t, lake.BillingExtendable, s.BillingMode)
	require.Equal(t, lake.DefaultRetentionDays, s.RetentionPeriod)
	require.Equal(t, lake.DefaultSelectors(), s.AdvancedEventSelectors)

	for _, ref := range []string{s.ID, strings.ToUpper(s.ID), s.ARN, "audit-main"} {
		got, err := l.GetStore(ctx, ref)
		require.NoError(t, err, ref)
		require.Equal(t, s.ID, got.ID)
	}
	_, err = l.GetStore(ctx, "arn:aws:cloudtrail:eu-west-1:999999999999:eventdatastore/"+s.ID)
	require.ErrorIs(t, err, lake.ErrStoreNotFound, "an ARN of another account is not this store")
	_, err = l.GetStore(ctx, "arn:aws:s3:::bucket")
	require.ErrorIs(t, err, lake.ErrInvalidARN)

	_, err = l.CreateStore(ctx, lake.CreateStoreInput{Name: "audit-main"})
	require.ErrorIs(t, err, lake.ErrStoreExists)
	_, err = l.CreateStore(ctx, lake.CreateStoreInput{Name: "x"})
	require.ErrorIs(t, err, lake.ErrInvalidParameter)
	_, err = l.CreateStore(ctx, lake.CreateStoreInput{Name: "short-retention", RetentionPeriod: ptr(5)})
	require.ErrorIs(t, err, lake.ErrInvalidParameter)

	_, err = l.DeleteStore(ctx, s.ID)
	require.ErrorIs(t, err, lake.ErrTerminationProtected)

	clk.t = clk.t.Add(time.Hour)
	s, err = l.UpdateStore(ctx, s.ID, lake.UpdateStoreInput{TerminationProtectionEnabled: ptr(false), RetentionPeriod: ptr(2555)})
	require.NoError(t, err)
	require.Equal(t, 2555, s.RetentionPeriod)
	require.Equal(t, clk.t, s.UpdatedTimestamp)

	s, err = l.DeleteStore(ctx, "audit-main")
	require.NoError(t, err)
	require.Equal(t, lake.StatusPendingDeletion, s.Status)
	_, err = l.Store(ctx, s.ID)
	require.ErrorIs(t, err, lake.ErrInactiveStore, "a store pending deletion answers no queries")
	_, err = l.UpdateStore(ctx, s.ID, lake.UpdateStoreInput{RetentionPeriod: ptr(30)})
	require.ErrorIs(t, err, lake.ErrInactiveStore)

	clk.t = clk.t.Add(6 * 24 * time.Hour)
	s, err = l.RestoreStore(ctx, s.ID)
	require.NoError(t, err)
	require.Equal(t, lake.StatusEnabled, s.Status)
	_, err = l.RestoreStore(ctx, s.ID)
	require.ErrorIs(t, err, lake.ErrInvalidStatus)

	_, err = l.DeleteStore(ctx, s.ID)
	require.NoError(t, err)
	clk.t = clk.t.Add(7*24*time.Hour + time.Second)
	_, err = l.RestoreStore(ctx, s.ID)
	require.ErrorIs(t, err, lake.ErrInvalidStatus, "the restore window is seven days")

	stopped, err := l.CreateStore(ctx, lake.CreateStoreInput{Name: "stopped", StartIngestion: ptr(false)})
	require.NoError(t, err)
	require.Equal(t, lake.StatusStoppedIngestion, stopped.Status)
	stopped, err = l.SetIngestion(ctx, stopped.ID, true)
	require.NoError(t, err)
	require.Equal(t, lake.StatusEnabled, stopped.Status)

	all, err := l.ListStores(ctx)
	require.NoError(t, err)
	require.Len(t, all, 2)
}

func TestStoreLimitAndSettings(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	l, err := lake.Open(ctx, dir, lake.Options{MaxStores: 2, AccountID: "111122223333"})
	require.NoError(t, err)
	for i := range 2 {
		_, err := l.CreateStore(ctx, lake.CreateStoreInput{Name: fmt.Sprintf("store-%d", i)})
		require.NoError(t, err)
	}
	_, err = l.CreateStore(ctx, lake.CreateStoreInput{Name: "one-too-many"})
	require.ErrorIs(t, err, lake.ErrStoreLimit)
	require.NoError(t, l.Close())

	_, err = lake.Open(ctx, dir, lake.Options{AccountID: "999999999999"})
	require.ErrorIs(t, err, lake.ErrInvalidParameter, "a lake's account is fixed at creation")
	l = openLake(t, dir, lake.Options{})
	require.Equal(t, "111122223333", l.AccountID(), "settings persist")
}

func TestSecondProcessIsRefused(t *testing.T) {
	dir := t.TempDir()
	openLake(t, dir, lake.Options{})
	_, err := lake.Open(context.Background(), dir, lake.Options{})
	require.ErrorIs(t, err, lake.ErrLocked)
	require.Contains(t, err.Error(), fmt.Sprintf("pid %d", os.Getpid()))
}

func TestCommitReopenAndPrune(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	l := openLake(t, dir, lake.Options{})
	s, err := l.CreateStore(ctx, lake.CreateStoreInput{Name: "store"})
	require.NoError(t, err)

	d1 := time.Date(2025, 2, 28, 0, 0, 0, 0, time.UTC)
	d2 := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	evs := append(events(d1, 50), events(d2, 30)...)
	segs, err := l.WriteSegments(ctx, s.ID, "", evs)
	require.NoError(t, err)
	require.Len(t, segs, 2, "one segment per UTC day")
	require.Equal(t, "2025-02-28", segs[0].Day)
	require.Equal(t, int64(50), segs[0].Rows)
	require.Equal(t, d1.Add(time.Minute), segs[0].MinTime)
	require.Equal(t, d1.Add(50*time.Minute), segs[0].MaxTime)
	require.Contains(t, segs[1].Key, "stores/"+s.ID+"/data/date=2025-03-01/")

	m, err := l.Manifest(ctx, s.ID)
	require.NoError(t, err)
	require.Empty(t, m.Segments, "written segments are invisible until committed")
	paths, release, err := l.Segments(ctx, s.ID, time.Time{}, time.Time{})
	require.NoError(t, err)
	require.Empty(t, paths)
	release()

	m, err = l.Commit(ctx, s.ID, lake.Change{Add: segs})
	require.NoError(t, err)
	require.Equal(t, int64(1), m.Version)
	require.Equal(t, int64(80), m.Rows())

	paths, release, err = l.Segments(ctx, s.ID, d2, time.Time{})
	require.NoError(t, err)
	require.Len(t, paths, 1, "the manifest prunes by eventTime")
	require.True(t, l.Held(segs[1].ID))
	release()
	require.False(t, l.Held(segs[1].ID))

	_, err = l.Commit(ctx, s.ID, lake.Change{Remove: []string{"nope"}})
	require.Error(t, err)
	_, err = l.Commit(ctx, s.ID, lake.Change{Add: segs[:1]})
	require.Error(t, err, "a segment cannot be added twice")

	require.NoError(t, l.Close())
	l = openLake(t, dir, lake.Options{})
	m2, err := l.Manifest(ctx, s.ID)
	require.NoError(t, err)
	require.Equal(t, m.Version, m2.Version)
	require.Equal(t, m.Segments, m2.Segments)
}

func TestCorruptSegmentIsRefused(t *testing.T) {
	ctx := context.Background()
	l := openLake(t, t.TempDir(), lake.Options{})
	s, err := l.CreateStore(ctx, lake.CreateStoreInput{Name: "store"})
	require.NoError(t, err)
	segs, err := l.WriteSegments(ctx, s.ID, "", events(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), 10))
	require.NoError(t, err)
	_, err = l.Commit(ctx, s.ID, lake.Change{Add: segs})
	require.NoError(t, err)

	path, ok := l.Bucket().LocalPath(segs[0].Key)
	require.True(t, ok)
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	data[len(data)/2] ^= 0xff
	require.NoError(t, os.WriteFile(path, data, 0o644))

	_, _, err = l.Segments(ctx, s.ID, time.Time{}, time.Time{})
	var ce *lake.CorruptionError
	require.ErrorAs(t, err, &ce)
	require.ErrorIs(t, err, lake.ErrCorrupt)
	require.Equal(t, segs[0].ID, ce.Segment)
}

// TestOpenAfterCrash plants what a process killed at various points leaves
// behind and checks what Open makes of it.
func TestOpenAfterCrash(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	l := openLake(t, dir, lake.Options{})
	s, err := l.CreateStore(ctx, lake.CreateStoreInput{Name: "store"})
	require.NoError(t, err)
	day := time.Date(2025, 5, 5, 0, 0, 0, 0, time.UTC)

	// A committed batch whose ledger step never ran.
	committed, err := l.BeginBatch(ctx, s.ID, []lake.Source{{Digest: "aaaa", Name: "a.json"}})
	require.NoError(t, err)
	segs, err := l.WriteSegments(ctx, s.ID, committed, events(day, 5))
	require.NoError(t, err)
	_, err = l.Commit(ctx, s.ID, lake.Change{Add: segs})
	require.NoError(t, err)

	// A batch whose segments were written but never committed.
	lost, err := l.BeginBatch(ctx, s.ID, []lake.Source{{Digest: "bbbb", Name: "b.json"}})
	require.NoError(t, err)
	orphans, err := l.WriteSegments(ctx, s.ID, lost, events(day, 7))
	require.NoError(t, err)
	orphanPath, _ := l.Bucket().LocalPath(orphans[0].Key)
	require.FileExists(t, orphanPath)
	require.NoError(t, l.Close())

	objects := filepath.Join(dir, "objects", "stores", s.ID)
	tmpSeg := filepath.Join(objects, "data", "date=2025-05-05", "x.parquet.123.tmp")
	require.NoError(t, os.WriteFile(tmpSeg, []byte("half a file"), 0o644))
	// A torn newest manifest: written, never acknowledged.
	torn := filepath.Join(objects, "manifest", fmt.Sprintf("%020d.json", 2))
	require.NoError(t, os.WriteFile(torn, []byte(`{"formatVersion":1,"sto`), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "tmp", "segment-1.parquet.tmp"), []byte("x"), 0o644))

	// A query-only open does not recover, and reads just what was committed.
	q := openLake(t, dir, lake.Options{QueryOnly: true})
	m, err := q.Manifest(ctx, s.ID)
	require.NoError(t, err)
	require.Equal(t, int64(1), m.Version, "the torn version is skipped")
	paths, release, err := q.Segments(ctx, s.ID, time.Time{}, time.Time{})
	require.NoError(t, err)
	require.Len(t, paths, 1, "only the committed segment is read")
	release()
	require.FileExists(t, orphanPath, "a query-only open sweeps nothing")
	_, err = q.Commit(ctx, s.ID, lake.Change{Add: segs})
	require.ErrorIs(t, err, lake.ErrQueryOnly)
	_, err = q.BeginBatch(ctx, s.ID, []lake.Source{{Digest: "cccc", Name: "c.json"}})
	require.ErrorIs(t, err, lake.ErrQueryOnly)
	_, _, err = q.Ingested(ctx, s.ID, "aaaa")
	require.ErrorIs(t, err, lake.ErrQueryOnly, "the ledger is not opened for queries")
	require.NoError(t, q.Close())

	l = openLake(t, dir, lake.Options{})
	m, err = l.Manifest(ctx, s.ID)
	require.NoError(t, err)
	require.Equal(t, int64(1), m.Version, "the torn version is skipped")
	require.Equal(t, int64(5), m.Rows())
	require.NoFileExists(t, orphanPath, "uncommitted segments are swept")
	require.NoFileExists(t, tmpSeg)
	require.NoDirExists(t, filepath.Join(dir, "tmp", "segment-1.parquet.tmp"))

	_, ok, err := l.Ingested(ctx, s.ID, "aaaa")
	require.NoError(t, err)
	require.True(t, ok, "a committed batch's sources count as ingested")
	_, ok, err = l.Ingested(ctx, s.ID, "bbbb")
	require.NoError(t, err)
	require.False(t, ok, "an uncommitted batch's sources do not")

	m, err = l.Commit(ctx, s.ID, lake.Change{Add: mustWrite(t, l, s.ID, events(day, 2))})
	require.NoError(t, err)
	require.Equal(t, int64(3), m.Version, "versions only go up, past the torn one")
}

// segmentRows reads back the rows of a segment in a local bucket, in file
// order.
func segmentRows(t *testing.T, l *lake.Lake, seg lake.Segment) []lake.Event {
	t.Helper()
	path, ok := l.Bucket().LocalPath(seg.Key)
	require.True(t, ok)
	rows, err := parquet.ReadFile[lake.Event](path)
	require.NoError(t, err)
	return rows
}

func mustWrite(t *testing.T, l *lake.Lake, id string, evs []lake.Event) []lake.Segment {
	t.Helper()
	segs, err := l.WriteSegments(context.Background(), id, "", evs)
	require.NoError(t, err)
	return segs
}

func TestRemoteBucketReadsThroughVerifiedCache(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	l := openLake(t, dir, lake.Options{Bucket: "mem://"})
	s, err := l.CreateStore(ctx, lake.CreateStoreInput{Name: "store"})
	require.NoError(t, err)
	segs := mustWrite(t, l, s.ID, events(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), 20))
	_, err = l.Commit(ctx, s.ID, lake.Change{Add: segs})
	require.NoError(t, err)
	_, local := l.Bucket().LocalPath(segs[0].Key)
	require.False(t, local)

	paths, release, err := l.Segments(ctx, s.ID, time.Time{}, time.Time{})
	require.NoError(t, err)
	defer release()
	require.Len(t, paths, 1)
	require.True(t, strings.HasPrefix(paths[0], filepath.Join(dir, "cache")))
	fi, err := os.Stat(paths[0])
	require.NoError(t, err)
	require.Equal(t, segs[0].Bytes, fi.Size())
}
