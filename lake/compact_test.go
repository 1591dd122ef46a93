package lake_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/stretchr/testify/require"

	"github.com/auditlake/auditlake/lake"
)

// streamEvents returns n events of one day starting at start, step apart,
// from a few sources (so clustering reorders rows inside row groups).
func streamEvents(tag string, start time.Time, n int, step time.Duration) []lake.Event {
	out := make([]lake.Event, n)
	for i := range out {
		src := fmt.Sprintf("svc%d.amazonaws.com", i%5)
		name := fmt.Sprintf("Call%d", i%3)
		id := fmt.Sprintf("%s-%06d", tag, i)
		out[i] = lake.Event{
			EventTime:   start.Add(time.Duration(i) * step),
			EventSource: &src,
			EventName:   &name,
			EventID:     &id,
			EventJSON:   fmt.Sprintf(`{"eventID":%q,"eventSource":%q}`, id, src),
		}
	}
	return out
}

// commitStream commits each chunk as its own segment (one per flush, as
// streaming ingest makes them), with the given batch marks.
func commitStream(t *testing.T, l *lake.Lake, storeID string, chunks [][]lake.Event, batches []string) []lake.Segment {
	t.Helper()
	ctx := context.Background()
	var all []lake.Segment
	for i, c := range chunks {
		segs, err := l.WriteSegments(ctx, storeID, batches[i], c)
		require.NoError(t, err)
		_, err = l.Commit(ctx, storeID, lake.Change{Add: segs})
		require.NoError(t, err)
		all = append(all, segs...)
	}
	return all
}

func newStore(t testing.TB, l *lake.Lake, name string) lake.StoreInfo {
	t.Helper()
	s, err := l.CreateStore(context.Background(), lake.CreateStoreInput{Name: name, TerminationProtectionEnabled: ptr(false)})
	require.NoError(t, err)
	return s
}

// storeEventIDs reads every event ID of the store through Segments, as a
// query would.
func storeEventIDs(t *testing.T, l *lake.Lake, storeID string) []string {
	t.Helper()
	paths, release, err := l.Segments(context.Background(), storeID, time.Time{}, time.Time{})
	require.NoError(t, err)
	defer release()
	var ids []string
	for _, p := range paths {
		rows, err := parquet.ReadFile[lake.Event](p)
		require.NoError(t, err)
		for _, r := range rows {
			ids = append(ids, *r.EventID)
		}
	}
	slices.Sort(ids)
	return ids
}

func TestCompactMergesSmallSegmentsExactly(t *testing.T) {
	ctx := context.Background()
	clk := &clock{t: time.Date(2027, 5, 2, 9, 0, 0, 0, time.UTC)}
	l := openLake(t, t.TempDir(), lake.Options{Now: clk.now})
	s := newStore(t, l, "stream")
	day := time.Date(2027, 5, 1, 0, 0, 0, 0, time.UTC)
	// Three flushes whose time ranges overlap (late events), more events
	// in all than one row group holds.
	half := lake.DefaultRowGroupRows / 2
	total := 2*half + half/4
	chunks := [][]lake.Event{
		streamEvents("a", day, half, 2*time.Second),
		streamEvents("b", day.Add(time.Second), half, 2*time.Second),
		streamEvents("c", day.Add(20*time.Hour), half/4, 100*time.Millisecond),
	}
	group := commitStream(t, l, s.ID, chunks, []string{"wal:17", "wal:42", "wal:9"})
	before := storeEventIDs(t, l, s.ID)
	require.Len(t, before, total)

	// A query that started before the swap holds the old files.
	_, release, err := l.Segments(ctx, s.ID, time.Time{}, time.Time{})
	require.NoError(t, err)

	merged, err := l.Compact(ctx, s.ID, group)
	require.NoError(t, err)
	require.Equal(t, int64(total), merged.Rows)
	require.Equal(t, "wal:42", merged.Batch, "the highest write-ahead-log mark survives")
	require.Equal(t, day.Format(time.DateOnly), merged.Day)

	m, err := l.Manifest(ctx, s.ID)
	require.NoError(t, err)
	require.Len(t, m.Segments, 1)
	require.Equal(t, merged.ID, m.Segments[0].ID)
	require.Equal(t, before, storeEventIDs(t, l, s.ID), "no event lost or duplicated")

	// The merged file keeps the format-2 layout: full row groups of
	// consecutive eventTime ranges.
	path, ok := l.Bucket().LocalPath(merged.Key)
	require.True(t, ok)
	rows, err := parquet.ReadFile[lake.Event](path)
	require.NoError(t, err)
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	fi, err := f.Stat()
	require.NoError(t, err)
	pf, err := parquet.OpenFile(f, fi.Size())
	require.NoError(t, err)
	require.Len(t, pf.RowGroups(), 2)
	require.Equal(t, int64(lake.DefaultRowGroupRows), pf.RowGroups()[0].NumRows())
	var maxFirst time.Time
	for _, r := range rows[:lake.DefaultRowGroupRows] {
		if r.EventTime.After(maxFirst) {
			maxFirst = r.EventTime
		}
	}
	for _, r := range rows[lake.DefaultRowGroupRows:] {
		require.False(t, r.EventTime.Before(maxFirst), "row group 2 starts after row group 1 ends")
	}
	first := rows[:lake.DefaultRowGroupRows]
	require.False(t, slices.IsSortedFunc(first, func(a, b lake.Event) int { return a.EventTime.Compare(b.EventTime) }),
		"rows are clustered by source inside a row group")

	// The old files stay while the early query holds them and during the
	// grace period; then they go.
	st, err := l.CollectRetired(ctx, 0)
	require.NoError(t, err)
	require.Equal(t, 3, st.Waiting)
	for _, g := range group {
		p, _ := l.Bucket().LocalPath(g.Key)
		require.FileExists(t, p)
	}
	release()
	st, err = l.CollectRetired(ctx, time.Hour)
	require.NoError(t, err)
	require.Equal(t, 0, st.Segments, "grace period")
	clk.t = clk.t.Add(2 * time.Hour)
	st, err = l.CollectRetired(ctx, time.Hour)
	require.NoError(t, err)
	require.Equal(t, 3, st.Segments)
	for _, g := range group {
		p, _ := l.Bucket().LocalPath(g.Key)
		require.NoFileExists(t, p)
		st.Bytes -= g.Bytes
	}
	require.Zero(t, st.Bytes)
}

func TestCompactRefuses(t *testing.T) {
	ctx := context.Background()
	l := openLake(t, t.TempDir(), lake.Options{})
	s := newStore(t, l, "refuse")
	day := time.Date(2027, 5, 1, 0, 0, 0, 0, time.UTC)
	segs := commitStream(t, l, s.ID, [][]lake.Event{
		streamEvents("a", day, 10, time.Minute),
		streamEvents("b", day, 10, time.Minute),
		streamEvents("c", day.Add(24*time.Hour), 10, time.Minute),
	}, []string{"", "", ""})

	_, err := l.Compact(ctx, s.ID, segs[:1])
	require.ErrorIs(t, err, lake.ErrInvalidParameter, "one segment")
	_, err = l.Compact(ctx, s.ID, segs[1:])
	require.ErrorIs(t, err, lake.ErrInvalidParameter, "two days")
	_, err = l.Compact(ctx, s.ID, []lake.Segment{segs[0], segs[0]})
	require.ErrorIs(t, err, lake.ErrInvalidParameter, "the same segment twice")

	// A segment of an ingest batch not yet finished keeps its batch ID in
	// the manifest until the ledger settles it.
	batch, err := l.BeginBatch(ctx, s.ID, []lake.Source{{Digest: "d1", Name: "f1"}})
	require.NoError(t, err)
	pend := commitStream(t, l, s.ID, [][]lake.Event{streamEvents("p", day, 10, time.Minute)}, []string{batch})
	_, err = l.Compact(ctx, s.ID, []lake.Segment{segs[0], pend[0]})
	require.ErrorIs(t, err, lake.ErrInvalidParameter)
	require.NoError(t, l.FinishBatch(ctx, batch))
	_, err = l.Compact(ctx, s.ID, []lake.Segment{segs[0], pend[0]})
	require.NoError(t, err)

	// A segment no longer in the manifest.
	_, err = l.Compact(ctx, s.ID, []lake.Segment{segs[0], segs[1]})
	require.ErrorIs(t, err, lake.ErrInvalidParameter)
}

func TestCompactAuditEvents(t *testing.T) {
	ctx := context.Background()
	l := openLake(t, t.TempDir(), lake.Options{})
	s, err := l.CreateStore(ctx, lake.CreateStoreInput{Name: "outside", AdvancedEventSelectors: []lake.AdvancedEventSelector{{
		FieldSelectors: []lake.AdvancedFieldSelector{{Field: "eventCategory", Equals: []string{"ActivityAuditLog"}}},
	}}})
	require.NoError(t, err)
	require.Equal(t, lake.RowAuditEvent, lake.RowKindOf(s))
	day := time.Date(2027, 5, 1, 0, 0, 0, 0, time.UTC)
	var segs []lake.Segment
	for c := range 3 {
		rows := make([]lake.AuditEvent, 50)
		for i := range rows {
			rows[i].EventTime = day.Add(time.Duration(c*50+i) * time.Minute)
			rows[i].EventData.EventSource = "app"
			rows[i].EventData.UID = fmt.Sprintf("%d-%d", c, i)
			rows[i].Metadata.IngestionTime = day.Add(time.Duration(c) * time.Hour)
		}
		got, err := lake.WriteRowDays(ctx, l, s.ID, "", map[string][]lake.AuditEvent{day.Format(time.DateOnly): rows})
		require.NoError(t, err)
		_, err = l.Commit(ctx, s.ID, lake.Change{Add: got})
		require.NoError(t, err)
		segs = append(segs, got...)
	}
	merged, err := l.Compact(ctx, s.ID, segs)
	require.NoError(t, err)
	require.Equal(t, int64(150), merged.Rows)
}

func TestMergedBatch(t *testing.T) {
	seg := func(b string) lake.Segment { return lake.Segment{Batch: b} }
	require.Equal(t, "wal:100", lake.MergedBatch([]lake.Segment{seg("wal:99"), seg("wal:100"), seg("01JABC"), seg("")}),
		"numeric, not text, order")
	require.Equal(t, "", lake.MergedBatch([]lake.Segment{seg("01JABC"), seg("")}))
}

// TestCompactVerifiesBeforeCommit: rows that would not come out of the
// merge exactly as they went in (a zero timestamp is not representable in
// Parquet milliseconds, so it changes on its second trip) fail the merge's
// read-back check, and nothing is committed.
func TestCompactVerifiesBeforeCommit(t *testing.T) {
	ctx := context.Background()
	l := openLake(t, t.TempDir(), lake.Options{})
	s, err := l.CreateStore(ctx, lake.CreateStoreInput{Name: "outside", AdvancedEventSelectors: []lake.AdvancedEventSelector{{
		FieldSelectors: []lake.AdvancedFieldSelector{{Field: "eventCategory", Equals: []string{"ActivityAuditLog"}}},
	}}})
	require.NoError(t, err)
	day := time.Date(2027, 5, 1, 0, 0, 0, 0, time.UTC)
	var segs []lake.Segment
	for c := range 2 {
		rows := []lake.AuditEvent{{EventTime: day.Add(time.Duration(c) * time.Hour)}}
		got, err := lake.WriteRowDays(ctx, l, s.ID, "", map[string][]lake.AuditEvent{day.Format(time.DateOnly): rows})
		require.NoError(t, err)
		_, err = l.Commit(ctx, s.ID, lake.Change{Add: got})
		require.NoError(t, err)
		segs = append(segs, got...)
	}
	before, err := l.Manifest(ctx, s.ID)
	require.NoError(t, err)
	_, err = l.Compact(ctx, s.ID, segs)
	require.ErrorIs(t, err, lake.ErrCompactionMismatch)
	after, err := l.Manifest(ctx, s.ID)
	require.NoError(t, err)
	require.Equal(t, before.Version, after.Version, "nothing committed")
	tmp, err := os.ReadDir(l.Dir() + "/tmp")
	require.NoError(t, err)
	require.Empty(t, tmp, "the merged file is removed")
}

// TestKeyCuts checks which segments say their eventJson cuts are all at the
// record's own eventID and requestID members (Segment.KeyCuts, which lets a
// query read the stored text): those the writer cut itself, and merges of
// only such segments; not a segment of events that came already cut (their
// cuts may be of the older, first-occurrence kind), nor a merge with one.
func TestKeyCuts(t *testing.T) {
	ctx := context.Background()
	l := openLake(t, t.TempDir(), lake.Options{})
	s := newStore(t, l, "key-cuts")
	day := time.Date(2027, 5, 1, 0, 0, 0, 0, time.UTC)
	a, b := streamEvents("a", day, 100, time.Second), streamEvents("b", day.Add(time.Hour), 100, time.Second)
	for _, evs := range [][]lake.Event{a, b} {
		for i := range evs {
			evs[i].EventIDAt = 13 // {"eventID":"<id>" ...
		}
	}
	old := streamEvents("c", day.Add(2*time.Hour), 100, time.Second)
	for i := range old { // stored form, cut where an older writer chose
		at := int32(12)
		old[i].CutEventID = &at
		old[i].EventJSON = old[i].EventJSON[:12] + old[i].EventJSON[12+len(*old[i].EventID):]
	}
	segs := commitStream(t, l, s.ID, [][]lake.Event{a, b, old}, []string{"", "", ""})
	require.True(t, segs[0].KeyCuts)
	require.True(t, segs[1].KeyCuts)
	require.False(t, segs[2].KeyCuts)

	both, err := l.Compact(ctx, s.ID, segs[:2])
	require.NoError(t, err)
	require.True(t, both.KeyCuts)
	all, err := l.Compact(ctx, s.ID, []lake.Segment{both, segs[2]})
	require.NoError(t, err)
	require.False(t, all.KeyCuts)

	// The stored texts come back whole either way.
	paths, release, err := l.Segments(ctx, s.ID, time.Time{}, time.Time{})
	require.NoError(t, err)
	defer release()
	require.Len(t, paths, 1)
	rows, err := parquet.ReadFile[lake.Event](paths[0])
	require.NoError(t, err)
	require.Len(t, rows, 300)
	for _, r := range rows {
		require.NotNil(t, r.CutEventID)
		r.RestoreJSON()
		require.Equal(t, fmt.Sprintf(`{"eventID":%q,"eventSource":%q}`, *r.EventID, *r.EventSource), r.EventJSON)
	}
}
