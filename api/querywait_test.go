package api_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/stretchr/testify/require"
)

// TestQueryWaitAnswersAtTheEnd: with a long QueryWait, the first
// DescribeQuery or GetQueryResults after StartQuery answers when the query
// ends, FINISHED, instead of QUEUED or RUNNING.
func TestQueryWaitAnswersAtTheEnd(t *testing.T) {
	e := newEnvWith(t, envOptions{queryWait: 20 * time.Second})
	ctx := context.Background()
	st := e.seedStore(t, 3000)
	ct := e.root()
	sql := fmt.Sprintf("SELECT eventName, count(*) AS n FROM %s GROUP BY eventName ORDER BY eventName", st.ID)

	q, err := ct.StartQuery(ctx, &cloudtrail.StartQueryInput{QueryStatement: aws.String(sql)})
	require.NoError(t, err)
	d, err := ct.DescribeQuery(ctx, &cloudtrail.DescribeQueryInput{QueryId: q.QueryId})
	require.NoError(t, err)
	require.Equal(t, types.QueryStatusFinished, d.QueryStatus, aws.ToString(d.ErrorMessage))
	require.EqualValues(t, 3000, aws.ToInt64(d.QueryStatistics.EventsScanned))

	q, err = ct.StartQuery(ctx, &cloudtrail.StartQueryInput{QueryStatement: aws.String(sql)})
	require.NoError(t, err)
	res, err := ct.GetQueryResults(ctx, &cloudtrail.GetQueryResultsInput{QueryId: q.QueryId})
	require.NoError(t, err)
	require.Equal(t, types.QueryStatusFinished, res.QueryStatus)
	require.Len(t, res.QueryResultRows, 6)
	require.Equal(t, []map[string]string{{"eventName": "AssumeRole"}, {"n": "500"}}, res.QueryResultRows[0])
	require.Nil(t, res.NextToken)
}

// TestQueryWaitIsBounded: on a query that runs for minutes, DescribeQuery
// and an empty GetQueryResults page answer RUNNING after QueryWait;
// CancelQuery does not wait.
func TestQueryWaitIsBounded(t *testing.T) {
	const wait = time.Second
	e := newEnvWith(t, envOptions{queryWait: wait})
	ctx := context.Background()
	st := e.seedStore(t, 3000)
	ct := e.root()
	long := fmt.Sprintf(`SELECT count(*) AS n FROM %[1]s a, %[1]s b, %[1]s c
		WHERE a.eventID < b.eventID AND b.eventID <> c.eventID AND length(a.eventJson || c.eventJson) > 3`, st.ID)
	q, err := ct.StartQuery(ctx, &cloudtrail.StartQueryInput{QueryStatement: aws.String(long)})
	require.NoError(t, err)

	start := time.Now()
	d, err := ct.DescribeQuery(ctx, &cloudtrail.DescribeQueryInput{QueryId: q.QueryId})
	require.NoError(t, err)
	require.Contains(t, []types.QueryStatus{types.QueryStatusQueued, types.QueryStatusRunning}, d.QueryStatus)
	require.GreaterOrEqual(t, time.Since(start), wait)

	start = time.Now()
	res, err := ct.GetQueryResults(ctx, &cloudtrail.GetQueryResultsInput{QueryId: q.QueryId})
	require.NoError(t, err)
	require.Equal(t, types.QueryStatusRunning, res.QueryStatus)
	require.Empty(t, res.QueryResultRows)
	require.NotEmpty(t, aws.ToString(res.NextToken), "more may come")
	require.GreaterOrEqual(t, time.Since(start), wait)

	start = time.Now()
	c, err := ct.CancelQuery(ctx, &cloudtrail.CancelQueryInput{QueryId: q.QueryId})
	require.NoError(t, err)
	require.Equal(t, types.QueryStatusCancelled, c.QueryStatus)
	require.Less(t, time.Since(start), wait)
	start = time.Now()
	d, err = ct.DescribeQuery(ctx, &cloudtrail.DescribeQueryInput{QueryId: q.QueryId})
	require.NoError(t, err)
	require.Equal(t, types.QueryStatusCancelled, d.QueryStatus)
	require.Less(t, time.Since(start), wait, "an ended query is answered at once")
}
