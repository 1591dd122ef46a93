package query

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/auditlake/auditlake/lake"
)

// Segments store eventJson without the text of eventID and requestID
// (lake/idcut.go); the store view must give back the original record byte
// for byte, with characters beyond ASCII before the cuts, and its checksum.
func TestEventJSONIsRebuiltFromSegments(t *testing.T) {
	ctx := context.Background()
	l, err := lake.Open(ctx, t.TempDir(), lake.Options{})
	require.NoError(t, err)
	defer l.Close()
	s, err := l.CreateStore(ctx, lake.CreateStoreInput{Name: "rebuilt"})
	require.NoError(t, err)

	day := time.Date(2025, 5, 6, 0, 0, 0, 0, time.UTC)
	want := map[string]string{}
	var evs []lake.Event
	for i := range 300 {
		id := fmt.Sprintf("%08x-1111-4222-8333-%012x", i, i*7919)
		rq := fmt.Sprintf("REQ%013dXYZ", i)
		var j string
		switch i % 3 {
		case 0:
			j = fmt.Sprintf(`{"userName":"Zoë 東京 🦆 %d","eventID":"%s","requestID":"%s"}`, i, id, rq)
		case 1:
			j = fmt.Sprintf(`{"requestID":"%s","note":"ünïcödé","eventID":"%s"}`, rq, id)
		default: // no request ID; the event ID appears twice
			j = fmt.Sprintf(`{"eventID":"%s","sharedEventID":"%s"}`, id, id)
			rq = ""
		}
		e := lake.Event{EventTime: day.Add(time.Duration(i) * time.Second), EventID: &id, EventJSON: j}
		if rq != "" {
			e.RequestID = &rq
		}
		evs = append(evs, e)
		want[id] = j
	}
	segs, err := l.WriteSegments(ctx, s.ID, "", evs)
	require.NoError(t, err)
	_, err = l.Commit(ctx, s.ID, lake.Change{Add: segs})
	require.NoError(t, err)

	e := newTestEngine(t, l, Options{})
	rows := queryStrings(t, e, "SELECT eventID, eventJson, eventJsonChecksum FROM "+s.ID)
	require.Len(t, rows, len(evs))
	for _, r := range rows {
		require.Equal(t, want[r[0]], r[1], "event %s", r[0])
		sum := sha256.Sum256([]byte(r[1]))
		require.Equal(t, hex.EncodeToString(sum[:]), r[2])
	}
	// The columns that exist only to rebuild eventJson are not part of the
	// store's schema.
	_, err = e.Query(ctx, "SELECT eventJsonCutEventID FROM "+s.ID)
	require.Error(t, err)
}
