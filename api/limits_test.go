package api_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/stretchr/testify/require"

	"github.com/auditlake/auditlake/ingest"
)

// TestQueryLimits fills the account's 10 queued-or-running queries with
// slow ones: the 11th StartQuery answers MaxConcurrentQueriesException,
// CancelQuery ends them promptly, and then a query starts again. An
// explicit MaxQueryResults of 0 is refused, as the model's minimum of 1
// says.
func TestQueryLimits(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	ct := e.root()
	st, err := ct.CreateEventDataStore(ctx, &cloudtrail.CreateEventDataStoreInput{Name: aws.String("slow")})
	require.NoError(t, err)
	arn := aws.ToString(st.EventDataStoreArn)
	id := arn[strings.LastIndex(arn, "/")+1:]
	rec := map[string]any{"eventVersion": "1.09", "eventID": "q1", "eventName": "RunInstances", "eventTime": time.Now().UTC().Format(time.RFC3339),
		"eventSource": "ec2.amazonaws.com", "managementEvent": true, "eventCategory": "Management"}
	data, err := json.Marshal(map[string]any{"Records": []any{rec}})
	require.NoError(t, err)
	file := filepath.Join(t.TempDir(), "one.json")
	require.NoError(t, os.WriteFile(file, data, 0o644))
	_, err = ingest.Paths(ctx, e.l, id, []string{file}, ingest.Options{}, nil)
	require.NoError(t, err)

	// Each query counts 10^10 generated rows (two small lists crossed,
	// little memory): it runs until cancelled.
	slow := "SELECT count(*) FROM " + id + " CROSS JOIN UNNEST(sequence(1, 100000)) AS a(x) CROSS JOIN UNNEST(sequence(1, 100000)) AS b(y) WHERE (x + y) % 7 = 3"
	var ids []*string
	for range 10 {
		q, err := ct.StartQuery(ctx, &cloudtrail.StartQueryInput{QueryStatement: aws.String(slow)})
		require.NoError(t, err)
		ids = append(ids, q.QueryId)
	}
	_, err = ct.StartQuery(ctx, &cloudtrail.StartQueryInput{QueryStatement: aws.String(slow)})
	requireCode(t, err, "MaxConcurrentQueriesException")

	start := time.Now()
	for _, q := range ids {
		_, err := ct.CancelQuery(ctx, &cloudtrail.CancelQueryInput{QueryId: q})
		require.NoError(t, err)
	}
	for _, q := range ids {
		require.Equal(t, types.QueryStatusCancelled, waitQuery(t, ct, q).QueryStatus)
	}
	require.Less(t, time.Since(start), 10*time.Second, "CancelQuery interrupts DuckDB promptly")

	q, err := ct.StartQuery(ctx, &cloudtrail.StartQueryInput{QueryStatement: aws.String("SELECT eventID FROM " + id + " WHERE eventID = 'q1'")})
	require.NoError(t, err)
	require.Equal(t, types.QueryStatusFinished, waitQuery(t, ct, q.QueryId).QueryStatus)
	_, err = ct.GetQueryResults(ctx, &cloudtrail.GetQueryResultsInput{QueryId: q.QueryId, MaxQueryResults: aws.Int32(0)})
	requireCode(t, err, "InvalidMaxResultsException")
	_, err = ct.GetQueryResults(ctx, &cloudtrail.GetQueryResultsInput{QueryId: q.QueryId, MaxQueryResults: aws.Int32(1001)})
	requireCode(t, err, "InvalidMaxResultsException")
	res, err := ct.GetQueryResults(ctx, &cloudtrail.GetQueryResultsInput{QueryId: q.QueryId})
	require.NoError(t, err)
	require.Equal(t, [][]map[string]string{{{"eventID": "q1"}}}, res.QueryResultRows)
}
