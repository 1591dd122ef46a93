package query

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// parseForTest rewrites and parses q with the test lake's stores.
func parseForTest(t *testing.T, p *parser, q string) map[string]any {
	t.Helper()
	rw, err := rewriteRefs(context.Background(), q, mapResolver)
	require.NoError(t, err)
	node, err := p.parse(context.Background(), rw)
	require.NoError(t, err, rw.SQL)
	require.NoError(t, validateAST(rw, node))
	return node
}

func TestTimeRanges(t *testing.T) {
	p, err := newParser(context.Background())
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, p.Close()) })
	const s1, s2 = placeholderPrefix + "1", placeholderPrefix + "2"
	day1, day2 := ts("2024-01-01 00:00:00.000"), ts("2024-01-02 00:00:00.000")
	lo := func(v time.Time) time.Time { return v.Add(-pruneSlack) }
	hi := func(v time.Time) time.Time { return v.Add(pruneSlack) }
	open := TimeRange{}
	tests := []struct {
		name string
		sql  string
		want map[string]TimeRange
	}{
		{"no where", "SELECT * FROM prod-trail", map[string]TimeRange{s1: open}},
		{"greater than date string", "SELECT * FROM prod-trail WHERE eventTime > '2024-01-01'", map[string]TimeRange{s1: {From: lo(day1)}}},
		{"at least, full timestamp", "SELECT * FROM prod-trail WHERE eventtime >= '2024-01-01 00:00:00'", map[string]TimeRange{s1: {From: lo(day1)}}},
		{"less than with millis", "SELECT * FROM prod-trail WHERE EVENTTIME < '2024-01-02 00:00:00.000'", map[string]TimeRange{s1: {To: hi(day2)}}},
		{"flipped", "SELECT * FROM prod-trail WHERE '2024-01-02' >= eventTime", map[string]TimeRange{s1: {To: hi(day2)}}},
		{"equal", "SELECT * FROM prod-trail WHERE eventTime = '2024-01-01'", map[string]TimeRange{s1: {From: lo(day1), To: hi(day1)}}},
		{"between", "SELECT * FROM prod-trail WHERE eventTime BETWEEN '2024-01-01' AND '2024-01-02'", map[string]TimeRange{s1: {From: lo(day1), To: hi(day2)}}},
		{"timestamp literal", "SELECT * FROM prod-trail WHERE eventTime >= TIMESTAMP '2024-01-01' AND eventTime < TIMESTAMP '2024-01-02 00:00:00'", map[string]TimeRange{s1: {From: lo(day1), To: hi(day2)}}},
		{"cast", "SELECT * FROM prod-trail WHERE eventTime >= CAST('2024-01-01' AS timestamp) AND eventTime <= '2024-01-02'::TIMESTAMP", map[string]TimeRange{s1: {From: lo(day1), To: hi(day2)}}},
		{"date literal", "SELECT * FROM prod-trail WHERE eventTime < DATE '2024-01-02'", map[string]TimeRange{s1: {To: hi(day2)}}},
		{"iso T and Z", "SELECT * FROM prod-trail WHERE eventTime > '2024-01-01T00:00:00Z'", map[string]TimeRange{s1: {From: lo(day1)}}},
		{"tightest of several", "SELECT * FROM prod-trail WHERE eventTime > '2023-01-01' AND eventName = 'x' AND eventTime > '2024-01-01' AND (eventTime < '2024-01-02')", map[string]TimeRange{s1: {From: lo(day1), To: hi(day2)}}},
		{"qualified by alias", "SELECT * FROM prod-trail p WHERE p.eventTime > '2024-01-01'", map[string]TimeRange{s1: {From: lo(day1)}}},
		{"qualified by implicit alias", `SELECT * FROM prod-trail WHERE "prod-trail".eventTime > '2024-01-01'`, map[string]TimeRange{s1: {From: lo(day1)}}},
		{"qualified by another alias", "SELECT * FROM prod-trail p, audit.backup b WHERE b.eventTime > '2024-01-01' AND p.eventTime < '2024-01-02'", map[string]TimeRange{s1: {To: hi(day2)}, s2: {From: lo(day1)}}},
		{"or is uncertain", "SELECT * FROM prod-trail WHERE eventTime > '2024-01-01' OR eventName = 'x'", map[string]TimeRange{s1: open}},
		{"not of a comparison is folded by the parser", "SELECT * FROM prod-trail WHERE NOT (eventTime < '2024-01-01')", map[string]TimeRange{s1: {From: lo(day1)}}},
		{"not of an and is uncertain", "SELECT * FROM prod-trail WHERE NOT (eventTime < '2024-01-01' AND eventName = 'x')", map[string]TimeRange{s1: open}},
		{"not between", "SELECT * FROM prod-trail WHERE eventTime NOT BETWEEN '2024-01-01' AND '2024-01-02'", map[string]TimeRange{s1: open}},
		{"date_trunc of eventTime", "SELECT * FROM prod-trail WHERE date_trunc('day', eventTime) >= '2024-01-01'", map[string]TimeRange{s1: {From: lo(day1)}}},
		{"other function of eventTime", "SELECT * FROM prod-trail WHERE hour(eventTime) >= 3", map[string]TimeRange{s1: open}},
		{"zone offset widens by the largest offset", "SELECT * FROM prod-trail WHERE eventTime > '2024-01-01 00:00:00+02'", map[string]TimeRange{s1: {From: lo(day1.Add(-2*time.Hour - maxZoneOffset))}}},
		{"unknown literal form", "SELECT * FROM prod-trail WHERE eventTime > '01/02/2024'", map[string]TimeRange{s1: open}},
		{"now() of a column is not constant", "SELECT * FROM prod-trail WHERE eventTime > date_add('day', -1, eventTime)", map[string]TimeRange{s1: open}},
		{"try_cast", "SELECT * FROM prod-trail WHERE eventTime > TRY_CAST('2024-01-01' AS TIMESTAMP)", map[string]TimeRange{s1: open}},
		{"cast to varchar", "SELECT * FROM prod-trail WHERE eventTime > CAST('2024-01-01' AS VARCHAR)", map[string]TimeRange{s1: open}},
		{"outer where does not reach into a subquery", "SELECT * FROM (SELECT eventTime + INTERVAL 1 DAY AS eventTime FROM prod-trail) WHERE eventTime > '2024-01-01'", map[string]TimeRange{s1: open}},
		{"inner where applies", "SELECT * FROM (SELECT * FROM prod-trail WHERE eventTime > '2024-01-01') x", map[string]TimeRange{s1: {From: lo(day1)}}},
		{
			"union: each side its own", "SELECT eventName FROM prod-trail WHERE eventTime > '2024-01-01' UNION SELECT eventName FROM audit.backup WHERE eventTime < '2024-01-02'",
			map[string]TimeRange{s1: {From: lo(day1)}, s2: {To: hi(day2)}},
		},
		{
			"join ON conditions are ignored", "SELECT * FROM prod-trail a JOIN audit.backup b ON a.eventTime > '2024-01-01' WHERE b.eventTime < '2024-01-02'",
			map[string]TimeRange{s1: open, s2: {To: hi(day2)}},
		},
		{"cte body", "WITH c AS (SELECT * FROM prod-trail WHERE eventTime >= '2024-01-02') SELECT * FROM c WHERE eventTime < '2024-01-01'", map[string]TimeRange{s1: {From: lo(day2)}}},
		{"having is not where", "SELECT eventName FROM prod-trail GROUP BY eventName HAVING max(eventTime) > '2024-01-01'", map[string]TimeRange{s1: open}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := timeRanges(parseForTest(t, p, tc.sql))
			for name := range got {
				if !strings.HasPrefix(name, placeholderPrefix) {
					delete(got, name) // CTE names
				}
			}
			require.Equal(t, tc.want, got)
		})
	}
}

func TestHull(t *testing.T) {
	a, b := ts("2024-01-01 00:00:00.000"), ts("2024-01-05 00:00:00.000")
	require.Equal(t, TimeRange{From: a, To: b}, hull([]TimeRange{{From: a, To: a}, {From: b, To: b}}))
	require.Equal(t, TimeRange{To: b}, hull([]TimeRange{{To: a}, {From: a, To: b}}))
	require.Equal(t, TimeRange{}, hull([]TimeRange{{From: a}, {To: b}}))
}

func TestParseTimeLiteral(t *testing.T) {
	for _, s := range []string{"2024-01-01", "2024-01-01 00:00:00", "2024-01-01 00:00:00.000", "2024-01-01T00:00:00.123456Z", "2024-01-01 00:00"} {
		_, ok := parseTimeLiteral(s)
		require.True(t, ok, s)
	}
	for _, s := range []string{"2024-01-01 00:00:00Z", "2024-01-01T00:00:00+00:00", "2024-01-01 00:00:00 UTC", "2024-01-01 00:00:00.5+0000"} {
		v, ok := parseTimeLiteral(s)
		require.True(t, ok, s)
		require.Equal(t, 2024, v.Year(), s)
	}
	for _, s := range []string{"", "now", "2024-1-1", " 2024-01-01", "2024-01-01 00:00:00+02", "01/02/2024", "2024-01-01+02"} {
		_, ok := parseTimeLiteral(s)
		require.False(t, ok, s)
	}
}
