package api_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/stretchr/testify/require"
)

// apiQuery runs sql as lakebench's API path does, like a client of
// CloudTrail Lake: StartQuery, DescribeQuery until the query ends (after
// 0, 2, 4, 8, 16, 16, ... ms), then GetQueryResults in pages of 1,000 rows
// to the last. It returns the rows read.
func apiQuery(ctx context.Context, ct *cloudtrail.Client, sql string) (int, error) {
	q, err := ct.StartQuery(ctx, &cloudtrail.StartQueryInput{QueryStatement: aws.String(sql)})
	if err != nil {
		return 0, err
	}
	for wait := time.Duration(0); ; wait = min(max(2*wait, 2*time.Millisecond), 16*time.Millisecond) {
		time.Sleep(wait)
		d, err := ct.DescribeQuery(ctx, &cloudtrail.DescribeQueryInput{QueryId: q.QueryId})
		if err != nil {
			return 0, err
		}
		if d.QueryStatus == types.QueryStatusFinished {
			break
		}
		if d.QueryStatus != types.QueryStatusQueued && d.QueryStatus != types.QueryStatusRunning {
			return 0, fmt.Errorf("query %s: %s", d.QueryStatus, aws.ToString(d.ErrorMessage))
		}
	}
	rows := 0
	in := &cloudtrail.GetQueryResultsInput{QueryId: q.QueryId, MaxQueryResults: aws.Int32(1000)}
	for {
		page, err := ct.GetQueryResults(ctx, in)
		if err != nil {
			return rows, err
		}
		rows += len(page.QueryResultRows)
		if aws.ToString(page.NextToken) == "" {
			return rows, nil
		}
		in.NextToken = page.NextToken
	}
}

// BenchmarkQueryAPI measures the API path of a query end to end, through a
// real HTTP server and the SDK's client, on a lake of 20,000 events: a
// one-row aggregate (the fixed cost of a query job) and a 20,000-row
// selection (20 pages of GetQueryResults).
func BenchmarkQueryAPI(b *testing.B) {
	const events = 20_000
	e := newEnvWith(b, envOptions{})
	ctx := context.Background()
	st := e.seedStore(b, events)
	// The SDK's default retryer stays on, as in lakebench: its transport
	// now and then closes a connection under a response being read (the
	// "use of closed network connection" of aws-sdk-go-v2 issue 2737),
	// and the retryer retries that.
	ct := cloudtrail.New(cloudtrail.Options{
		Region: region, BaseEndpoint: aws.String(e.url),
		Credentials: credentials.NewStaticCredentialsProvider(rootKey, rootSecret, ""),
	})
	cases := []struct {
		name string
		sql  string
		rows int
	}{
		{"count", "SELECT COUNT(*) AS n FROM %s WHERE eventTime >= '2025-12-28 00:00:00' AND eventTime < '2025-12-29 00:00:00'", 1},
		{"rows=20k", "SELECT eventTime, eventName, sourceIPAddress FROM %s ORDER BY eventTime", events},
	}
	for _, c := range cases {
		sql := fmt.Sprintf(c.sql, st.ID)
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				n, err := apiQuery(ctx, ct, sql)
				require.NoError(b, err)
				require.Equal(b, c.rows, n)
			}
		})
	}
}
