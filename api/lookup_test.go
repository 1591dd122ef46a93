package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/stretchr/testify/require"

	"github.com/auditlake/auditlake/ingest"
	"github.com/auditlake/auditlake/lake"
)

// TestLookupEventsSDK drives LookupEvents with aws-sdk-go-v2: events from
// trail files and the server's own self-audit records (through the
// write-ahead log), paging with the SDK's paginator, and the errors.
func TestLookupEventsSDK(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	ct := e.root()
	st, err := ct.CreateEventDataStore(ctx, &cloudtrail.CreateEventDataStoreInput{Name: aws.String("trail")})
	require.NoError(t, err)

	now := time.Now().UTC().Truncate(time.Second)
	var recs []map[string]any
	for i := range 60 {
		recs = append(recs, map[string]any{
			"eventVersion": "1.09", "eventID": fmt.Sprintf("ev-%02d", i), "eventName": "ConsoleLogin",
			"eventTime": now.Add(-time.Duration(i+1) * time.Minute).Format(time.RFC3339), "eventSource": "signin.amazonaws.com",
			"eventType": "AwsConsoleSignIn", "managementEvent": true, "eventCategory": "Management", "readOnly": false,
			"awsRegion": "us-east-1", "userIdentity": map[string]any{"type": "IAMUser", "userName": "alice", "accessKeyId": "AKIAALICE"},
			"resources": []any{map[string]any{"type": "AWS::IAM::User", "ARN": "arn:aws:iam::123456789012:user/alice"}},
		})
	}
	data, err := json.Marshal(map[string]any{"Records": recs})
	require.NoError(t, err)
	file := filepath.Join(t.TempDir(), "trail.json")
	require.NoError(t, os.WriteFile(file, data, 0o644))
	_, err = ingest.Paths(ctx, e.l, *st.EventDataStoreArn, []string{file}, ingest.Options{}, nil)
	require.NoError(t, err)

	in := &cloudtrail.LookupEventsInput{LookupAttributes: []types.LookupAttribute{{AttributeKey: types.LookupAttributeKeyEventName, AttributeValue: aws.String("ConsoleLogin")}}}
	var got []types.Event
	pages := 0
	for p := cloudtrail.NewLookupEventsPaginator(ct, in); p.HasMorePages(); {
		out, err := p.NextPage(ctx)
		require.NoError(t, err)
		pages++
		got = append(got, out.Events...)
	}
	require.Equal(t, 2, pages)
	require.Len(t, got, 60)
	first := got[0]
	require.Equal(t, "ev-00", *first.EventId)
	require.Equal(t, "alice", *first.Username)
	require.Equal(t, "false", *first.ReadOnly)
	require.Equal(t, "AKIAALICE", *first.AccessKeyId)
	require.Equal(t, "signin.amazonaws.com", *first.EventSource)
	require.Equal(t, now.Add(-time.Minute), first.EventTime.UTC())
	require.Equal(t, []types.Resource{{ResourceType: aws.String("AWS::IAM::User"), ResourceName: aws.String("alice")}}, first.Resources)
	require.Contains(t, *first.CloudTrailEvent, `"eventID":"ev-00"`)

	// The server's own calls are in the event history once the self-audit
	// log flushes: CreateEventDataStore by the root key.
	require.Eventually(t, func() bool {
		out, err := ct.LookupEvents(ctx, &cloudtrail.LookupEventsInput{LookupAttributes: []types.LookupAttribute{
			{AttributeKey: types.LookupAttributeKeyEventName, AttributeValue: aws.String("CreateEventDataStore")}}})
		require.NoError(t, err)
		return len(out.Events) == 1 && *out.Events[0].Username == "root" && *out.Events[0].EventSource == "cloudtrail.amazonaws.com"
	}, 10*time.Second, 50*time.Millisecond)

	// The history store stays hidden: not listed, not found, not queryable.
	list, err := ct.ListEventDataStores(ctx, &cloudtrail.ListEventDataStoresInput{})
	require.NoError(t, err)
	require.Len(t, list.EventDataStores, 1)
	hidden := aws.String(lake.HistoryStoreID)
	_, err = ct.GetEventDataStore(ctx, &cloudtrail.GetEventDataStoreInput{EventDataStore: hidden})
	requireCode(t, err, "EventDataStoreNotFoundException")
	_, err = ct.DeleteEventDataStore(ctx, &cloudtrail.DeleteEventDataStoreInput{EventDataStore: hidden})
	requireCode(t, err, "EventDataStoreNotFoundException")
	_, err = ct.StopEventDataStoreIngestion(ctx, &cloudtrail.StopEventDataStoreIngestionInput{EventDataStore: hidden})
	requireCode(t, err, "EventDataStoreNotFoundException")
	_, err = ct.StartQuery(ctx, &cloudtrail.StartQueryInput{QueryStatement: aws.String("SELECT eventID FROM " + lake.HistoryStoreID)})
	requireCode(t, err, "EventDataStoreNotFoundException")

	for _, c := range []struct {
		name string
		in   cloudtrail.LookupEventsInput
		code string
	}{
		{"two attributes", cloudtrail.LookupEventsInput{LookupAttributes: []types.LookupAttribute{
			{AttributeKey: types.LookupAttributeKeyEventName, AttributeValue: aws.String("a")},
			{AttributeKey: types.LookupAttributeKeyUsername, AttributeValue: aws.String("b")}}}, "InvalidLookupAttributesException"},
		{"bad key", cloudtrail.LookupEventsInput{LookupAttributes: []types.LookupAttribute{
			{AttributeKey: "Region", AttributeValue: aws.String("a")}}}, "InvalidLookupAttributesException"},
		{"time range", cloudtrail.LookupEventsInput{StartTime: aws.Time(now), EndTime: aws.Time(now.Add(-time.Hour))}, "InvalidTimeRangeException"},
		{"max results", cloudtrail.LookupEventsInput{MaxResults: aws.Int32(51)}, "InvalidMaxResultsException"},
		{"zero max results", cloudtrail.LookupEventsInput{MaxResults: aws.Int32(0)}, "InvalidMaxResultsException"},
		{"token", cloudtrail.LookupEventsInput{NextToken: aws.String("bm90LWEtdG9rZW4")}, "InvalidNextTokenException"},
		{"category", cloudtrail.LookupEventsInput{EventCategory: "management"}, "InvalidEventCategoryException"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := ct.LookupEvents(ctx, &c.in)
			requireCode(t, err, c.code)
		})
	}

	// A key allowed only other actions is denied LookupEvents.
	limited := e.user(t, "reader", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"cloudtrail:List*","Resource":"*"}]}`)
	_, err = limited.LookupEvents(ctx, &cloudtrail.LookupEventsInput{})
	requireCode(t, err, "AccessDeniedException")
}
