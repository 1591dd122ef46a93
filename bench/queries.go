package bench

import (
	"fmt"
	"strings"
	"time"
)

// The benchmark store and its standard queries, shared by the harnesses in
// bench/cmd so that their figures are comparable.

// StoreSelectors are the advanced event selectors of a benchmark store:
// management events and the data events on S3 objects, Lambda functions
// and DynamoDB tables. They miss the generator's SQS and SNS data events
// and its NetworkActivity events (about 11% of them). Pass them to
// `auditlake eds create --advanced-event-selectors`.
const StoreSelectors = `[` +
	`{"Name":"m","FieldSelectors":[{"Field":"eventCategory","Equals":["Management"]}]},` +
	`{"Name":"s3","FieldSelectors":[{"Field":"eventCategory","Equals":["Data"]},{"Field":"resources.type","Equals":["AWS::S3::Object"]}]},` +
	`{"Name":"l","FieldSelectors":[{"Field":"eventCategory","Equals":["Data"]},{"Field":"resources.type","Equals":["AWS::Lambda::Function"]}]},` +
	`{"Name":"d","FieldSelectors":[{"Field":"eventCategory","Equals":["Data"]},{"Field":"resources.type","Equals":["AWS::DynamoDB::Table"]}]}` +
	`]`

// Query is one standard audit query, written once with {T} for the table.
type Query struct {
	ID, Name, SQL string
}

// On returns the query's SQL reading from table: a store ID or name for
// auditlake, or a relation such as read_parquet('...') for DuckDB.
func (q Query) On(table string) string { return strings.ReplaceAll(q.SQL, "{T}", table) }

// BusiestPrincipalSQL returns the ARN of the principal with the most
// events (ties broken by ARN); AuditQueries takes it for Q5.
const BusiestPrincipalSQL = "SELECT userIdentity.arn FROM {T} WHERE userIdentity.arn IS NOT NULL " +
	"GROUP BY 1 ORDER BY COUNT(*) DESC, 1 LIMIT 1"

// QueryDay is the start of the one-day window of Q4 for a generated
// history ending at end (exclusive): two days before the end.
func QueryDay(end time.Time) time.Time { return end.AddDate(0, 0, -2) }

// AuditQueries returns the five standard audit queries. day is the start
// of Q4's one-day window (QueryDay); arn is the principal whose activity
// Q5 lists (BusiestPrincipalSQL).
func AuditQueries(day time.Time, arn string) []Query {
	const ts = "2006-01-02 15:04:05"
	return []Query{
		{"Q1", "counts by eventName",
			"SELECT eventName, COUNT(*) AS n FROM {T} GROUP BY eventName ORDER BY n DESC, eventName"},
		{"Q2", "counts by principal (userIdentity.arn)",
			"SELECT userIdentity.arn AS principal, COUNT(*) AS n FROM {T} GROUP BY userIdentity.arn ORDER BY n DESC, principal"},
		{"Q3", "errors by errorCode",
			"SELECT errorCode, COUNT(*) AS n FROM {T} WHERE errorCode IS NOT NULL GROUP BY errorCode ORDER BY n DESC, errorCode"},
		{"Q4", "one day's window by eventName",
			fmt.Sprintf("SELECT eventName, COUNT(*) AS n FROM {T} WHERE eventTime >= '%s' AND eventTime < '%s' GROUP BY eventName ORDER BY n DESC, eventName",
				day.Format(ts), day.AddDate(0, 0, 1).Format(ts))},
		{"Q5", "one principal's activity, by time",
			fmt.Sprintf("SELECT eventTime, eventName, sourceIPAddress FROM {T} WHERE userIdentity.arn = %s ORDER BY eventTime", sqlString(arn))},
	}
}

// sqlString quotes s as an SQL string literal.
func sqlString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
