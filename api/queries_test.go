package api_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudtraildata"
	dtypes "github.com/aws/aws-sdk-go-v2/service/cloudtraildata/types"
	"github.com/stretchr/testify/require"
)

// waitQuery polls DescribeQuery until the query ends.
func waitQuery(t *testing.T, ct *cloudtrail.Client, id *string) *cloudtrail.DescribeQueryOutput {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		d, err := ct.DescribeQuery(context.Background(), &cloudtrail.DescribeQueryInput{QueryId: id})
		require.NoError(t, err)
		if d.QueryStatus != types.QueryStatusQueued && d.QueryStatus != types.QueryStatusRunning {
			return d
		}
		require.True(t, time.Now().Before(deadline), "query still %s", d.QueryStatus)
		time.Sleep(50 * time.Millisecond)
	}
}

// TestQueriesAndSelfAudit runs queries over the management events the
// server records about its own API calls.
func TestQueriesAndSelfAudit(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	ct := e.root()
	created, err := ct.CreateEventDataStore(ctx, &cloudtrail.CreateEventDataStoreInput{Name: aws.String("mgmt")})
	require.NoError(t, err)
	arn := aws.ToString(created.EventDataStoreArn)
	id := arn[strings.LastIndex(arn, "/")+1:]
	for range 3 {
		_, err := ct.ListEventDataStores(ctx, &cloudtrail.ListEventDataStoresInput{})
		require.NoError(t, err)
	}
	_, err = ct.GetEventDataStore(ctx, &cloudtrail.GetEventDataStoreInput{EventDataStore: aws.String("00000000-0000-0000-0000-000000000000")})
	requireCode(t, err, "EventDataStoreNotFoundException")

	sql := fmt.Sprintf("SELECT eventName, userIdentity.accessKeyId, readOnly, errorCode FROM %s WHERE eventSource = 'cloudtrail.amazonaws.com' AND eventName = 'ListEventDataStores' ORDER BY eventTime", id)
	var rows [][]map[string]string
	deadline := time.Now().Add(20 * time.Second)
	for len(rows) < 3 {
		require.True(t, time.Now().Before(deadline), "self-audit events did not arrive")
		st, err := ct.StartQuery(ctx, &cloudtrail.StartQueryInput{QueryStatement: aws.String(sql)})
		require.NoError(t, err)
		d := waitQuery(t, ct, st.QueryId)
		require.Equal(t, types.QueryStatusFinished, d.QueryStatus, aws.ToString(d.ErrorMessage))
		require.NotNil(t, d.QueryStatistics.CreationTime)
		rows = nil
		p := cloudtrail.NewGetQueryResultsPaginator(ct, &cloudtrail.GetQueryResultsInput{QueryId: st.QueryId, MaxQueryResults: aws.Int32(1)})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			require.NoError(t, err)
			rows = append(rows, page.QueryResultRows...)
		}
		time.Sleep(100 * time.Millisecond)
	}
	require.Equal(t, []map[string]string{{"eventName": "ListEventDataStores"}, {"accessKeyId": rootKey}, {"readOnly": "true"}, {"errorCode": ""}}, rows[0])

	errSQL := fmt.Sprintf("SELECT errorCode FROM %s WHERE eventName = 'GetEventDataStore' AND errorCode IS NOT NULL", id)
	deadline = time.Now().Add(20 * time.Second)
	for {
		st, err := ct.StartQuery(ctx, &cloudtrail.StartQueryInput{QueryStatement: aws.String(errSQL)})
		require.NoError(t, err)
		waitQuery(t, ct, st.QueryId)
		res, err := ct.GetQueryResults(ctx, &cloudtrail.GetQueryResultsInput{QueryId: st.QueryId})
		require.NoError(t, err)
		if len(res.QueryResultRows) > 0 {
			require.Equal(t, "EventDataStoreNotFoundException", res.QueryResultRows[0][0]["errorCode"])
			break
		}
		require.True(t, time.Now().Before(deadline))
		time.Sleep(100 * time.Millisecond)
	}

	lq, err := ct.ListQueries(ctx, &cloudtrail.ListQueriesInput{EventDataStore: aws.String(id)})
	require.NoError(t, err)
	require.NotEmpty(t, lq.Queries)

	_, err = ct.StartQuery(ctx, &cloudtrail.StartQueryInput{QueryStatement: aws.String("DELETE FROM " + id)})
	requireCode(t, err, "InvalidQueryStatementException")
	_, err = ct.StartQuery(ctx, &cloudtrail.StartQueryInput{QueryStatement: aws.String("SELECT * FROM nosuchstore")})
	require.Error(t, err)
	_, err = ct.DescribeQuery(ctx, &cloudtrail.DescribeQueryInput{QueryId: aws.String("00000000-0000-0000-0000-000000000000")})
	requireCode(t, err, "QueryIdNotFoundException")
	_, err = ct.CancelQuery(ctx, &cloudtrail.CancelQueryInput{QueryId: lq.Queries[0].QueryId})
	requireCode(t, err, "InactiveQueryException")
	_, err = ct.GetQueryResults(ctx, &cloudtrail.GetQueryResultsInput{QueryId: lq.Queries[0].QueryId, NextToken: aws.String("not-a-token")})
	requireCode(t, err, "InvalidNextTokenException")
}

func TestChannelsAndPutAuditEvents(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	ct := e.root()
	store, err := ct.CreateEventDataStore(ctx, &cloudtrail.CreateEventDataStoreInput{
		Name: aws.String("external"),
		AdvancedEventSelectors: []types.AdvancedEventSelector{{FieldSelectors: []types.AdvancedFieldSelector{
			{Field: aws.String("eventCategory"), Equals: []string{"ActivityAuditLog"}},
		}}},
	})
	require.NoError(t, err)
	ch, err := ct.CreateChannel(ctx, &cloudtrail.CreateChannelInput{
		Name: aws.String("my-app"), Source: aws.String("Custom"),
		Destinations: []types.Destination{{Type: types.DestinationTypeEventDataStore, Location: store.EventDataStoreArn}},
		Tags:         []types.Tag{{Key: aws.String("owner"), Value: aws.String("me")}},
	})
	require.NoError(t, err)
	chARN := aws.ToString(ch.ChannelArn)
	require.Len(t, ch.Tags, 1)
	got, err := ct.GetChannel(ctx, &cloudtrail.GetChannelInput{Channel: ch.ChannelArn})
	require.NoError(t, err)
	require.Equal(t, "my-app", aws.ToString(got.Name))
	lc, err := ct.ListChannels(ctx, &cloudtrail.ListChannelsInput{})
	require.NoError(t, err)
	require.Len(t, lc.Channels, 1)
	lt, err := ct.ListTags(ctx, &cloudtrail.ListTagsInput{ResourceIdList: []string{chARN}})
	require.NoError(t, err)
	require.Len(t, lt.ResourceTagList[0].TagsList, 1)
	_, err = ct.GetChannel(ctx, &cloudtrail.GetChannelInput{Channel: aws.String("arn:aws:cloudtrail:us-east-1:123456789012:channel/00000000-0000-0000-0000-000000000000")})
	requireCode(t, err, "ChannelNotFoundException")
	_, err = ct.DeleteEventDataStore(ctx, &cloudtrail.DeleteEventDataStoreInput{EventDataStore: store.EventDataStoreArn})
	require.Error(t, err) // termination protection or a channel delivering to it

	data := `{"version":"1.0","userIdentity":{"type":"CustomUser","principalId":"alice"},"eventSource":"my-app","eventName":"Login","eventTime":"` +
		time.Now().UTC().Format(time.RFC3339) + `","UID":"u1","recipientAccountId":"123456789012"}`
	sum := sha256.Sum256([]byte(data))
	dc := e.data(rootKey, rootSecret)
	out, err := dc.PutAuditEvents(ctx, &cloudtraildata.PutAuditEventsInput{
		ChannelArn: aws.String(chARN),
		AuditEvents: []dtypes.AuditEvent{
			{Id: aws.String("ok1"), EventData: aws.String(data), EventDataChecksum: aws.String(base64.StdEncoding.EncodeToString(sum[:]))},
			{Id: aws.String("bad1"), EventData: aws.String(data), EventDataChecksum: aws.String("AAAA")},
		},
	})
	require.NoError(t, err)
	require.Len(t, out.Successful, 1)
	require.Equal(t, "ok1", aws.ToString(out.Successful[0].Id))
	require.Len(t, out.Failed, 1)
	require.Equal(t, "InvalidChecksum", aws.ToString(out.Failed[0].ErrorCode))

	_, err = dc.PutAuditEvents(ctx, &cloudtraildata.PutAuditEventsInput{
		ChannelArn:  aws.String("arn:aws:cloudtrail:us-east-1:123456789012:channel/00000000-0000-0000-0000-000000000000"),
		AuditEvents: []dtypes.AuditEvent{{Id: aws.String("x"), EventData: aws.String(data)}},
	})
	requireCode(t, err, "ChannelNotFound")

	up, err := ct.UpdateChannel(ctx, &cloudtrail.UpdateChannelInput{Channel: ch.ChannelArn, Name: aws.String("my-app-2")})
	require.NoError(t, err)
	require.Equal(t, "my-app-2", aws.ToString(up.Name))
	_, err = ct.DeleteChannel(ctx, &cloudtrail.DeleteChannelInput{Channel: ch.ChannelArn})
	require.NoError(t, err)
	_, err = ct.GetChannel(ctx, &cloudtrail.GetChannelInput{Channel: ch.ChannelArn})
	requireCode(t, err, "ChannelNotFoundException")
}
