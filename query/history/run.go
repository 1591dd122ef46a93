package history

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/auditlake/auditlake/lake"
)

// usernameSQL is the event history's "User name" of a record, as CloudTrail
// shows it: "root" for the root user, the session name (the last part of
// the ARN) for an assumed role, the calling service for AWSService, else
// userIdentity.userName, else the last part of the ARN, else the principal.
const usernameSQL = `CASE
  WHEN userIdentity.type = 'Root' THEN 'root'
  WHEN userIdentity.type = 'AssumedRole' AND userIdentity.arn IS NOT NULL THEN regexp_extract(userIdentity.arn, '[^/]*$')
  WHEN userIdentity.type = 'AWSService' AND userIdentity.invokedBy IS NOT NULL THEN userIdentity.invokedBy
  WHEN coalesce(userIdentity.userName, '') <> '' THEN userIdentity.userName
  WHEN coalesce(userIdentity.arn, '') <> '' THEN regexp_extract(userIdentity.arn, '[^/:]*$')
  ELSE userIdentity.principalId END`

// categorySQL is a record's eventCategory, derived for records that lack
// one as lake.EventCategory derives it. The history store holds management
// and Insights events only; the segments it shares with other stores
// (lake.HistorySegments) hold whatever those stores take.
const categorySQL = `CASE
  WHEN coalesce(eventCategory, '') <> '' THEN eventCategory
  WHEN eventType = 'AwsCloudTrailInsight' THEN 'Insight'
  WHEN eventType = 'AwsVpceEvent' THEN 'NetworkActivity'
  WHEN managementEvent = false THEN 'Data'
  ELSE 'Management' END`

// resourceNameSQL is a resource's name: its ARN after the last '/' or ':'.
const resourceNameSQL = `regexp_extract(coalesce(r.arn, ''), '[^/:]*$')`

// sqlString quotes s as a SQL string literal.
func sqlString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// build renders the statement and its arguments. The file list is quoted
// into the text (table function arguments cannot be bound); every value of
// the request is bound.
func (q plan) build(paths []string, ts timeSpan, fetch int) (string, []any) {
	files := make([]string, len(paths))
	for i, p := range paths {
		files[i] = sqlString(p)
	}
	var where []string
	var args []any
	add := func(cond string, a ...any) {
		where = append(where, cond)
		args = append(args, a...)
	}
	if ts.hiIncluded {
		add("eventTime >= ?::TIMESTAMPTZ AND eventTime <= ?::TIMESTAMPTZ", ts.lo, ts.hi)
	} else {
		add("eventTime >= ?::TIMESTAMPTZ AND eventTime < ?::TIMESTAMPTZ", ts.lo, ts.hi)
	}
	if q.insight {
		add("(" + categorySQL + ") = 'Insight'")
	} else {
		add("(" + categorySQL + ") = 'Management'")
	}
	if q.after != nil {
		add("(eventTime < ?::TIMESTAMPTZ OR (eventTime = ?::TIMESTAMPTZ AND coalesce(eventID, '') < ?))",
			time.UnixMicro(q.after.Time).UTC(), time.UnixMicro(q.after.Time).UTC(), q.after.ID)
	}
	if a := q.attr; a != nil {
		switch a.Key {
		case KeyEventID:
			add("eventID = ?", a.Value)
		case KeyEventName:
			add("eventName = ?", a.Value)
		case KeyReadOnly:
			add("readOnly = ?", *q.readOnly)
		case KeyUsername:
			// A cheap necessary condition first, then the exact one.
			add(`(userIdentity.userName = ? OR userIdentity.invokedBy = ? OR userIdentity.principalId = ?
    OR suffix(userIdentity.arn, '/' || ?) OR suffix(userIdentity.arn, ':' || ?) OR userIdentity.type = 'Root')`,
				a.Value, a.Value, a.Value, a.Value, a.Value)
			add("("+usernameSQL+") = ?", a.Value)
		case KeyResourceType:
			add("list_contains(list_transform(resources, r -> r.type), ?)", a.Value)
		case KeyResourceName:
			add("contains(array_to_string(list_transform(resources, r -> r.arn), ' '), ?)", a.Value)
			add("(list_contains(list_transform(resources, r -> "+resourceNameSQL+"), ?) OR list_contains(list_transform(resources, r -> r.arn), ?))", a.Value, a.Value)
		case KeyEventSource:
			add("eventSource = ?", a.Value)
		case KeyAccessKeyID:
			add("userIdentity.accessKeyId = ?", a.Value)
		}
	}
	// The page is chosen on the raw columns first, so the user name, the
	// resources and eventJson are computed for its rows only, not for
	// every row of the span.
	stmt := fmt.Sprintf(`SELECT eventTime, coalesce(eventID, ''), coalesce(eventName, ''), readOnly,
  coalesce(userIdentity.accessKeyId, ''), coalesce(eventSource, ''), coalesce(%s, ''),
  coalesce(awsRegion, ''), coalesce(errorCode, ''), coalesce(sourceIPAddress, ''),
  coalesce(array_to_string(list_transform(resources, r -> coalesce(r.type, '') || chr(31) || %s), chr(30)), ''),
  %s
FROM (
  SELECT eventTime, eventID, eventName, readOnly, userIdentity, eventSource, awsRegion, errorCode, sourceIPAddress,
    resources, requestID, eventJson, eventJsonCutEventID, eventJsonCutRequestID
  FROM read_parquet([%s], hive_partitioning = false)
  WHERE %s
  ORDER BY eventTime DESC, coalesce(eventID, '') DESC
  LIMIT %d)
ORDER BY eventTime DESC, coalesce(eventID, '') DESC`, usernameSQL, resourceNameSQL, lake.StoredEventJSON, strings.Join(files, ", "), strings.Join(where, "\n    AND "), fetch)
	return stmt, args
}

// timeSpan is the part of the window one query reads: [lo, hi], or
// [lo, hi) when hiIncluded is false.
type timeSpan struct {
	lo, hi     time.Time
	hiIncluded bool
}

// run fetches up to n events of the span from the files. more reports that
// it fetched n rows, so the span may hold more. Repeats of an event ID (the
// same event ingested from two different files) are adjacent in the order
// and are dropped.
func (s *Searcher) run(ctx context.Context, q plan, paths []string, ts timeSpan, n int) ([]Event, bool, error) {
	stmt, args := q.build(paths, ts, n)
	rows, err := s.db.QueryContext(ctx, stmt, args...)
	if err != nil {
		return nil, false, fmt.Errorf("look up events: %w", err)
	}
	defer rows.Close()
	var out []Event
	fetched := 0
	for rows.Next() {
		fetched++
		var e Event
		var ro sql.NullBool
		var res string
		if err := rows.Scan(&e.EventTime, &e.EventID, &e.EventName, &ro, &e.AccessKeyID, &e.EventSource,
			&e.Username, &e.AWSRegion, &e.ErrorCode, &e.SourceIPAddress, &res, &e.CloudTrailEvent); err != nil {
			return nil, false, fmt.Errorf("look up events: %w", err)
		}
		if n := len(out); n > 0 && e.EventID != "" && out[n-1].EventID == e.EventID && out[n-1].EventTime.Equal(e.EventTime) {
			continue
		}
		e.EventTime = e.EventTime.UTC()
		if ro.Valid {
			e.ReadOnly = fmt.Sprint(ro.Bool)
		}
		e.Resources = parseResources(res)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, false, fmt.Errorf("look up events: %w", err)
	}
	return out, fetched == n, nil
}

func parseResources(s string) []Resource {
	out := []Resource{}
	if s == "" {
		return out
	}
	for _, part := range strings.Split(s, "\x1e") {
		typ, name, _ := strings.Cut(part, "\x1f")
		out = append(out, Resource{Type: typ, Name: name})
	}
	return out
}
