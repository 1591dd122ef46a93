package retention_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/auditlake/auditlake/lake"
	"github.com/auditlake/auditlake/retention"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

// dayEvents returns n events from day on, step apart.
func dayEvents(tag string, day time.Time, n int, step time.Duration) []lake.Event {
	out := make([]lake.Event, n)
	for i := range out {
		id := fmt.Sprintf("%s-%d", tag, i)
		out[i] = lake.Event{EventTime: day.Add(time.Duration(i) * step), EventID: &id, EventJSON: `{"eventID":"` + id + `"}`}
	}
	return out
}

func commit(t *testing.T, l *lake.Lake, storeID string, evs []lake.Event) {
	t.Helper()
	ctx := context.Background()
	segs, err := l.WriteSegments(ctx, storeID, "", evs)
	require.NoError(t, err)
	_, err = l.Commit(ctx, storeID, lake.Change{Add: segs})
	require.NoError(t, err)
}

func TestMaintenancePass(t *testing.T) {
	ctx := context.Background()
	clk := &clock{t: time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC)}
	l, err := lake.Open(ctx, t.TempDir(), lake.Options{Now: clk.now})
	require.NoError(t, err)
	defer l.Close()
	s, err := l.CreateStore(ctx, lake.CreateStoreInput{Name: "seven-years", RetentionPeriod: new(2557), BillingMode: lake.BillingFixed,
		TerminationProtectionEnabled: new(false)})
	require.NoError(t, err)
	// One day per year back to 2019, plus six small flushes of yesterday.
	for y := 2019; y <= 2026; y++ {
		commit(t, l, s.ID, dayEvents(fmt.Sprint(y), time.Date(y, 2, 28, 0, 0, 0, 0, time.UTC), 5, 5*time.Hour))
	}
	commit(t, l, s.ID, dayEvents("leap", time.Date(2020, 2, 29, 0, 0, 0, 0, time.UTC), 5, 5*time.Hour))
	yesterday := time.Date(2027, 2, 28, 0, 0, 0, 0, time.UTC)
	for f := range 6 {
		commit(t, l, s.ID, dayEvents(fmt.Sprint("flush", f), yesterday.Add(time.Duration(f)*time.Hour), 30, time.Minute))
	}
	clk.t = clk.t.Add(time.Hour) // the flushes are old enough to merge

	reg := prometheus.NewRegistry()
	swept := 0
	mt, err := retention.New(l, retention.Options{Now: clk.now, Registerer: reg, Grace: time.Minute,
		SweepResults: func(context.Context) (int, error) { swept++; return 2, nil }})
	require.NoError(t, err)

	before, err := l.Manifest(ctx, s.ID)
	require.NoError(t, err)
	rep, err := mt.RunOnce(ctx, true)
	require.NoError(t, err)
	require.Len(t, rep.Plans, 1)
	// 2557 days before 2027-03-01T01:00 is 2020-02-29T01:00: the days up
	// to 2020-02-28 have expired, the leap day (events until 20:00) has not.
	require.Len(t, rep.Plans[0].Expire, 2)
	require.Len(t, rep.Plans[0].Compact, 1)
	after, err := l.Manifest(ctx, s.ID)
	require.NoError(t, err)
	require.Equal(t, before.Version, after.Version, "a dry run changes nothing")
	require.Zero(t, swept)

	rep, err = mt.RunOnce(ctx, false)
	require.NoError(t, err)
	require.NoError(t, rep.Err())
	require.Equal(t, 2, rep.SegmentsExpired)
	require.Equal(t, int64(10), rep.EventsExpired)
	require.Equal(t, 6, rep.SegmentsMerged)
	require.Equal(t, 8, rep.FilesWaiting, "retired files wait for their grace period")
	require.Equal(t, 1, swept)
	m, err := l.Manifest(ctx, s.ID)
	require.NoError(t, err)
	require.Len(t, m.Segments, 8) // the leap day, 2021..2026, the merged yesterday
	require.Equal(t, before.Rows()-10, m.Rows())
	require.Equal(t, "2020-02-29", m.Segments[0].Day)

	require.InDelta(t, 2, counter(t, reg, "auditlake_retention_segments_expired_total"), 0)
	require.InDelta(t, 6, counter(t, reg, "auditlake_compaction_segments_merged_total"), 0)

	// Ten minutes on, the retired files go.
	clk.t = clk.t.Add(10 * time.Minute)
	rep, err = mt.RunOnce(ctx, false)
	require.NoError(t, err)
	require.Equal(t, 8, rep.FilesDeleted)
	require.Positive(t, rep.BytesReclaimed)

	// 2557 days before 2027-03-02T00:00:00.001 is 2020-03-01T00:00:00.001:
	// the leap day has expired.
	clk.t = time.Date(2027, 3, 1, 0, 0, 0, 1e6, time.UTC).Add(24 * time.Hour) // 2027-03-02T00:00:00.001
	rep, err = mt.RunOnce(ctx, false)
	require.NoError(t, err)
	require.Equal(t, 1, rep.SegmentsExpired, "the leap day 2020-02-29")

	changes, err := l.StoreChanges(s.ID)
	require.NoError(t, err)
	var retentions int
	for _, c := range changes {
		if c.Action == lake.ChangeRetention {
			retentions++
			require.Contains(t, c.Detail, "retention 2557 days")
		}
	}
	require.Equal(t, 2, retentions)
}

func counter(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	require.NoError(t, err)
	for _, mf := range mfs {
		if mf.GetName() == name {
			return mf.GetMetric()[0].GetCounter().GetValue()
		}
	}
	t.Fatalf("no metric %s", name)
	return 0
}

func TestMaintenancePurgesAfterWindow(t *testing.T) {
	ctx := context.Background()
	clk := &clock{t: time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC)}
	l, err := lake.Open(ctx, t.TempDir(), lake.Options{Now: clk.now, PendingDeletion: 3 * 24 * time.Hour})
	require.NoError(t, err)
	defer l.Close()
	s, err := l.CreateStore(ctx, lake.CreateStoreInput{Name: "doomed", TerminationProtectionEnabled: new(false), RetentionPeriod: new(7)})
	require.NoError(t, err)
	commit(t, l, s.ID, dayEvents("old", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), 5, 5*time.Hour))
	_, err = l.DeleteStore(ctx, s.ID)
	require.NoError(t, err)
	var audited []string
	mt, err := retention.New(l, retention.Options{Now: clk.now, Grace: -1,
		Audit: func(_ context.Context, c lake.StoreChange) { audited = append(audited, c.Action) }})
	require.NoError(t, err)

	rep, err := mt.RunOnce(ctx, false)
	require.NoError(t, err)
	require.Zero(t, rep.SegmentsExpired, "a store pending deletion is kept whole for a restore")
	require.Zero(t, rep.StoresPurged)

	clk.t = clk.t.Add(3*24*time.Hour + time.Second)
	rep, err = mt.RunOnce(ctx, false)
	require.NoError(t, err)
	require.Equal(t, 1, rep.StoresPurged)
	_, err = l.GetStore(ctx, s.ID)
	require.ErrorIs(t, err, lake.ErrStoreNotFound)
	require.Equal(t, []string{lake.ChangePurge}, audited)
}

func TestMaintenanceLoopStops(t *testing.T) {
	l, err := lake.Open(context.Background(), t.TempDir(), lake.Options{})
	require.NoError(t, err)
	defer l.Close()
	runs := make(chan struct{}, 10)
	mt, err := retention.New(l, retention.Options{Interval: 5 * time.Millisecond,
		SweepResults: func(context.Context) (int, error) { runs <- struct{}{}; return 0, nil }})
	require.NoError(t, err)
	mt.Start()
	<-runs
	<-runs
	mt.Close()
}
