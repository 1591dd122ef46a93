package api_test

import (
	"context"
	gosql "database/sql"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	_ "github.com/duckdb/duckdb-go/v2" // the baseline's driver
	"github.com/stretchr/testify/require"

	"github.com/auditlake/auditlake/query"
)

// apiQuery runs sql as lakebench's API path does, like a client of
// CloudTrail Lake: StartQuery, DescribeQuery until the query ends (after
// 0, 2, 4, 8, 16, 16, ... ms), then GetQueryResults in pages of 1,000 rows
// to the last. It returns the rows read and the calls made.
func apiQuery(ctx context.Context, ct *cloudtrail.Client, sql string) (rows, calls int, err error) {
	q, err := ct.StartQuery(ctx, &cloudtrail.StartQueryInput{QueryStatement: aws.String(sql)})
	if err != nil {
		return 0, 1, err
	}
	calls = 1
	for wait := time.Duration(0); ; wait = min(max(2*wait, 2*time.Millisecond), 16*time.Millisecond) {
		time.Sleep(wait)
		d, err := ct.DescribeQuery(ctx, &cloudtrail.DescribeQueryInput{QueryId: q.QueryId})
		calls++
		if err != nil {
			return 0, calls, err
		}
		if d.QueryStatus == types.QueryStatusFinished {
			break
		}
		if d.QueryStatus != types.QueryStatusQueued && d.QueryStatus != types.QueryStatusRunning {
			return 0, calls, fmt.Errorf("query %s: %s", d.QueryStatus, aws.ToString(d.ErrorMessage))
		}
	}
	in := &cloudtrail.GetQueryResultsInput{QueryId: q.QueryId, MaxQueryResults: aws.Int32(1000)}
	for {
		page, err := ct.GetQueryResults(ctx, in)
		calls++
		if err != nil {
			return rows, calls, err
		}
		rows += len(page.QueryResultRows)
		if aws.ToString(page.NextToken) == "" {
			return rows, calls, nil
		}
		in.NextToken = page.NextToken
	}
}

// duckNewDB opens an in-memory DuckDB in UTC, runs sql, reads every row
// and closes it, as lakebench's "DuckDB in a new database" does. It returns
// the rows.
func duckNewDB(b *testing.B, sql string) int {
	b.Helper()
	db, err := gosql.Open("duckdb", "")
	require.NoError(b, err)
	defer db.Close()
	db.SetMaxOpenConns(1)
	_, err = db.Exec("SET TimeZone='UTC'")
	require.NoError(b, err)
	rows, err := db.Query(sql)
	require.NoError(b, err)
	defer rows.Close()
	cols, err := rows.Columns()
	require.NoError(b, err)
	vals := make([]any, len(cols))
	for i := range vals {
		vals[i] = new(any)
	}
	n := 0
	for rows.Next() {
		require.NoError(b, rows.Scan(vals...))
		n++
	}
	require.NoError(b, rows.Err())
	return n
}

// countingClient counts the HTTP requests an SDK client sends, retries
// included.
type countingClient struct {
	c interface {
		Do(*http.Request) (*http.Response, error)
	}
	n atomic.Int64
}

func (c *countingClient) Do(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.c.Do(r)
}

// BenchmarkQueryAPI measures the API path of a query end to end, through a
// real HTTP server and the SDK's client, on a lake of 20,000 events: a
// one-row aggregate (the fixed cost of a query job) and a 20,000-row
// selection (20 pages of GetQueryResults). Each also runs as lakebench's
// "DuckDB in a new database" on the same Parquet segments, the baseline
// of its API ratio, which also shows how busy the machine was, and on the
// query engine alone (every row read, as CSV), which the API path adds
// the job to.
func BenchmarkQueryAPI(b *testing.B) {
	const events = 20_000
	e := newEnvWith(b, envOptions{})
	ctx := context.Background()
	st := e.seedStore(b, events)
	// The SDK's transport now and then closes a connection under a
	// response being read (the "use of closed network connection" of
	// aws-sdk-go-v2 issue 2737), and its retryer retries that, as in
	// lakebench. The retries are counted, and made without the standard
	// backoff (up to a second at random here), which would swamp the
	// server's time.
	hc := &countingClient{c: awshttp.NewBuildableClient()}
	ct := cloudtrail.New(cloudtrail.Options{
		Region: region, BaseEndpoint: aws.String(e.url), HTTPClient: hc,
		Credentials: credentials.NewStaticCredentialsProvider(rootKey, rootSecret, ""),
		Retryer: retry.NewStandard(func(o *retry.StandardOptions) {
			o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
			o.RateLimiter = ratelimit.None
		}),
	})
	cases := []struct {
		name string
		sql  string
		rows int
	}{
		{"count", "SELECT COUNT(*) AS n FROM %s WHERE eventTime >= '2025-12-28 00:00:00' AND eventTime < '2025-12-29 00:00:00'", 1},
		{"rows=20k", "SELECT eventTime, eventName, sourceIPAddress FROM %s ORDER BY eventTime", events},
	}
	dataDir, ok := e.l.Bucket().LocalPath("stores/" + st.ID + "/data")
	require.True(b, ok)
	segments := fmt.Sprintf("read_parquet('%s')", filepath.Join(dataDir, "*", "*.parquet"))
	for _, c := range cases {
		sql := fmt.Sprintf(c.sql, st.ID)
		b.Run(c.name+"/duckdb-new-db", func(b *testing.B) {
			sql := fmt.Sprintf(c.sql, segments)
			for b.Loop() {
				require.Equal(b, c.rows, duckNewDB(b, sql))
			}
		})
		b.Run(c.name+"/engine", func(b *testing.B) {
			for b.Loop() {
				rows, err := e.eng.Query(ctx, sql)
				require.NoError(b, err)
				require.NoError(b, query.WriteCSV(io.Discard, rows))
				require.EqualValues(b, c.rows, rows.Stats().RowsReturned)
				require.NoError(b, rows.Close())
			}
		})
		b.Run(c.name+"/api", func(b *testing.B) {
			b.ReportAllocs()
			var calls int64
			sent := hc.n.Load()
			for b.Loop() {
				n, k, err := apiQuery(ctx, ct, sql)
				require.NoError(b, err)
				require.Equal(b, c.rows, n)
				calls += int64(k)
			}
			b.ReportMetric(float64(calls)/float64(b.N), "calls/op")
			b.ReportMetric(float64(hc.n.Load()-sent-calls)/float64(b.N), "retries/op")
		})
	}
}
