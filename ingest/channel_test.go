package ingest_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/stretchr/testify/require"

	"github.com/auditlake/auditlake/ingest"
	"github.com/auditlake/auditlake/lake"
)

type channelEnv struct {
	l     *lake.Lake
	sink  *ingest.Sink
	ch    *ingest.Channels
	audit lake.StoreInfo
	mgmt  lake.StoreInfo
}

func newChannelEnv(t *testing.T) *channelEnv {
	t.Helper()
	ctx := context.Background()
	_, l := newSinkLake(t)
	s, err := ingest.OpenSink(ctx, l, ingest.SinkOptions{FlushAge: time.Hour})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close(ctx)) })
	e := &channelEnv{l: l, sink: s, ch: ingest.NewChannels(l, s, ingest.ChannelOptions{MaxChannels: 3})}
	e.audit, err = l.GetStore(ctx, "audit")
	require.NoError(t, err)
	e.mgmt, err = l.GetStore(ctx, "mgmt")
	require.NoError(t, err)
	return e
}

func (e *channelEnv) create(t *testing.T, name string) ingest.Channel {
	t.Helper()
	c, err := e.ch.Create(context.Background(), ingest.CreateChannelInput{
		Name: name, Source: ingest.SourceCustom,
		Destinations: []ingest.Destination{{Type: ingest.DestinationEventDataStore, Location: e.audit.ARN}},
	})
	require.NoError(t, err)
	return c
}

func TestChannelLifecycle(t *testing.T) {
	ctx := context.Background()
	e := newChannelEnv(t)
	c := e.create(t, "my-app")
	require.Regexp(t, `^arn:aws:cloudtrail:us-east-1:123456789012:channel/[0-9a-f-]{36}$`, c.ARN)
	require.Equal(t, []ingest.Destination{{Type: "EVENT_DATA_STORE", Location: e.audit.ARN}}, c.Destinations)

	for _, ref := range []string{c.ARN, c.ID(), strings.ToUpper(c.ID())} {
		got, err := e.ch.Get(ctx, ref)
		require.NoError(t, err, ref)
		require.Equal(t, "my-app", got.Name)
	}
	e.create(t, "second")
	e.create(t, "third")
	page, next, err := e.ch.List(ctx, 2, "")
	require.NoError(t, err)
	require.Len(t, page, 2)
	require.NotEmpty(t, next)
	rest, next2, err := e.ch.List(ctx, 2, next)
	require.NoError(t, err)
	require.Len(t, rest, 1)
	require.Empty(t, next2)
	_, _, err = e.ch.List(ctx, 2, "garbage!")
	require.ErrorIs(t, err, ingest.ErrInvalidNextToken)

	name := "renamed"
	up, err := e.ch.Update(ctx, c.ARN, ingest.UpdateChannelInput{Name: &name})
	require.NoError(t, err)
	require.Equal(t, "renamed", up.Name)
	other := "second"
	_, err = e.ch.Update(ctx, c.ARN, ingest.UpdateChannelInput{Name: &other})
	require.ErrorIs(t, err, ingest.ErrChannelExists)

	require.ErrorIs(t, e.ch.CheckStoreUnused(ctx, e.audit.ARN), ingest.ErrChannelExistsForEventDataStore)
	require.NoError(t, e.ch.CheckStoreUnused(ctx, e.mgmt.ARN))

	require.NoError(t, e.ch.Delete(ctx, c.ARN))
	_, err = e.ch.Get(ctx, c.ARN)
	require.ErrorIs(t, err, ingest.ErrChannelNotFound)
	require.ErrorIs(t, e.ch.Delete(ctx, c.ARN), ingest.ErrChannelNotFound)
}

func TestChannelCreateRefusesBadInput(t *testing.T) {
	ctx := context.Background()
	e := newChannelEnv(t)
	dest := []ingest.Destination{{Type: ingest.DestinationEventDataStore, Location: e.audit.ARN}}
	cases := []struct {
		name string
		in   ingest.CreateChannelInput
		want error
	}{
		{"short name", ingest.CreateChannelInput{Name: "ab", Source: "Custom", Destinations: dest}, lake.ErrInvalidParameter},
		{"bad name", ingest.CreateChannelInput{Name: "a b c", Source: "Custom", Destinations: dest}, lake.ErrInvalidParameter},
		{"bad source", ingest.CreateChannelInput{Name: "abc", Source: "", Destinations: dest}, ingest.ErrInvalidSource},
		{"no destinations", ingest.CreateChannelInput{Name: "abc", Source: "Custom"}, lake.ErrInvalidParameter},
		{"not an activity store", ingest.CreateChannelInput{Name: "abc", Source: "Custom", Destinations: []ingest.Destination{{Type: "EVENT_DATA_STORE", Location: e.mgmt.ARN}}}, ingest.ErrInvalidEventDataStoreCategory},
		{"missing store", ingest.CreateChannelInput{Name: "abc", Source: "Custom", Destinations: []ingest.Destination{{Type: "EVENT_DATA_STORE", Location: "arn:aws:cloudtrail:us-east-1:123456789012:eventdatastore/00000000-0000-0000-0000-000000000000"}}}, lake.ErrStoreNotFound},
		{"bad store arn", ingest.CreateChannelInput{Name: "abc", Source: "Custom", Destinations: []ingest.Destination{{Type: "EVENT_DATA_STORE", Location: "arn:aws:s3:::bucket"}}}, lake.ErrInvalidARN},
		{"aws service", ingest.CreateChannelInput{Name: "abc", Source: "Custom", Destinations: []ingest.Destination{{Type: "AWS_SERVICE", Location: "config.amazonaws.com"}}}, ingest.ErrUnsupportedOperation},
		{"duplicate destination", ingest.CreateChannelInput{Name: "abc", Source: "Custom", Destinations: append(dest, dest[0])}, lake.ErrInvalidParameter},
		{"too many tags", ingest.CreateChannelInput{Name: "abc", Source: "Custom", Destinations: dest, Tags: make([]lake.Tag, 201)}, lake.ErrInvalidParameter},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.ch.Create(ctx, tc.in)
			require.ErrorIs(t, err, tc.want)
		})
	}
	e.create(t, "abc")
	_, err := e.ch.Create(ctx, ingest.CreateChannelInput{Name: "abc", Source: "Custom", Destinations: dest})
	require.ErrorIs(t, err, ingest.ErrChannelExists)
	e.create(t, "abd")
	e.create(t, "abe")
	_, err = e.ch.Create(ctx, ingest.CreateChannelInput{Name: "abf", Source: "Partner Inc", Destinations: dest})
	require.ErrorIs(t, err, ingest.ErrChannelLimit)
	for _, ref := range []string{"arn:aws:s3:::x", "not a channel!"} {
		_, err = e.ch.Get(ctx, ref)
		require.ErrorIs(t, err, ingest.ErrChannelARNInvalid, ref)
	}
	_, err = e.ch.Get(ctx, "arn:aws:cloudtrail:eu-west-1:123456789012:channel/abc")
	require.ErrorIs(t, err, ingest.ErrChannelNotFound)
}

func eventData(uid string, mod func(m map[string]string)) string {
	fields := map[string]string{
		"version":            `"1.0"`,
		"userIdentity":       `{"type":"CustomUser","principalId":"alice","details":{"alternateId":"a@example.com","groups":["x","y"]}}`,
		"userAgent":          `"app/1.0"`,
		"eventSource":        `"myapp.example.com"`,
		"eventName":          `"Login"`,
		"eventTime":          `"2025-03-01T10:00:00Z"`,
		"UID":                fmt.Sprintf("%q", uid),
		"requestParameters":  `{"user":"alice","n":3,"nested":{"a":1}}`,
		"recipientAccountId": `"123456789012"`,
		"sourceIPAddress":    `"192.0.2.1"`,
	}
	if mod != nil {
		mod(fields)
	}
	var parts []string
	for k, v := range fields {
		if v != "" {
			parts = append(parts, fmt.Sprintf("%q:%s", k, v))
		}
	}
	return "{" + strings.Join(parts, ",") + "}"
}

func TestPutAuditEventsTakesValidEventsAndReportsTheRest(t *testing.T) {
	ctx := context.Background()
	e := newChannelEnv(t)
	c := e.create(t, "app")
	good := eventData("u1", nil)
	sum := sha256.Sum256([]byte(good))
	in := []ingest.AuditEventInput{
		{ID: "ok-1", EventData: good, EventDataChecksum: base64.StdEncoding.EncodeToString(sum[:])},
		{ID: "ok-2", EventData: eventData("u2", nil), EventDataChecksum: ""},
		{ID: "ok-3", EventData: eventData("u3", nil)},
		{ID: "bad-sum", EventData: good, EventDataChecksum: hex.EncodeToString(make([]byte, 32))},
		{ID: "no-name", EventData: eventData("u4", func(m map[string]string) { m["eventName"] = "" })},
		{ID: "long-type", EventData: eventData("u5", func(m map[string]string) {
			m["userIdentity"] = fmt.Sprintf(`{"type":%q,"principalId":"p"}`, strings.Repeat("t", 129))
		})},
		{ID: "wrong-account", EventData: eventData("u6", func(m map[string]string) { m["recipientAccountId"] = `"999999999999"` })},
		{ID: "not-json", EventData: "{oops"},
		{ID: "bad-time", EventData: eventData("u7", func(m map[string]string) { m["eventTime"] = `"yesterday"` })},
		{ID: "big-params", EventData: eventData("u8", func(m map[string]string) {
			m["requestParameters"] = fmt.Sprintf(`{"x":%q}`, strings.Repeat("p", 101<<10))
		})},
	}
	ok, failed, err := e.ch.PutAuditEvents(ctx, c.ARN, "", in)
	require.NoError(t, err)
	require.Len(t, ok, 3)
	codes := map[string]string{}
	for _, f := range failed {
		codes[f.ID] = f.ErrorCode
		require.NotEmpty(t, f.ErrorMessage)
	}
	require.Equal(t, map[string]string{
		"bad-sum": "InvalidChecksum", "no-name": "FieldNotFound", "long-type": "FieldTooLong",
		"wrong-account": "InvalidRecipient", "not-json": "InvalidData", "bad-time": "InvalidData", "big-params": "FieldTooLong",
	}, codes)

	require.NoError(t, e.sink.Flush(ctx))
	paths, release, err := e.l.Segments(ctx, e.audit.ID, time.Time{}, time.Time{})
	require.NoError(t, err)
	defer release()
	var rows []lake.AuditEvent
	for _, p := range paths {
		r, err := parquet.ReadFile[lake.AuditEvent](p)
		require.NoError(t, err)
		rows = append(rows, r...)
	}
	require.Len(t, rows, 3)
	byID := map[string]lake.AuditEvent{}
	for _, r := range rows {
		byID[r.EventID] = r
	}
	r := byID[ok[0].EventID]
	require.Equal(t, "ActivityAuditLog", r.EventCategory)
	require.Equal(t, c.ARN, r.Metadata.ChannelARN)
	require.Equal(t, "Login", r.EventData.EventName)
	require.Equal(t, "u1", r.EventData.UID)
	require.Equal(t, "a@example.com", r.EventData.UserIdentity.Details["alternateId"])
	require.Equal(t, `["x","y"]`, r.EventData.UserIdentity.Details["groups"])
	require.Equal(t, "3", r.EventData.RequestParameters["n"])
	require.Equal(t, time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC), r.EventTime.UTC())
	require.Contains(t, r.EventJSON, good)

	info, err := e.ch.Get(ctx, c.ARN)
	require.NoError(t, err)
	require.NotNil(t, info.IngestionStatus.LatestIngestionSuccessTime)
	require.Equal(t, ok[2].EventID, info.IngestionStatus.LatestIngestionSuccessEventID)
	require.Equal(t, "FieldTooLong", info.IngestionStatus.LatestIngestionErrorCode)
}

func TestPutAuditEventsRefusesBadRequests(t *testing.T) {
	ctx := context.Background()
	e := newChannelEnv(t)
	c := e.create(t, "app")
	one := []ingest.AuditEventInput{{ID: "a", EventData: eventData("u", nil)}}
	many := make([]ingest.AuditEventInput, 101)
	for i := range many {
		many[i] = ingest.AuditEventInput{ID: fmt.Sprint("e", i), EventData: eventData("u", nil)}
	}
	huge := []ingest.AuditEventInput{}
	for i := range 12 {
		huge = append(huge, ingest.AuditEventInput{ID: fmt.Sprint("h", i), EventData: strings.Repeat(" ", 100<<10) + eventData("u", nil)})
	}
	cases := []struct {
		name, channel, externalID string
		events                    []ingest.AuditEventInput
		want                      error
	}{
		{"no events", c.ARN, "", nil, ingest.ErrInvalidAuditEvents},
		{"101 events", c.ARN, "", many, ingest.ErrInvalidAuditEvents},
		{"over 1 MB", c.ARN, "", huge, ingest.ErrInvalidAuditEvents},
		{"bad id", c.ARN, "", []ingest.AuditEventInput{{ID: "a b", EventData: "{}"}}, ingest.ErrInvalidAuditEvents},
		{"duplicate id", c.ARN, "", []ingest.AuditEventInput{one[0], one[0]}, ingest.ErrDuplicatedAuditEventID},
		{"bad external id", c.ARN, "x", one, ingest.ErrInvalidAuditEvents},
		{"unknown channel", "arn:aws:cloudtrail:us-east-1:123456789012:channel/0000", "", one, ingest.ErrChannelNotFound},
		{"bad channel arn", "arn:aws:sqs:x", "", one, ingest.ErrChannelARNInvalid},
		{"other account", "arn:aws:cloudtrail:us-east-1:210987654321:channel/" + c.ID(), "", one, ingest.ErrChannelInsufficientPermission},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := e.ch.PutAuditEvents(ctx, tc.channel, tc.externalID, tc.events)
			require.ErrorIs(t, err, tc.want)
		})
	}
	ok, failed, err := e.ch.PutAuditEvents(ctx, c.ID(), "any-external-id", one)
	require.NoError(t, err)
	require.Len(t, ok, 1)
	require.Empty(t, failed)
}
