package main

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "github.com/duckdb/duckdb-go/v2" // registers the "duckdb" driver
)

// The harness re-executes itself with childEnv=convert to run DuckDB's own
// JSON-to-Parquet conversion in a separate process, so that its wall time
// and peak RSS are measured exactly as auditlake ingest's are.
const (
	childEnv    = "LAKEBENCH_CHILD"
	childSrcEnv = "LAKEBENCH_SRC"
	childDstEnv = "LAKEBENCH_DST"
)

// maxObjectSize bounds one JSON document for read_json: a whole trail file
// is one {"Records":[...]} object.
const maxObjectSize = 16 << 20

// trailGlob matches every trail file under the generator's output folder.
func trailGlob(trail string) string {
	return filepath.Join(trail, "AWSLogs", "*", "CloudTrail", "*", "*", "*", "*", "*.json.gz")
}

// recordType is the CloudTrail record as DuckDB reads it: the fields the
// generator writes (bench/gen_record.go), with the free-form objects as
// JSON. DuckDB's automatic schema detection is no option here: with its
// default sample (32 files) a key seen only in a later file fails the read,
// and with every file sampled it infers a struct of every request
// parameter ever seen and needed 8 minutes and 14 GiB for 100k events.
const recordType = "STRUCT(eventVersion VARCHAR, " +
	"userIdentity STRUCT(type VARCHAR, principalId VARCHAR, arn VARCHAR, accountId VARCHAR, accessKeyId VARCHAR, userName VARCHAR, " +
	"sessionContext JSON, invokedBy VARCHAR, identityProvider VARCHAR, credentialId VARCHAR, onBehalfOf JSON), " +
	"eventTime TIMESTAMPTZ, eventSource VARCHAR, eventName VARCHAR, awsRegion VARCHAR, sourceIPAddress VARCHAR, userAgent VARCHAR, " +
	"errorCode VARCHAR, errorMessage VARCHAR, requestParameters JSON, responseElements JSON, additionalEventData JSON, " +
	"requestID VARCHAR, eventID VARCHAR, readOnly BOOLEAN, resources STRUCT(accountId VARCHAR, type VARCHAR, ARN VARCHAR, ARNPrefix VARCHAR)[], " +
	"eventType VARCHAR, apiVersion VARCHAR, managementEvent BOOLEAN, recipientAccountId VARCHAR, serviceEventDetails JSON, " +
	"sharedEventID VARCHAR, vpcEndpointId VARCHAR, vpcEndpointAccountId VARCHAR, eventCategory VARCHAR, tlsDetails JSON, " +
	"sessionCredentialFromConsole VARCHAR)"

// rawRowsSQL is a relation of one row per CloudTrail record of the trail
// files, with the record's fields as columns, and with withJSON the record
// as JSON text in eventJson.
func rawRowsSQL(trail string, withJSON bool) string {
	cols := "unnest(r)"
	if withJSON {
		cols += ", to_json(r) AS eventJson"
	}
	return fmt.Sprintf("SELECT %s FROM (SELECT unnest(Records) AS r FROM read_json(%s, maximum_object_size=%d, columns={'Records': '%s[]'}))",
		cols, quote(trailGlob(trail)), maxObjectSize, recordType)
}

func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// openDuck opens an in-memory DuckDB with default threads, in UTC.
func openDuck(ctx context.Context) (*sql.DB, error) {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1) // one connection, so SET applies to every query
	if _, err := db.ExecContext(ctx, "SET TimeZone='UTC'"); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// runChild is the convert subprocess: read the trail files, write one
// Parquet file with DuckDB's defaults, print the row count.
func runChild(ctx context.Context) error {
	src, dst := os.Getenv(childSrcEnv), os.Getenv(childDstEnv)
	db, err := openDuck(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	// Without this DuckDB keeps the input order through COPY, buffering
	// rows per file: on 100k events in 22k trail files it took 131 s and
	// 15.6 GiB of RSS instead of 3 s and 0.4 GiB. DuckDB's documentation
	// advises it for large exports; auditlake orders rows itself.
	if _, err := db.ExecContext(ctx, "SET preserve_insertion_order = false"); err != nil {
		return err
	}
	res, err := db.ExecContext(ctx, fmt.Sprintf("COPY (%s) TO %s (FORMAT parquet)", rawRowsSQL(src, false), quote(dst)))
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	fmt.Println(n)
	return nil
}

// timeDuckFresh opens a new in-memory DuckDB, runs q on it, reads every row
// and closes it, and returns the wall time of all of that.
func timeDuckFresh(ctx context.Context, q string) (time.Duration, int, error) {
	start := time.Now()
	db, err := openDuck(ctx)
	if err != nil {
		return 0, 0, err
	}
	_, n, err := timeDuck(ctx, db, q)
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	return time.Since(start), n, err
}

// timeDuck runs q once and returns its wall time and row count, reading
// every row so that DuckDB cannot skip materializing the result.
func timeDuck(ctx context.Context, db *sql.DB, q string) (time.Duration, int, error) {
	start := time.Now()
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return 0, 0, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return 0, 0, err
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	n := 0
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return 0, 0, err
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return 0, 0, err
	}
	return time.Since(start), n, nil
}

// coverage lists, by eventCategory, eventSource and the first resource
// type, how many events DuckDB's conversion of the trail holds that the
// lake does not: what the store's selectors (or the decoder) dropped.
func coverage(ctx context.Context, db *sql.DB, lakeGlob, duckParquet string) ([]string, error) {
	key := "eventCategory || ' ' || eventSource || ' ' || coalesce(resources[1].type, '-')"
	q := fmt.Sprintf(`WITH a AS (SELECT %[1]s AS k, COUNT(*) AS n FROM read_parquet(%[2]s) GROUP BY 1),
		b AS (SELECT %[1]s AS k, COUNT(*) AS n FROM read_parquet(%[3]s) GROUP BY 1)
		SELECT b.k, b.n - coalesce(a.n, 0) AS missing FROM b LEFT JOIN a USING (k)
		WHERE b.n <> coalesce(a.n, 0) ORDER BY missing DESC, b.k LIMIT 20`, key, quote(lakeGlob), quote(duckParquet))
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("coverage: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var k string
		var n int64
		if err := rows.Scan(&k, &n); err != nil {
			return nil, err
		}
		out = append(out, fmt.Sprintf("%s: %d", k, n))
	}
	return out, rows.Err()
}
