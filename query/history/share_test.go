package history_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/auditlake/auditlake/ingest"
	"github.com/auditlake/auditlake/lake"
	"github.com/auditlake/auditlake/query/history"
	"github.com/auditlake/auditlake/retention"
)

// mgmtAndS3 selects management events and S3 object data events.
var mgmtAndS3 = []lake.AdvancedEventSelector{
	{Name: "m", FieldSelectors: []lake.AdvancedFieldSelector{{Field: lake.FieldEventCategory, Equals: []string{lake.CategoryManagement}}}},
	{Name: "d", FieldSelectors: []lake.AdvancedFieldSelector{
		{Field: lake.FieldEventCategory, Equals: []string{lake.CategoryData}},
		{Field: "resources.type", Equals: []string{"AWS::S3::Object"}}}},
}

// s3Data selects S3 object data events only.
var s3Data = mgmtAndS3[1:]

func dataRecord(id string, at time.Time) map[string]any {
	return record(id, "GetObject", at, "alice", map[string]any{
		"eventCategory": "Data", "managementEvent": false, "readOnly": true, "eventSource": "s3.amazonaws.com",
		"resources": []any{map[string]any{"type": "AWS::S3::Object", "ARN": "arn:aws:s3:::bucket/key"}}})
}

func (f *fixture) createStore(t *testing.T, name string, sels []lake.AdvancedEventSelector, days int) string {
	t.Helper()
	off := false
	st, err := f.l.CreateStore(context.Background(), lake.CreateStoreInput{Name: name, AdvancedEventSelectors: sels,
		RetentionPeriod: &days, TerminationProtectionEnabled: &off})
	require.NoError(t, err)
	return st.ID
}

func (f *fixture) ingestInto(t *testing.T, store string, paths ...string) {
	t.Helper()
	_, err := ingest.Paths(context.Background(), f.l, store, paths, ingest.Options{}, nil)
	require.NoError(t, err)
}

// manifest returns a store's manifest: its rows and its marked segments.
func (f *fixture) manifest(t *testing.T, store string) (rows int64, marked, all int) {
	t.Helper()
	m, err := f.l.Manifest(context.Background(), store)
	require.NoError(t, err)
	for _, s := range m.Segments {
		if s.History {
			marked++
		}
	}
	return m.Rows(), marked, len(m.Segments)
}

// TestHistorySharesStoreSegments: ingest into a store that keeps events at
// least 90 days copies into the history store only the management events
// the store does not take; the lookup reads the rest from the store's
// marked segments, and shows none of their data events.
func TestHistorySharesStoreSegments(t *testing.T) {
	f := newFixture(t)
	long := f.createStore(t, "long", mgmtAndS3, 365)
	data := f.createStore(t, "data", s3Data, 3653)
	short := f.createStore(t, "short", nil, 30)

	f.ingestInto(t, long, writeTrail(t, f.dir, "a.json",
		record("m1", "RunInstances", t0.Add(-3*time.Hour), "alice", nil),
		record("m2", "DescribeInstances", t0.Add(-2*time.Hour), "role", map[string]any{"readOnly": true}),
		dataRecord("d1", t0.Add(-90*time.Minute))))
	rows, marked, all := f.manifest(t, long)
	require.EqualValues(t, 3, rows)
	require.Equal(t, all, marked, "every segment of a store that keeps events 90 days or more is shared")
	rows, _, _ = f.manifest(t, lake.HistoryStoreID)
	require.Zero(t, rows, "the store took every management event: the history store copies none")
	require.Equal(t, []string{"m2", "m1"}, ids(f.lookup(t, history.Input{})))

	// A store that takes no management events shares its segments, but
	// the history store takes the management events.
	f.ingestInto(t, data, writeTrail(t, f.dir, "b.json",
		record("m3", "CreateBucket", t0.Add(-time.Hour), "alice", nil),
		dataRecord("d2", t0.Add(-50*time.Minute))))
	rows, _, _ = f.manifest(t, lake.HistoryStoreID)
	require.EqualValues(t, 1, rows)

	// A store that keeps events less than 90 days shares nothing.
	f.ingestInto(t, short, writeTrail(t, f.dir, "c.json", record("m4", "DeleteBucket", t0.Add(-30*time.Minute), "alice", nil)))
	_, marked, all = f.manifest(t, short)
	require.Equal(t, 1, all)
	require.Zero(t, marked)
	rows, _, _ = f.manifest(t, lake.HistoryStoreID)
	require.EqualValues(t, 2, rows)

	// The same event through a store that shares and one that does not:
	// two copies, one lookup result.
	f.ingestInto(t, short, writeTrail(t, f.dir, "a-again.json", record("m1", "RunInstances", t0.Add(-3*time.Hour), "alice", nil)))
	require.Equal(t, []string{"m4", "m3", "m2", "m1"}, ids(f.lookup(t, history.Input{})))
	require.Equal(t, []string{"m1"}, ids(f.lookup(t, history.Input{Attributes: attr(history.KeyEventName, "RunInstances")})))
	require.Empty(t, ids(f.lookup(t, history.Input{Attributes: attr(history.KeyEventName, "GetObject")})), "data events are not in the history")
	require.Equal(t, []string{"m2"}, ids(f.lookup(t, history.Input{Attributes: attr(history.KeyReadOnly, "true")})))
}

// TestHistoryKeptBeforeSegmentsLeave: when a shared segment leaves its
// store (a retention period lowered below 90 days, a purge), maintenance
// first copies into the history store the management events the history
// still shows, and no others.
func TestHistoryKeptBeforeSegmentsLeave(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	trail := f.createStore(t, "mixed", mgmtAndS3, 365)
	gone := f.createStore(t, "gone", nil, 365)
	f.ingestInto(t, trail, writeTrail(t, f.dir, "a.json",
		record("old", "RunInstances", t0.Add(-100*24*time.Hour), "alice", nil),
		record("m1", "StopInstances", t0.Add(-10*24*time.Hour), "alice", nil),
		dataRecord("d1", t0.Add(-10*24*time.Hour+time.Minute)),
		record("new", "StartInstances", t0.Add(-time.Hour), "alice", nil)))
	f.ingestInto(t, gone, writeTrail(t, f.dir, "b.json", record("g1", "DeleteTrail", t0.Add(-2*time.Hour), "role", nil)))
	require.Equal(t, []string{"new", "g1", "m1"}, ids(f.lookup(t, history.Input{})))

	mt, err := retention.New(f.l, retention.Options{Now: f.clk.now, Grace: -1})
	require.NoError(t, err)
	week := 7
	_, err = f.l.UpdateStore(ctx, trail, lake.UpdateStoreInput{RetentionPeriod: &week})
	require.NoError(t, err)
	_, err = f.l.DeleteStore(ctx, gone)
	require.NoError(t, err)
	f.clk.set(t0.Add(time.Duration(lake.DefaultPendingDeletionDays)*24*time.Hour + time.Hour))
	rep, err := mt.RunOnce(ctx, false)
	require.NoError(t, err)
	require.NoError(t, rep.Err())
	require.Equal(t, 3, rep.SegmentsExpired, "every day of the store is now older than 7 days")
	require.Equal(t, 1, rep.StoresPurged)

	rows, _, _ := f.manifest(t, lake.HistoryStoreID)
	require.EqualValues(t, 3, rows, "new, m1 and g1 copied; not the data event, not the event older than 90 days")
	require.Equal(t, []string{"new", "g1", "m1"}, ids(f.lookup(t, history.Input{})))
	p := f.lookup(t, history.Input{Attributes: attr(history.KeyEventID, "m1")})
	require.Len(t, p.Events, 1)
	require.Contains(t, p.Events[0].CloudTrailEvent, `"eventID":"m1"`, "the copy keeps the whole record")

	// A second pass copies nothing again.
	_, err = mt.RunOnce(ctx, false)
	require.NoError(t, err)
	rows, _, _ = f.manifest(t, lake.HistoryStoreID)
	require.EqualValues(t, 3, rows)
}
