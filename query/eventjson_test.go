package query

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

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

// TestEventJSONSQLIsTheDefinition checks lake.EventJSONSQL, the one-step
// rebuild the views use, against the definition (put requestID back into
// the stored text, then eventID into the result, as Event.RestoreJSON
// does) for every pair of positions within the texts, characters beyond
// ASCII included, and against the two-step SQL it replaced.
func TestEventJSONSQLIsTheDefinition(t *testing.T) {
	db, err := sql.Open("duckdb", "")
	require.NoError(t, err)
	defer db.Close()
	_, err = db.Exec("CREATE TABLE t (s VARCHAR, e INTEGER, r INTEGER, id VARCHAR, rq VARCHAR)")
	require.NoError(t, err)
	type row struct {
		s, id, rq string
		e, r      *int32
	}
	var rows []row
	for _, s := range []string{``, `{"a":"","b":""}`, `{"ü":"","東京":"🦆"}`} {
		for _, ids := range [][2]string{{"E1234567", "R1234567"}, {"é-ümlaut-8", "🦆🦆🦆🦆🦆🦆🦆🦆"}} {
			n := int32(utf8.RuneCountInString(s))
			nrq := int32(utf8.RuneCountInString(ids[1]))
			for r := int32(-1); r <= n; r++ {
				for e := int32(-1); e <= n+nrq; e++ {
					x := row{s: s, id: ids[0], rq: ids[1]}
					if r >= 0 {
						x.r = &r
					}
					if e >= 0 && (r >= 0 || e <= n) {
						x.e = &e
					}
					rows = append(rows, x)
					_, err := db.Exec("INSERT INTO t VALUES (?, ?, ?, ?, ?)", x.s, x.e, x.r, x.id, x.rq)
					require.NoError(t, err)
				}
			}
		}
	}
	const twoSteps = `CASE WHEN e IS NULL THEN (j1) ELSE left((j1), e) || id || substr((j1), e + 1) END`
	const j1 = `CASE WHEN r IS NULL THEN s ELSE left(s, r) || rq || substr(s, r + 1) END`
	q := "SELECT s, e, r, id, rq, " + lake.EventJSONSQL("s", "e", "r", "id", "rq") + ", " + strings.ReplaceAll(twoSteps, "j1", j1) + " FROM t"
	res, err := db.Query(q)
	require.NoError(t, err)
	defer res.Close()
	n := 0
	for res.Next() {
		var x row
		var e, r sql.NullInt32
		var got, old string
		require.NoError(t, res.Scan(&x.s, &e, &r, &x.id, &x.rq, &got, &old))
		ev := lake.Event{EventJSON: x.s, EventID: &x.id, RequestID: &x.rq}
		if e.Valid {
			ev.CutEventID = &e.Int32
		}
		if r.Valid {
			ev.CutRequestID = &r.Int32
		}
		ev.RestoreJSON()
		require.Equal(t, ev.EventJSON, got, "stored %q, eventID at %v, requestID at %v", x.s, e, r)
		require.Equal(t, old, got)
		n++
	}
	require.NoError(t, res.Err())
	require.Equal(t, len(rows), n)
}
