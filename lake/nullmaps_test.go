package lake_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/auditlake/auditlake/lake"
)

// TestSegmentsKeepNullMaps writes segments whose map columns are NULL and
// not NULL in random patterns, dense and sparse (parquet-go v0.32.0 writes
// some NULL maps as empty maps when one Write call takes them: nullmaps.go),
// and reads every map back as it was: NULL stays NULL, an empty map stays
// an empty map.
func TestSegmentsKeepNullMaps(t *testing.T) {
	ctx := context.Background()
	l := openLake(t, t.TempDir(), lake.Options{})
	s := newStore(t, l, "null-maps")
	day := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	src, name := "dynamodb.amazonaws.com", "PutItem" // one cluster: rows stay in time order
	rng := rand.New(rand.NewPCG(7, 11))
	for round := range 40 {
		n := 3 + rng.IntN(700)
		density := []int{2, 10, 50, 90}[round%4] // percent of rows with a map
		events := make([]lake.Event, n)
		for i := range events {
			id := fmt.Sprintf("r%02d-%04d", round, i)
			e := lake.Event{EventTime: day.AddDate(0, 0, round).Add(time.Duration(i) * time.Second), EventSource: &src, EventName: &name, EventID: &id, EventJSON: "{}"}
			m := func() map[string]string {
				switch p := rng.IntN(100); {
				case p < density/4:
					return map[string]string{}
				case p < density:
					return map[string]string{"k": id}
				}
				return nil
			}
			e.RequestParameters, e.ResponseElements, e.InsightDetails = m(), m(), m()
			events[i] = e
		}
		segs, err := l.WriteSegments(ctx, s.ID, "", events)
		require.NoError(t, err)
		require.Len(t, segs, 1)
		rows := segmentRows(t, l, segs[0])
		require.Len(t, rows, n)
		for i, r := range rows {
			want := events[i]
			require.Equal(t, *want.EventID, *r.EventID)
			for _, c := range []struct {
				col       string
				want, got map[string]string
			}{{"requestParameters", want.RequestParameters, r.RequestParameters}, {"responseElements", want.ResponseElements, r.ResponseElements}, {"insightDetails", want.InsightDetails, r.InsightDetails}} {
				require.Equal(t, c.want == nil, c.got == nil, "round %d (%d rows, %d%%): %s of row %d", round, n, density, c.col, i)
				if c.want != nil {
					require.Equal(t, len(c.want), len(c.got), "round %d: %s of row %d", round, c.col, i)
				}
			}
		}
	}
}

// TestSegmentsKeepEventJSON writes a segment of many Write chunks whose
// eventJson texts differ in length, hold IDs to cut and non-ASCII text, and
// reads every text back byte for byte: the writer reuses the memory of the
// cut texts from one chunk to the next (cutArena), so a text the Parquet
// writer had not copied would come back as another event's bytes.
func TestSegmentsKeepEventJSON(t *testing.T) {
	ctx := context.Background()
	l := openLake(t, t.TempDir(), lake.Options{})
	s := newStore(t, l, "event-json")
	day := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	src, name := "s3.amazonaws.com", "GetObject"
	rng := rand.New(rand.NewPCG(3, 5))
	const n = 5000
	events := make([]lake.Event, n)
	want := make(map[string]string, n)
	for i := range events {
		id := fmt.Sprintf("%08x-1111-4222-8333-%012x", i, rng.Uint64()>>16)
		rq := fmt.Sprintf("REQ%013d", i)
		pad := strings.Repeat("é東x", rng.IntN(300))
		j := fmt.Sprintf(`{"requestID":"%s","note":"%s","eventID":"%s","i":%d}`, rq, pad, id, i)
		if i%7 == 0 {
			j = fmt.Sprintf(`{"eventID":"%s","note":"%s","requestID":"%s"}`, id, pad, rq)
		}
		events[i] = lake.Event{EventTime: day.Add(time.Duration(rng.IntN(86400)) * time.Second), EventSource: &src, EventName: &name, EventID: &id, RequestID: &rq, EventJSON: j,
			EventIDAt: int32(strings.Index(j, id) + 1), RequestIDAt: int32(strings.Index(j, rq) + 1)}
		want[id] = j
	}
	segs, err := l.WriteSegments(ctx, s.ID, "", events)
	require.NoError(t, err)
	require.Len(t, segs, 1)
	rows := segmentRows(t, l, segs[0])
	require.Len(t, rows, n)
	for _, r := range rows {
		require.NotNil(t, r.CutEventID, "eventID %s was not cut", *r.EventID)
		r.RestoreJSON()
		require.Equal(t, want[*r.EventID], r.EventJSON)
	}
}
