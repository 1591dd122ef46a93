package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/auditlake/auditlake/bench"
)

// query is one audit query, written once in the CloudTrail Lake (Trino)
// dialect with {T} for the bench store and {D} for the data-events store.
// Duck is its DuckDB form where the two dialects differ (JSON functions);
// empty: SQL is valid DuckDB too.
type query struct {
	ID, Name, SQL, Duck string
}

// on returns the statement for auditlake with the stores named by ID.
func (q query) on(t, d string) string { return fill(q.SQL, t, d) }

// onDuck returns the statement for DuckDB with t and d as relations.
func (q query) onDuck(t, d string) string {
	s := q.SQL
	if q.Duck != "" {
		s = q.Duck
	}
	return fill(s, t, d)
}

// usesEventJSON reports whether the query reads eventJson, which DuckDB's
// relation over the raw trail files has to build.
func (q query) usesEventJSON() bool { return strings.Contains(strings.ToLower(q.SQL), "eventjson") }

func fill(s, t, d string) string {
	return strings.NewReplacer("{T}", t, "{D}", d).Replace(s)
}

const ts = "2006-01-02 15:04:05"

// window is the eventTime condition of [from, from+days).
func window(from time.Time, days int) string {
	return fmt.Sprintf("eventTime >= '%s' AND eventTime < '%s'", from.Format(ts), from.AddDate(0, 0, days).Format(ts))
}

// auditQueries returns the audit queries of the suite: the five standard
// ones of package bench (Q1..Q5, shared with the other harnesses), then
// Q6..Q14. day is the start of the one-day window (bench.QueryDay), week
// of the one-week window; arn is the principal whose trail Q5 and Q12 list
// (bench.BusiestPrincipalSQL).
func auditQueries(day, week time.Time, arn string) []query {
	var qs []query
	for _, q := range bench.AuditQueries(day, arn) {
		qs = append(qs, query{ID: q.ID, Name: q.Name, SQL: q.SQL})
	}
	d1, w7 := window(day, 1), window(week, 7)
	return append(qs, []query{
		{ID: "Q6", Name: "top 10 source IPs, all time",
			SQL: "SELECT sourceIPAddress, COUNT(*) AS n FROM {T} GROUP BY sourceIPAddress ORDER BY n DESC, sourceIPAddress LIMIT 10"},
		{ID: "Q7", Name: "top 10 principals, one week",
			SQL: "SELECT userIdentity.arn AS principal, COUNT(*) AS n FROM {T} WHERE " + w7 + " GROUP BY userIdentity.arn ORDER BY n DESC, principal LIMIT 10"},
		{ID: "Q8", Name: "top 10 errors by principal and IP, one week",
			SQL: "SELECT userIdentity.arn AS principal, sourceIPAddress, errorCode, COUNT(*) AS n FROM {T} WHERE errorCode IS NOT NULL AND " + w7 +
				" GROUP BY userIdentity.arn, sourceIPAddress, errorCode ORDER BY n DESC, principal, sourceIPAddress, errorCode LIMIT 10"},
		{ID: "Q9", Name: "count of events, one day",
			SQL: "SELECT COUNT(*) AS n FROM {T} WHERE " + d1},
		{ID: "Q10", Name: "events and errors per day, all time",
			SQL: "SELECT date_trunc('day', eventTime) AS day, COUNT(*) AS n, COUNT(errorCode) AS errors FROM {T} GROUP BY 1 ORDER BY 1"},
		{ID: "Q11", Name: "top 10 eventSource by distinct IPs, one week",
			SQL: "SELECT eventSource, COUNT(DISTINCT sourceIPAddress) AS ips, COUNT(*) AS n FROM {T} WHERE " + w7 + " GROUP BY eventSource ORDER BY ips DESC, eventSource LIMIT 10"},
		{ID: "Q12", Name: "one principal's trail, one day",
			SQL: "SELECT eventTime, eventSource, eventName, sourceIPAddress, errorCode FROM {T} WHERE userIdentity.arn = " + quote(arn) + " AND " + d1 + " ORDER BY eventTime, eventName"},
		{ID: "Q13", Name: "join of two stores: principals' management and data events, one week",
			SQL: "WITH m AS (SELECT userIdentity.arn AS principal, COUNT(*) AS n FROM {T} WHERE eventCategory = 'Management' AND " + w7 + " GROUP BY 1), " +
				"d AS (SELECT userIdentity.arn AS principal, COUNT(*) AS n FROM {D} WHERE " + w7 + " GROUP BY 1) " +
				"SELECT m.principal, m.n AS management, d.n AS data FROM m JOIN d ON m.principal = d.principal ORDER BY d.n DESC, m.principal LIMIT 20"},
		{ID: "Q14", Name: "eventJson: sessions by issuing role, one week",
			SQL: "SELECT json_extract_scalar(eventJson, '$.userIdentity.sessionContext.sessionIssuer.userName') AS issuer, COUNT(*) AS n FROM {T} WHERE " + w7 +
				" GROUP BY 1 ORDER BY n DESC, issuer LIMIT 10",
			Duck: "SELECT json_extract_string(eventJson, '$.userIdentity.sessionContext.sessionIssuer.userName') AS issuer, COUNT(*) AS n FROM {T} WHERE " + w7 +
				" GROUP BY 1 ORDER BY n DESC, issuer LIMIT 10"},
	}...)
}

// windowQuery is Q4 over [from, from+days): the query whose cost should
// follow the window, not the store.
func windowQuery(from time.Time, days int) string {
	return "SELECT eventName, COUNT(*) AS n FROM {T} WHERE " + window(from, days) + " GROUP BY eventName ORDER BY n DESC, eventName"
}

// storesQuery is Q4 over the union of the given stores.
func storesQuery(stores []string, from time.Time) string {
	parts := make([]string, len(stores))
	for i, s := range stores {
		parts[i] = "SELECT eventName FROM " + s + " WHERE " + window(from, 1)
	}
	return "SELECT eventName, COUNT(*) AS n FROM (" + strings.Join(parts, " UNION ALL ") + ") AS u GROUP BY eventName ORDER BY n DESC, eventName"
}
