package retention_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/auditlake/auditlake/lake"
	"github.com/auditlake/auditlake/retention"
)

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

// daySeg is a segment of the UTC day of first whose events run from first
// to last.
func daySeg(id, first, last string) lake.Segment {
	f, l := utc(first), utc(last)
	return lake.Segment{ID: id, Day: lake.DayOf(f), MinTime: f, MaxTime: l, Rows: 10, Bytes: 1000, Format: lake.FormatVersion}
}

func ids(segs []lake.Segment) []string {
	out := []string{}
	for _, s := range segs {
		out = append(out, s.ID)
	}
	return out
}

func TestExpired(t *testing.T) {
	segs := []lake.Segment{
		daySeg("2019-02-28", "2019-02-28T00:00:00Z", "2019-02-28T23:59:59.999Z"),
		daySeg("2020-02-29", "2020-02-29T00:00:00Z", "2020-02-29T23:59:59.999Z"),
		daySeg("2020-03-01", "2020-03-01T00:00:00Z", "2020-03-01T12:00:00Z"),
		daySeg("2026-06-30", "2026-06-30T08:00:00Z", "2026-06-30T23:00:00Z"),
	}
	for _, tc := range []struct {
		name string
		now  string
		days int
		want []string
	}{
		{"nothing old enough", "2020-03-07T00:00:00Z", 7, []string{"2019-02-28"}},
		// From 2020-03-01 to 2027-03-01 there are 2556 days (one leap day,
		// 2024-02-29), so 2557 days before 2027-03-01 is the leap day
		// 2020-02-29 itself: its events are kept.
		{"seven years across leap days", "2027-03-01T00:00:00Z", 2557, []string{"2019-02-28"}},
		{"one millisecond before the leap day's last event expires", "2027-02-28T23:59:59.999Z", 2557, []string{"2019-02-28"}},
		{"the leap day's last event is exactly at the cutoff: kept", "2027-02-28T23:59:59.999Z", 2556, []string{"2019-02-28"}},
		{"and one millisecond later it has expired", "2027-03-01T00:00:00Z", 2556, []string{"2019-02-28", "2020-02-29"}},
		{"a day expires only when its newest event does", "2020-03-08T12:00:00Z", 7, []string{"2019-02-28", "2020-02-29"}},
		{"... one millisecond later", "2020-03-08T12:00:00.001Z", 7, []string{"2019-02-28", "2020-02-29", "2020-03-01"}},
		{"ten years (3653 days)", "2030-03-01T00:00:00Z", 3653, []string{"2019-02-28"}},
		{"ten years, a year on", "2031-03-02T00:00:00Z", 3653, []string{"2019-02-28", "2020-02-29", "2020-03-01"}},
		{"clock before every event", "2010-01-01T00:00:00Z", 7, []string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, ids(retention.Expired(utc(tc.now), tc.days, segs)))
		})
	}
}

// TestExpiredNeverRemovesUnexpired walks a clock over ten years, a day and
// a few hours at a time, with the retention period changing on the way,
// and checks at each step that every segment Expired returns holds only
// events older than the retention period, and that none older than a day
// past it is kept.
func TestExpiredNeverRemovesUnexpired(t *testing.T) {
	start := utc("2023-12-30T00:00:00Z")
	var segs []lake.Segment
	for d := range 4000 {
		day := start.Add(time.Duration(d) * 24 * time.Hour)
		segs = append(segs, lake.Segment{ID: fmt.Sprint(d), Day: lake.DayOf(day), MinTime: day,
			MaxTime: day.Add(24*time.Hour - time.Millisecond)})
	}
	retentions := []int{7, 366, 30, 2557, 365, 3653, 90}
	now := start
	for step := 0; now.Before(start.Add(11 * 365 * 24 * time.Hour)); step++ {
		days := retentions[(step/23)%len(retentions)]
		cutoff := now.AddDate(0, 0, -days) // calendar arithmetic as a cross-check
		expired := map[string]bool{}
		for _, s := range retention.Expired(now, days, segs) {
			require.True(t, s.MaxTime.Before(cutoff), "at %s with %d days: segment of %s (newest %s) is not expired", now, days, s.Day, s.MaxTime)
			expired[s.ID] = true
		}
		for _, s := range segs {
			if s.MinTime.Before(now) && s.MaxTime.Add(24*time.Hour).Before(cutoff) {
				require.True(t, expired[s.ID], "at %s with %d days: segment of %s kept more than a day past expiry", now, days, s.Day)
			}
		}
		now = now.Add(5*24*time.Hour + 7*time.Hour + 13*time.Minute)
	}
}

func TestCheckRetention(t *testing.T) {
	for _, tc := range []struct {
		days    int
		billing string
		ok      bool
	}{
		{7, lake.BillingExtendable, true},
		{6, lake.BillingExtendable, false},
		{0, lake.BillingExtendable, false},
		{3653, lake.BillingExtendable, true},
		{3654, lake.BillingExtendable, false},
		{2557, lake.BillingFixed, true},
		{2558, lake.BillingFixed, false},
	} {
		err := retention.CheckRetention(lake.StoreInfo{RetentionPeriod: tc.days, BillingMode: tc.billing})
		require.Equal(t, tc.ok, err == nil, "%d days %s", tc.days, tc.billing)
	}
	// A store whose period cannot be acted on expires nothing.
	m := &lake.Manifest{Segments: []lake.Segment{daySeg("old", "2001-01-01T00:00:00Z", "2001-01-01T01:00:00Z")}}
	p := retention.PlanStore(utc("2027-01-01T00:00:00Z"), lake.StoreInfo{RetentionPeriod: 0}, m, nil, time.Time{}, retention.CompactionPolicy{Disabled: true})
	require.Empty(t, p.Expire)
	require.NotEmpty(t, p.Skip)
}

func TestCompactionGroups(t *testing.T) {
	now := utc("2027-01-02T00:00:00Z")
	mk := func(id, day string, minute int, bytes, rows int64, age time.Duration) lake.Segment {
		tm := utc(day + "T00:00:00Z").Add(time.Duration(minute) * time.Minute)
		return lake.Segment{ID: id, Day: day, MinTime: tm, MaxTime: tm.Add(time.Minute), Bytes: bytes, Rows: rows,
			Format: lake.FormatVersion, Created: now.Add(-age), Batch: "b-" + id}
	}
	segs := []lake.Segment{
		mk("a1", "2027-01-01", 1, 100, 10, time.Hour),
		mk("a2", "2027-01-01", 2, 100, 10, time.Hour),
		mk("a3", "2027-01-01", 3, 100, 10, time.Hour),
		mk("a4", "2027-01-01", 4, 100, 10, time.Hour),
		mk("big", "2027-01-01", 5, 600, 10, time.Hour),    // half the target or more: left alone
		mk("young", "2027-01-01", 6, 10, 10, time.Second), // too young
		mk("pend", "2027-01-01", 7, 10, 10, time.Hour),    // pending batch
		mk("b1", "2026-12-31", 1, 100, 10, time.Hour),     // alone on its day
		mk("c1", "2026-12-30", 1, 100, 30000, time.Hour),  // row budget: 16384 each
		mk("c2", "2026-12-30", 2, 100, 30000, time.Hour),
		mk("c3", "2026-12-30", 3, 100, 30000, time.Hour),
	}
	pol := retention.CompactionPolicy{TargetBytes: 1000, MaxMergeRows: 2 * lake.DefaultRowGroupRows, MinAge: time.Minute}
	var got [][]string
	for _, g := range retention.CompactionGroups(now, segs, map[string]bool{"b-pend": true}, pol) {
		got = append(got, ids(g))
	}
	require.Equal(t, [][]string{{"c1", "c2"}, {"a1", "a2", "a3", "a4"}}, got)
	pol.TargetBytes = 250
	got = nil
	for _, g := range retention.CompactionGroups(now, segs, map[string]bool{"b-pend": true}, pol) {
		got = append(got, ids(g))
	}
	require.Equal(t, [][]string{{"c1", "c2"}, {"a1", "a2"}, {"a3", "a4"}}, got, "target size bounds a group")
}
