package lake_test

import (
	"context"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/stretchr/testify/require"

	"github.com/auditlake/auditlake/lake"
)

func TestAuditEventSegmentsRoundTrip(t *testing.T) {
	ctx := context.Background()
	l, err := lake.Open(ctx, t.TempDir(), lake.Options{})
	require.NoError(t, err)
	defer l.Close()
	st, err := l.CreateStore(ctx, lake.CreateStoreInput{Name: "apps", AdvancedEventSelectors: []lake.AdvancedEventSelector{{
		FieldSelectors: []lake.AdvancedFieldSelector{{Field: lake.FieldEventCategory, Equals: []string{lake.CategoryActivityAuditLog}}},
	}}})
	require.NoError(t, err)
	require.Equal(t, lake.RowAuditEvent, lake.RowKindOf(st))
	ua := "agent"
	base := time.Date(2025, 1, 1, 23, 30, 0, 0, time.UTC)
	rows := []lake.AuditEvent{
		{EventID: "b", EventTime: base.Add(time.Hour), EventCategory: lake.CategoryActivityAuditLog, EventData: lake.AuditEventData{EventName: "B", UserAgent: &ua, RequestParameters: map[string]string{"k": "v"}}, EventJSON: "{}"},
		{EventID: "a", EventTime: base, EventCategory: lake.CategoryActivityAuditLog, EventData: lake.AuditEventData{EventName: "A", UserIdentity: lake.AuditUserIdentity{Details: map[string]string{"x": "y"}}}, Metadata: lake.AuditMetadata{ChannelARN: "arn:c"}, EventJSON: "{}"},
	}
	segs, err := lake.WriteRowDays(ctx, l, st.ID, "", lake.PartitionByDay(rows))
	require.NoError(t, err)
	require.Len(t, segs, 2, "one segment per UTC day")
	_, err = l.Commit(ctx, st.ID, lake.Change{Add: segs})
	require.NoError(t, err)
	paths, release, err := l.Segments(ctx, st.ID, time.Time{}, time.Time{})
	require.NoError(t, err)
	defer release()
	var got []lake.AuditEvent
	for _, p := range paths {
		r, err := parquet.ReadFile[lake.AuditEvent](p)
		require.NoError(t, err)
		got = append(got, r...)
	}
	require.Len(t, got, 2)
	require.Equal(t, "a", got[0].EventID)
	require.Equal(t, "arn:c", got[0].Metadata.ChannelARN)
	require.Equal(t, "y", got[0].EventData.UserIdentity.Details["x"])
	require.Equal(t, "agent", *got[1].EventData.UserAgent)

	empty, err := lake.EmptySegment(t.TempDir(), lake.RowAuditEvent)
	require.NoError(t, err)
	f, err := parquet.ReadFile[lake.AuditEvent](empty)
	require.NoError(t, err)
	require.Empty(t, f)
}
