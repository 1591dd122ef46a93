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

	"github.com/auditlake/auditlake/lake"
)

// benchEvents makes n events spread evenly over days days from day, with a
// few event names, sources and addresses.
func benchEvents(day time.Time, days, n int) []lake.Event {
	names := []string{"GetObject", "PutObject", "ListBuckets", "DeleteObject", "AssumeRole", "DescribeInstances"}
	sources := []string{"s3.amazonaws.com", "sts.amazonaws.com", "ec2.amazonaws.com"}
	step := time.Duration(days) * 24 * time.Hour / time.Duration(n)
	out := make([]lake.Event, n)
	for i := range out {
		id := fmt.Sprintf("bench-%08d", i)
		name, src := names[i%len(names)], sources[i%len(sources)]
		ip := fmt.Sprintf("10.0.%d.%d", i%200, i%250)
		arn := fmt.Sprintf("arn:aws:iam::123456789012:user/user-%d", i%40)
		out[i] = lake.Event{
			EventVersion: aws.String("1.08"), EventTime: day.Add(time.Duration(i) * step),
			EventName: aws.String(name), EventSource: aws.String(src), AWSRegion: aws.String("us-east-1"),
			SourceIPAddress: aws.String(ip), EventID: aws.String(id),
			UserIdentity: &lake.UserIdentity{Type: aws.String("IAMUser"), ARN: aws.String(arn)},
			EventJSON:    `{"eventID":"` + id + `","eventName":"` + name + `"}`,
		}
	}
	return out
}

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
	st, err := e.l.CreateStore(ctx, lake.CreateStoreInput{Name: "bench"})
	require.NoError(b, err)
	day := time.Date(2025, 12, 27, 0, 0, 0, 0, time.UTC)
	segs, err := e.l.WriteSegments(ctx, st.ID, "", benchEvents(day, 4, events))
	require.NoError(b, err)
	_, err = e.l.Commit(ctx, st.ID, lake.Change{Add: segs})
	require.NoError(b, err)
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
