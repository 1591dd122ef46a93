package lake_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/auditlake/auditlake/lake"
)

// TestCompactKeepsNullMaps merges a day whose rows, in the merged file's
// order, have a NULL responseElements everywhere but in the second row: the
// null pattern that parquet-go v0.32.0 writes wrongly when one Write call
// takes the rows (the NULL maps after the second come back as empty maps,
// `{}`). The merge must keep every NULL map NULL; before it wrote its rows
// in small enough calls, its read-back check refused such days, so a
// streaming store's day could never be compacted.
func TestCompactKeepsNullMaps(t *testing.T) {
	ctx := context.Background()
	clk := &clock{t: time.Date(2027, 5, 2, 9, 0, 0, 0, time.UTC)}
	l := openLake(t, t.TempDir(), lake.Options{Now: clk.now})
	s := newStore(t, l, "stream")
	day := time.Date(2027, 5, 1, 0, 0, 0, 0, time.UTC)
	// One source and name, so that clustering keeps eventTime order.
	src, name := "dynamodb.amazonaws.com", "PutItem"
	events := make([]lake.Event, 130)
	for i := range events {
		id := fmt.Sprintf("ev-%04d", i)
		events[i] = lake.Event{
			EventTime: day.Add(time.Duration(i) * time.Second), EventSource: &src, EventName: &name, EventID: &id,
			EventJSON: fmt.Sprintf(`{"eventID":%q}`, id),
		}
	}
	events[1].ResponseElements = map[string]string{"consumedCapacity": "1"}
	events[1].AdditionalEventData = map[string]string{}
	// Two flushes whose own files are written correctly: two rows, then
	// only NULL maps.
	group := commitStream(t, l, s.ID, [][]lake.Event{events[:2], events[2:]}, []string{"wal:1", "wal:2"})

	merged, err := l.Compact(ctx, s.ID, group)
	require.NoError(t, err)
	rows := segmentRows(t, l, merged)
	require.Len(t, rows, len(events))
	for i, r := range rows {
		want := events[i]
		require.Equal(t, *want.EventID, *r.EventID)
		require.Equal(t, want.ResponseElements == nil, r.ResponseElements == nil, "responseElements of %s", *r.EventID)
		require.Equal(t, want.AdditionalEventData == nil, r.AdditionalEventData == nil, "additionalEventData of %s", *r.EventID)
		require.Nil(t, r.RequestParameters, "requestParameters of %s", *r.EventID)
	}
	require.Equal(t, events[1].ResponseElements, rows[1].ResponseElements)
}
