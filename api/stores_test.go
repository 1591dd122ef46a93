package api_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/stretchr/testify/require"
)

func TestEventDataStores(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	ct := e.root()

	created, err := ct.CreateEventDataStore(ctx, &cloudtrail.CreateEventDataStoreInput{
		Name: aws.String("audit-main"), RetentionPeriod: aws.Int32(90),
		TagsList: []types.Tag{{Key: aws.String("team"), Value: aws.String("sec")}},
	})
	require.NoError(t, err)
	arn := aws.ToString(created.EventDataStoreArn)
	id := arn[strings.LastIndex(arn, "/")+1:]
	require.Equal(t, types.EventDataStoreStatusEnabled, created.Status)
	require.EqualValues(t, 90, aws.ToInt32(created.RetentionPeriod))
	require.True(t, aws.ToBool(created.TerminationProtectionEnabled))
	require.NotNil(t, created.CreatedTimestamp)
	require.WithinDuration(t, *created.CreatedTimestamp, *created.UpdatedTimestamp, 0)
	require.Len(t, created.TagsList, 1)
	require.NotEmpty(t, created.AdvancedEventSelectors)

	for _, ref := range []string{arn, id, strings.ToUpper(id)} {
		got, err := ct.GetEventDataStore(ctx, &cloudtrail.GetEventDataStoreInput{EventDataStore: aws.String(ref)})
		require.NoError(t, err, ref)
		require.Equal(t, "audit-main", aws.ToString(got.Name))
	}
	_, err = ct.GetEventDataStore(ctx, &cloudtrail.GetEventDataStoreInput{EventDataStore: aws.String("audit-main")})
	requireCode(t, err, "EventDataStoreNotFoundException") // names do not address stores in the API
	_, err = ct.GetEventDataStore(ctx, &cloudtrail.GetEventDataStoreInput{EventDataStore: aws.String("arn:aws:cloudtrail:us-east-1:999999999999:eventdatastore/" + id)})
	requireCode(t, err, "EventDataStoreNotFoundException")

	_, err = ct.CreateEventDataStore(ctx, &cloudtrail.CreateEventDataStoreInput{Name: aws.String("audit-main")})
	requireCode(t, err, "EventDataStoreAlreadyExistsException")
	_, err = ct.CreateEventDataStore(ctx, &cloudtrail.CreateEventDataStoreInput{Name: aws.String("ab")})
	ae := requireCode(t, err, "InvalidParameterException")
	require.Contains(t, ae.ErrorMessage(), "Member must have length greater than or equal to 3")
	_, err = ct.CreateEventDataStore(ctx, &cloudtrail.CreateEventDataStoreInput{Name: aws.String("short-retention"), RetentionPeriod: aws.Int32(3)})
	requireCode(t, err, "InvalidParameterException")

	for _, name := range []string{"second", "third"} {
		_, err := ct.CreateEventDataStore(ctx, &cloudtrail.CreateEventDataStoreInput{Name: aws.String(name), StartIngestion: aws.Bool(false)})
		require.NoError(t, err)
	}
	var names []string
	p := cloudtrail.NewListEventDataStoresPaginator(ct, &cloudtrail.ListEventDataStoresInput{MaxResults: aws.Int32(2)})
	pages := 0
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		require.NoError(t, err)
		pages++
		for _, s := range page.EventDataStores {
			names = append(names, aws.ToString(s.Name))
		}
	}
	require.Equal(t, []string{"audit-main", "second", "third"}, names)
	require.Equal(t, 2, pages)
	_, err = ct.ListEventDataStores(ctx, &cloudtrail.ListEventDataStoresInput{NextToken: aws.String("garbage-token")})
	requireCode(t, err, "InvalidNextTokenException")
	_, err = ct.ListEventDataStores(ctx, &cloudtrail.ListEventDataStoresInput{MaxResults: aws.Int32(5000)})
	requireCode(t, err, "InvalidMaxResultsException")

	up, err := ct.UpdateEventDataStore(ctx, &cloudtrail.UpdateEventDataStoreInput{EventDataStore: aws.String(id), RetentionPeriod: aws.Int32(120), TerminationProtectionEnabled: aws.Bool(false)})
	require.NoError(t, err)
	require.EqualValues(t, 120, aws.ToInt32(up.RetentionPeriod))

	_, err = ct.StartEventDataStoreIngestion(ctx, &cloudtrail.StartEventDataStoreIngestionInput{EventDataStore: aws.String(arn)})
	requireCode(t, err, "InvalidEventDataStoreStatusException")
	_, err = ct.StopEventDataStoreIngestion(ctx, &cloudtrail.StopEventDataStoreIngestionInput{EventDataStore: aws.String(arn)})
	require.NoError(t, err)
	got, err := ct.GetEventDataStore(ctx, &cloudtrail.GetEventDataStoreInput{EventDataStore: aws.String(arn)})
	require.NoError(t, err)
	require.Equal(t, types.EventDataStoreStatusStoppedIngestion, got.Status)
	_, err = ct.StartEventDataStoreIngestion(ctx, &cloudtrail.StartEventDataStoreIngestionInput{EventDataStore: aws.String(arn)})
	require.NoError(t, err)

	_, err = ct.DeleteEventDataStore(ctx, &cloudtrail.DeleteEventDataStoreInput{EventDataStore: aws.String("second")})
	requireCode(t, err, "EventDataStoreNotFoundException")
	_, err = ct.DeleteEventDataStore(ctx, &cloudtrail.DeleteEventDataStoreInput{EventDataStore: aws.String(arn)})
	require.NoError(t, err)
	_, err = ct.DeleteEventDataStore(ctx, &cloudtrail.DeleteEventDataStoreInput{EventDataStore: aws.String(arn)})
	requireCode(t, err, "InactiveEventDataStoreException")
	rest, err := ct.RestoreEventDataStore(ctx, &cloudtrail.RestoreEventDataStoreInput{EventDataStore: aws.String(id)})
	require.NoError(t, err)
	require.Equal(t, types.EventDataStoreStatusEnabled, rest.Status)
	_, err = ct.RestoreEventDataStore(ctx, &cloudtrail.RestoreEventDataStoreInput{EventDataStore: aws.String(id)})
	requireCode(t, err, "InvalidEventDataStoreStatusException")

	var third string
	list, err := ct.ListEventDataStores(ctx, &cloudtrail.ListEventDataStoresInput{})
	require.NoError(t, err)
	for _, s := range list.EventDataStores {
		if aws.ToString(s.Name) == "third" {
			third = aws.ToString(s.EventDataStoreArn)
		}
	}
	_, err = ct.DeleteEventDataStore(ctx, &cloudtrail.DeleteEventDataStoreInput{EventDataStore: aws.String(third)})
	requireCode(t, err, "EventDataStoreTerminationProtectedException")
}

func TestTags(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	ct := e.root()
	created, err := ct.CreateEventDataStore(ctx, &cloudtrail.CreateEventDataStoreInput{
		Name: aws.String("tagged"), TagsList: []types.Tag{{Key: aws.String("a"), Value: aws.String("1")}},
	})
	require.NoError(t, err)
	arn := created.EventDataStoreArn

	_, err = ct.AddTags(ctx, &cloudtrail.AddTagsInput{ResourceId: arn, TagsList: []types.Tag{{Key: aws.String("b"), Value: aws.String("2")}, {Key: aws.String("a"), Value: aws.String("3")}}})
	require.NoError(t, err)
	lt, err := ct.ListTags(ctx, &cloudtrail.ListTagsInput{ResourceIdList: []string{*arn}})
	require.NoError(t, err)
	require.Len(t, lt.ResourceTagList, 1)
	tags := map[string]string{}
	for _, tg := range lt.ResourceTagList[0].TagsList {
		tags[aws.ToString(tg.Key)] = aws.ToString(tg.Value)
	}
	require.Equal(t, map[string]string{"a": "3", "b": "2"}, tags)

	_, err = ct.RemoveTags(ctx, &cloudtrail.RemoveTagsInput{ResourceId: arn, TagsList: []types.Tag{{Key: aws.String("a")}}})
	require.NoError(t, err)
	lt, err = ct.ListTags(ctx, &cloudtrail.ListTagsInput{ResourceIdList: []string{*arn}})
	require.NoError(t, err)
	require.Len(t, lt.ResourceTagList[0].TagsList, 1)

	many := make([]types.Tag, 50)
	for i := range many {
		many[i] = types.Tag{Key: aws.String("k" + strings.Repeat("x", i)), Value: aws.String("v")}
	}
	_, err = ct.AddTags(ctx, &cloudtrail.AddTagsInput{ResourceId: arn, TagsList: many})
	requireCode(t, err, "TagsLimitExceededException")
	_, err = ct.AddTags(ctx, &cloudtrail.AddTagsInput{ResourceId: arn, TagsList: []types.Tag{{Key: aws.String(strings.Repeat("k", 129))}}})
	requireCode(t, err, "InvalidTagParameterException")
	_, err = ct.AddTags(ctx, &cloudtrail.AddTagsInput{ResourceId: arn, TagsList: []types.Tag{{Key: aws.String("aws:reserved")}}})
	requireCode(t, err, "InvalidTagParameterException")
	_, err = ct.AddTags(ctx, &cloudtrail.AddTagsInput{ResourceId: aws.String("arn:aws:cloudtrail:us-east-1:123456789012:eventdatastore/00000000-0000-0000-0000-000000000000"), TagsList: []types.Tag{{Key: aws.String("x")}}})
	requireCode(t, err, "EventDataStoreNotFoundException")
	_, err = ct.AddTags(ctx, &cloudtrail.AddTagsInput{ResourceId: aws.String("arn:aws:cloudtrail:us-east-1:123456789012:trail/t"), TagsList: []types.Tag{{Key: aws.String("x")}}})
	requireCode(t, err, "ResourceTypeNotSupportedException")
	_, err = ct.AddTags(ctx, &cloudtrail.AddTagsInput{ResourceId: aws.String("not-an-arn"), TagsList: []types.Tag{{Key: aws.String("x")}}})
	requireCode(t, err, "CloudTrailARNInvalidException")
}
