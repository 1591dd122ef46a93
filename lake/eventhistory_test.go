package lake_test

import (
	"context"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/stretchr/testify/require"

	"github.com/auditlake/auditlake/lake"
)

// TestHistorySegmentsKeepLookupColumns: a segment of the event history
// keeps the columns LookupEvents reads and the whole record, and leaves the
// rest NULL; a store's segment of the same event keeps everything.
func TestHistorySegmentsKeepLookupColumns(t *testing.T) {
	ctx := context.Background()
	l := openLake(t, t.TempDir(), lake.Options{})
	hist, err := l.History(ctx)
	require.NoError(t, err)
	st := newStore(t, l, "full-store")

	s := func(v string) *string { return &v }
	yes := true
	id, req := "0f2a5a7e-1111-4c2b-9d9e-123456789abc", "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
	ev := lake.Event{
		EventVersion: s("1.09"),
		UserIdentity: &lake.UserIdentity{Type: s("AssumedRole"), PrincipalID: s("AROA:bob"), ARN: s("arn:aws:sts::1:assumed-role/admin/bob"),
			AccountID: s("1"), AccessKeyID: s("ASIA1"), UserName: s("bob"), InvokedBy: s("svc"),
			SessionContext: &lake.SessionContext{SessionIssuer: &lake.SessionIssuer{UserName: s("admin")}}},
		EventTime:   time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC),
		EventSource: s("iam.amazonaws.com"), EventName: s("CreateUser"), AWSRegion: s("us-east-1"),
		SourceIPAddress: s("192.0.2.1"), UserAgent: s("aws-cli"), ErrorCode: s("AccessDenied"), ErrorMessage: s("no"),
		RequestParameters: map[string]string{"userName": "mallory"}, ResponseElements: map[string]string{"user": "{}"},
		RequestID: &req, EventID: &id, ReadOnly: &yes,
		Resources: []lake.Resource{{Type: s("AWS::IAM::User"), ARN: s("arn:aws:iam::1:user/mallory")}},
		EventType: s("AwsApiCall"), ManagementEvent: &yes, RecipientAccountID: s("1"), EventCategory: s("Management"),
		TLSDetails: &lake.TLSDetails{TLSVersion: s("TLSv1.3")},
		EventJSON:  `{"eventID":"` + id + `","requestID":"` + req + `","eventName":"CreateUser"}`,
	}
	read := func(storeID string) lake.Event {
		segs, err := l.WriteSegments(ctx, storeID, "", []lake.Event{ev})
		require.NoError(t, err)
		_, err = l.Commit(ctx, storeID, lake.Change{Add: segs})
		require.NoError(t, err)
		paths, release, err := l.Segments(ctx, storeID, time.Time{}, time.Time{})
		require.NoError(t, err)
		defer release()
		require.Len(t, paths, 1)
		rows, err := parquet.ReadFile[lake.Event](paths[0])
		require.NoError(t, err)
		require.Len(t, rows, 1)
		rows[0].RestoreJSON()
		return rows[0]
	}

	full := read(st.ID)
	require.Equal(t, ev.RequestParameters, full.RequestParameters)
	require.Equal(t, ev.UserIdentity.SessionContext, full.UserIdentity.SessionContext)
	require.Equal(t, ev.TLSDetails, full.TLSDetails)

	got := read(hist.ID)
	require.Equal(t, ev.EventJSON, got.EventJSON, "the whole record")
	want := lake.Event{
		UserIdentity: &lake.UserIdentity{Type: ev.UserIdentity.Type, PrincipalID: ev.UserIdentity.PrincipalID, ARN: ev.UserIdentity.ARN,
			AccessKeyID: ev.UserIdentity.AccessKeyID, UserName: ev.UserIdentity.UserName, InvokedBy: ev.UserIdentity.InvokedBy},
		EventTime: ev.EventTime, EventSource: ev.EventSource, EventName: ev.EventName, AWSRegion: ev.AWSRegion,
		SourceIPAddress: ev.SourceIPAddress, ErrorCode: ev.ErrorCode, RequestID: ev.RequestID, EventID: ev.EventID,
		ReadOnly: ev.ReadOnly, Resources: ev.Resources, EventType: ev.EventType, EventCategory: ev.EventCategory,
		EventJSON: ev.EventJSON,
	}
	got.EventTime = got.EventTime.UTC()
	require.Equal(t, want, got, "the lookup columns, and NULL for the others")
}
