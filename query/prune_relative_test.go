package query

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// fixClock makes queryClock return at for the rest of the test.
func fixClock(t *testing.T, at time.Time) {
	t.Helper()
	old := queryClock
	queryClock = func() time.Time { return at }
	t.Cleanup(func() { queryClock = old })
}

func TestTimeRangesRelative(t *testing.T) {
	p, err := newParser(context.Background())
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, p.Close()) })
	day1, day2, day3 := ts("2024-01-01 00:00:00.000"), ts("2024-01-02 00:00:00.000"), ts("2024-01-03 00:00:00.000")
	fixClock(t, day3.Add(123*time.Microsecond)) // now() keeps milliseconds, as in Trino
	const s1 = placeholderPrefix + "1"
	lo := func(v time.Time) TimeRange { return TimeRange{From: v.Add(-pruneSlack)} }
	hi := func(v time.Time) TimeRange { return TimeRange{To: v.Add(pruneSlack)} }
	both := func(a, b time.Time) TimeRange { return TimeRange{From: a.Add(-pruneSlack), To: b.Add(pruneSlack)} }
	day := 24 * time.Hour
	tests := []struct {
		name, where string
		want        TimeRange
	}{
		{"now minus interval", "eventTime > now() - interval '1' day", lo(day2)},
		{"duckdb interval", "eventTime > now() - INTERVAL 36 HOURS", lo(day2.Add(-12 * time.Hour))},
		{"interval string", "eventTime > now() - INTERVAL '2 days'", lo(day1)},
		{"date_add", "eventTime >= date_add('day', -1, now())", lo(day2)},
		{"date_add hours, upper case", "eventTime >= DATE_ADD('hour', -2, NOW())", lo(day3.Add(-2 * time.Hour))},
		{"current_timestamp", "eventtime > current_timestamp - interval '2' hour", lo(day3.Add(-2 * time.Hour))},
		{"interval plus time", "eventTime < interval '1' day + now()", hi(day3.Add(day))},
		{"current_date", "eventTime < current_date", hi(day3)},
		{"from_iso8601_timestamp", "eventTime > from_iso8601_timestamp('2024-01-02T00:00:00Z')", lo(day2)},
		{"from_iso8601_timestamp with offset", "eventTime > from_iso8601_timestamp('2024-01-02T02:00:00+02:00')", lo(day2.Add(-maxZoneOffset))},
		{"between relative bounds", "eventTime BETWEEN date_add('day', -2, now()) AND now()", both(day1, day3)},
		{"month arithmetic is widened", "eventTime > date_add('month', -1, now())", lo(day3.AddDate(0, -1, 0).Add(-monthSlack))},
		{"date of eventTime", "date(eventTime) = date '2024-01-02'", both(day2, day3)},
		{"date of eventTime, not a whole day", "date(eventTime) = TIMESTAMP '2024-01-02 10:00:00'", both(day1.Add(10*time.Hour), day3.Add(10*time.Hour))},
		{"cast to date", "CAST(eventTime AS date) >= DATE '2024-01-02'", lo(day2)},
		{"date_trunc of eventTime", "date_trunc('day', eventTime) <= '2024-01-02'", hi(day3)},
		{"date_trunc of now", "eventTime >= date_trunc('day', now())", lo(day2.Add(-time.Second))},
		{"in list", "eventTime IN (TIMESTAMP '2024-01-02 10:00:00', '2024-01-02 11:00:00.500')", both(day2.Add(10*time.Hour), day2.Add(11*time.Hour+500*time.Millisecond))},
		{"in list with a non-constant", "eventTime IN (TIMESTAMP '2024-01-02 10:00:00', eventTime)", TimeRange{}},
		{"from_unixtime", "eventTime >= from_unixtime(1704153600)", lo(day2.Add(-time.Millisecond))},
		{"function of a column is not constant", "eventTime > date_add('day', -1, eventTime)", TimeRange{}},
		{"try_cast is not constant", "eventTime > TRY_CAST('2024-01-02' AS timestamp)", TimeRange{}},
		{"unknown unit", "eventTime > date_add('fortnight', -1, now())", TimeRange{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := timeRanges(parseForTest(t, p, "SELECT * FROM prod-trail WHERE "+tc.where))
			require.Equal(t, map[string]TimeRange{s1: tc.want}, got)
		})
	}
}

// TestNowIsFixedOncePerQuery checks that the translated SQL carries the
// statement's instant, the one pruning used, with Trino's milliseconds
// and its zone.
func TestNowIsFixedOncePerQuery(t *testing.T) {
	fixClock(t, time.Date(2024, 1, 3, 4, 5, 6, 789_999_999, time.UTC))
	e := newTestEngine(t, testLake(t), Options{})
	st, err := e.prepare(context.Background(), "SELECT now(), current_timestamp, current_date, localtimestamp FROM prod-trail LIMIT 1")
	require.NoError(t, err)
	require.Contains(t, st.sql, "2024-01-03 04:05:06.789+00")
	require.NotContains(t, strings.ToLower(st.sql), "now()")
	got := queryStrings(t, e, "SELECT now(), current_timestamp, current_date, localtimestamp, now() = current_timestamp, typeof(now())")
	require.Equal(t, [][]string{{"2024-01-03 04:05:06.789 UTC", "2024-01-03 04:05:06.789 UTC", "2024-01-03", "2024-01-03 04:05:06.789", "true", "TIMESTAMP WITH TIME ZONE"}}, got)
}

// TestPruningRelativeBounds runs filters with bounds evaluated at query
// start against three daily segments: each must read fewer files and give
// exactly the rows of the same filter without pruning (an OR that the
// analysis cannot bound). Boundaries sit on the events' exact instants,
// milliseconds included.
func TestPruningRelativeBounds(t *testing.T) {
	// Events: 2024-01-01 08:00, 09:30:00.250, 23:59:59.999; 2024-01-02
	// 10:00, 11:00; 2024-01-03 12:00.
	fixClock(t, ts("2024-01-03 10:00:00.000"))
	e := newTestEngine(t, testLake(t), Options{})
	count := func(where string) (string, int) {
		rows, err := e.Query(context.Background(), "SELECT count(*) FROM prod-trail WHERE "+where)
		require.NoError(t, err, where)
		defer func() { require.NoError(t, rows.Close()) }()
		require.True(t, rows.Next())
		n := csvCell(rows.Values()[0], nil)
		require.False(t, rows.Next())
		return n, rows.Stats().FilesRead
	}
	tests := []struct {
		where string
		rows  string
		files int
	}{
		{"eventTime >= now() - interval '1' day", "3", 2},                // from 2024-01-02 10:00:00.000 exactly
		{"eventTime >= date_add('day', -1, now())", "3", 2},              // the same bound
		{"eventTime > date_add('hour', -24, current_timestamp)", "2", 2}, // excludes 10:00:00.000 itself
		{"eventTime > date_add('millisecond', -1, now()) - interval '1' day", "3", 2},
		{"eventTime >= from_iso8601_timestamp('2024-01-01T23:59:59.999Z')", "4", 3},
		{"eventTime > from_iso8601_timestamp('2024-01-01T23:59:59.999Z')", "3", 3}, // the bound's file is read, its row not returned
		{"eventTime >= '2024-01-02 12:00:00+02'", "", 3},                           // zone offsets: the rows are DuckDB's, pruning covers both readings
		{"eventTime >= TIMESTAMP '2024-01-02 11:00:00 UTC'", "2", 2},
		{"eventTime BETWEEN date_add('day', -2, now()) AND date_add('day', -1, now())", "2", 2},
		{"date(eventTime) = date '2024-01-02'", "2", 2},
		{"date(eventTime) = current_date", "1", 1},
		{"eventTime IN (TIMESTAMP '2024-01-02 10:00:00', from_iso8601_timestamp('2024-01-02T11:00:00Z'))", "2", 1},
		{"eventTime IN (TIMESTAMP '2024-01-01 09:30:00.250')", "1", 1},
		{"eventTime < date_add('day', -2, now())", "2", 1},
		{"eventTime <= '2024-01-01 23:59:59.999'", "3", 1},
	}
	for _, tc := range tests {
		t.Run(tc.where, func(t *testing.T) {
			got, files := count(tc.where)
			unpruned, all := count("(" + tc.where + ") OR eventName = 'no such event'")
			require.Equal(t, 3, all, "the OR form must not be pruned")
			require.Equal(t, unpruned, got, "pruning changed the answer")
			if tc.rows != "" {
				require.Equal(t, tc.rows, got)
			}
			require.Equal(t, tc.files, files)
		})
	}
}
