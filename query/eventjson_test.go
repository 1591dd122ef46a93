package query

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/auditlake/auditlake/bench"
	"github.com/auditlake/auditlake/ingest"
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
		if i%2 == 0 { // cut by the writer, at the record's own members
			e.EventIDAt, e.RequestIDAt = memberAt(j, "eventID", e.EventID), memberAt(j, "requestID", e.RequestID)
		} else { // cut as older writers did
			legacyCut(&e)
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
	tx, err := db.Begin()
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
					_, err := tx.Exec("INSERT INTO t VALUES (?, ?, ?, ?, ?)", x.s, x.e, x.r, x.id, x.rq)
					require.NoError(t, err)
				}
			}
		}
	}
	require.NoError(t, tx.Commit())
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

// ejRecord returns the i-th record of the pushdown tests and its eventID
// and requestID (nil: none). The records put the two values where writers
// cut them from (lake/idcut.go cuts the first occurrence written as a
// whole string, wherever it is) and where a JSON call reading the stored
// text would see the difference.
func ejRecord(i int) (j string, id, rq *string) {
	e := fmt.Sprintf("%08x-e1e1-4e1e-8e1e-%012x", i, i*7919)
	r := fmt.Sprintf("%08x-7777-4777-8777-%012x", i, i*104729)
	issuer := fmt.Sprintf(`{"type":"AssumedRole","sessionContext":{"sessionIssuer":{"userName":"role-%d","arn":"arn:aws:iam::1:role/r%d"}}}`, i%5, i%5)
	head := `{"eventVersion":"1.09","userIdentity":` + issuer + `,"eventName":"E` + strconv.Itoa(i%7) + `"`
	switch i % 14 {
	case 0: // the usual order: requestID, then eventID, at the top level
		j = head + `,"requestParameters":{"bucketName":"b"},"responseElements":null,"requestID":"` + r + `","eventID":"` + e + `","readOnly":true}`
	case 1: // EC2: responseElements.requestId holds the request ID, first
		j = head + `,"requestParameters":{"x":1},"responseElements":{"requestId":"` + r + `","_return":true},"requestID":"` + r + `","eventID":"` + e + `"}`
	case 2: // the event ID in the request, first, and as sharedEventID after
		j = head + `,"requestParameters":{"id":"` + e + `","n":[1,"` + e + `"]},"requestID":"` + r + `","eventID":"` + e + `","sharedEventID":"` + e + `"}`
	case 3: // the event ID after an escaped quote, at the end of a string
		j = head + `,"errorMessage":"no such id \"` + e + `","requestID":"` + r + `","eventID":"` + e + `"}`
	case 4: // the request ID as a member name
		j = head + `,"additionalEventData":{"` + r + `":"v","w":{"` + r + `":2}},"requestID":"` + r + `","eventID":"` + e + `"}`
	case 5: // an event ID with commas, which a cut takes from between two strings
		e = ",1234567890,"
		j = head + `,"a":["x",1234567890,"y"],"requestID":"` + r + `","eventID":",1234567890,"}`
	case 6: // an event ID with a control character: the record is not JSON
		e = "ab\tcdefghi"
		j = head + `,"x":"ab` + "\t" + `cdefghi","y":"z","requestID":"` + r + `","eventID":"ab\tcdefghi"}`
	case 7: // characters beyond ASCII before the cuts
		j = `{"userIdentity":{"userName":"Zoë 東京 🦆","sessionContext":{"sessionIssuer":{"userName":"ü-` + strconv.Itoa(i) + `"}}},"requestID":"` + r + `","eventID":"` + e + `"}`
	case 8: // no request ID; a short one is not cut
		if i%28 == 8 {
			j, rq = head+`,"eventID":"`+e+`"}`, nil
			return j, &e, nil
		}
		r = "r1"
		j = head + `,"requestID":"r1","eventID":"` + e + `"}`
	case 9: // the request ID equal to the event ID
		r = e
		j = head + `,"requestID":"` + e + `","eventID":"` + e + `"}`
	case 10: // empty strings and nulls that are in the record
		j = head + `,"errorCode":"","errorMessage":null,"responseElements":{"s":"","t":"x"},"requestID":"` + r + `","eventID":"` + e + `"}`
	case 11: // the event ID as a member name that a path names
		e = "abcdefghij"
		j = head + `,"abcdefghij":{"k":"v"},"requestID":"` + r + `","eventID":"abcdefghij"}`
	case 12: // eventID before requestID
		j = head + `,"eventID":"` + e + `","requestID":"` + r + `","resources":[{"ARN":"arn:` + e + `"},{"ARN":"b"}],"n":1.50}`
	case 13: // IDs absent from the record
		j = head + `,"requestID":"elsewhere","eventID":"elsewhere-too"}`
	}
	return j, &e, &r
}

// ejLake writes n records (ejRecord) into each of two stores, and audit
// events into an ActivityAuditLog store, and returns the engine and the
// stores' IDs. With keyCuts the lake's writer cuts the IDs out of the
// records' own members, as it does for decoded records (Segment.KeyCuts);
// without, the records come already cut as writers before that did, at the
// first occurrence of each value anywhere (legacyCut).
func ejLake(t testing.TB, n int, keyCuts bool) (e *Engine, a, b, audit string) {
	t.Helper()
	ctx := context.Background()
	l, err := lake.Open(ctx, t.TempDir(), lake.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, l.Close()) })
	day := time.Date(2025, 5, 6, 0, 0, 0, 0, time.UTC)
	var ids []string
	for k, name := range []string{"ej-a", "ej-b"} {
		s, err := l.CreateStore(ctx, lake.CreateStoreInput{Name: name})
		require.NoError(t, err)
		var evs []lake.Event
		for i := range n {
			j, id, rq := ejRecord(i + k)
			ev := lake.Event{EventTime: day.Add(time.Duration(i) * time.Second), EventID: id, RequestID: rq, EventJSON: j}
			if keyCuts {
				ev.EventIDAt, ev.RequestIDAt = memberAt(j, "eventID", id), memberAt(j, "requestID", rq)
			} else {
				legacyCut(&ev)
			}
			evs = append(evs, ev)
		}
		segs, err := l.WriteSegments(ctx, s.ID, "", evs)
		require.NoError(t, err)
		for _, sg := range segs {
			require.Equal(t, keyCuts, sg.KeyCuts)
		}
		_, err = l.Commit(ctx, s.ID, lake.Change{Add: segs})
		require.NoError(t, err)
		ids = append(ids, s.ID)
	}
	s, err := l.CreateStore(ctx, lake.CreateStoreInput{Name: "ej-audit", AdvancedEventSelectors: []lake.AdvancedEventSelector{{
		FieldSelectors: []lake.AdvancedFieldSelector{{Field: lake.FieldEventCategory, Equals: []string{lake.CategoryActivityAuditLog}}},
	}}})
	require.NoError(t, err)
	var rows []lake.AuditEvent
	for i := range 20 {
		rows = append(rows, lake.AuditEvent{EventID: fmt.Sprintf("audit-%04d-0000", i), EventTime: day.Add(time.Duration(i) * time.Second),
			EventCategory: lake.CategoryActivityAuditLog, EventJSON: fmt.Sprintf(`{"eventID":"audit-%04d-0000","eventData":{"userIdentity":{"sessionContext":{"sessionIssuer":{"userName":"app-%d"}}},"x":""}}`, i, i%3)})
	}
	segs, err := lake.WriteRowDays(ctx, l, s.ID, "", lake.PartitionByDay(rows))
	require.NoError(t, err)
	_, err = l.Commit(ctx, s.ID, lake.Change{Add: segs})
	require.NoError(t, err)
	return newTestEngine(t, l, Options{}), ids[0], ids[1], s.ID
}

// ejPaths are paths that JSON calls may read from the stored text.
var ejPaths = []string{
	"$.userIdentity.sessionContext.sessionIssuer.userName", "$.userIdentity", "$.userIdentity.sessionContext",
	"$.responseElements", "$.responseElements.requestId", "$.responseElements.s", "$.requestParameters", "$.requestParameters.id",
	"$.requestParameters.n[1]", "$.errorMessage", "$.errorCode", "$.additionalEventData", "$.additionalEventData.w",
	"$.a", "$.a[0]", "$.x", "$.y", "$.abcdefghij", "$.abcdefghij.k", "$.resources[0].ARN", "$.resources", "$.sharedEventID",
	"$.n", "$.readOnly", "$.missing", "$.eventName",
}

// bothWays runs q with and without JSON calls reading the stored text,
// requires the same rows, and returns them and whether q read it.
func bothWays(t *testing.T, e *Engine, q string) ([][]string, bool) {
	t.Helper()
	st, err := e.prepare(context.Background(), q)
	require.NoError(t, err, q)
	pushed := queryStrings(t, e, q)
	e.noPushdown = true
	defer func() { e.noPushdown = false }()
	rebuilt := queryStrings(t, e, q)
	require.Equal(t, rebuilt, pushed, q)
	return pushed, st.rw.pushdown
}

// TestEventJSONPushdownResults checks that JSON calls that read the stored
// eventJson give what they give on the rebuilt text, for every path and
// record kind of ejRecord, in select lists, filters and groups.
func TestEventJSONPushdownResults(t *testing.T) {
	for _, keyCuts := range []bool{false, true} {
		t.Run(fmt.Sprintf("keyCuts=%v", keyCuts), func(t *testing.T) { testPushdownResults(t, keyCuts) })
	}
}

func testPushdownResults(t *testing.T, keyCuts bool) {
	e, a, _, audit := ejLake(t, 140, keyCuts)
	for _, f := range []string{"json_extract_scalar", "json_extract", "json_size"} {
		for _, store := range []string{a, audit} {
			cols := make([]string, len(ejPaths))
			for i, p := range ejPaths {
				cols[i] = fmt.Sprintf("%s(eventJson, '%s')", f, p)
			}
			q := "SELECT eventID, " + strings.Join(cols, ", ") + " FROM " + store + " ORDER BY eventTime, eventID"
			rows, pushed := bothWays(t, e, q)
			require.True(t, pushed, q)
			require.NotEmpty(t, rows)
		}
	}
	// The paths of the values cut out read them: every record holds its
	// own IDs (or none, like the column) but the two kinds whose record is
	// not JSON (6) or names other IDs (13).
	for _, p := range []string{"eventID", "requestID"} {
		q := fmt.Sprintf("SELECT count(*) FROM %s WHERE json_extract_scalar(eventJson, '$.%s') IS DISTINCT FROM %s", a, p, p)
		rows, pushed := bothWays(t, e, q)
		require.False(t, pushed)
		require.Equal(t, [][]string{{"20"}}, rows, q) // i % 14 in {6, 13}, for i < 140
	}
	for _, q := range []string{
		// Q14 of bench/cmd/lakebench/queries.go.
		"SELECT json_extract_scalar(eventJson, '$.userIdentity.sessionContext.sessionIssuer.userName') AS issuer, COUNT(*) AS n FROM " + a +
			" WHERE eventTime >= '2025-05-06 00:00:00' GROUP BY 1 ORDER BY n DESC, issuer LIMIT 10",
		"SELECT eventID FROM " + a + " WHERE json_extract_scalar(eventJson, '$.responseElements.requestId') = requestID ORDER BY 1",
		"SELECT eventID FROM " + a + " WHERE json_extract(eventJson, '$.requestParameters') LIKE '%\"id\"%' ORDER BY 1",
		"SELECT eventID, json_size(eventJson, '$.abcdefghij') FROM " + a + " WHERE json_extract_scalar(eventJson, '$.abcdefghij.k') IS NOT NULL ORDER BY 1",
		"SELECT json_extract(eventJson, '$.userIdentity') AS u, count(*) FROM " + a + " GROUP BY json_extract(eventJson, '$.userIdentity') ORDER BY 1",
		"SELECT eventID, json_extract_scalar(CAST(json_extract(eventJson, '$.responseElements') AS VARCHAR), '$.requestId') FROM " + a + " ORDER BY 1",
	} {
		_, pushed := bothWays(t, e, q)
		require.True(t, pushed, q)
	}
}

// TestEventJSONPushdownStatements checks which statements read the stored
// eventJson, and that every one gives what it gives on the rebuilt text:
// paths on eventID and requestID, eventJson read as it is, subqueries,
// CTEs and joins of two stores each with its own eventJson, and everything
// that would show the internal columns. {A} and {B} are stores of
// ejRecord records, {C} an ActivityAuditLog store.
func TestEventJSONPushdownStatements(t *testing.T) {
	for _, keyCuts := range []bool{false, true} {
		t.Run(fmt.Sprintf("keyCuts=%v", keyCuts), func(t *testing.T) { testPushdownStatements(t, keyCuts) })
	}
}

func testPushdownStatements(t *testing.T, keyCuts bool) {
	e, a, b, audit := ejLake(t, 56, keyCuts)
	const issuer = "'$.userIdentity.sessionContext.sessionIssuer.userName'"
	for _, tt := range []struct {
		sql    string
		pushed bool
	}{
		// The values cut out: their own paths read the rebuilt text.
		{"SELECT eventID, json_extract_scalar(eventJson, '$.eventID'), json_extract_scalar(eventJson, '$.requestID') FROM {A} ORDER BY eventTime", false},
		{"SELECT json_extract(eventJson, '$.eventID') = json_extract(eventJson, '$.requestID') FROM {A}", false},
		{"SELECT json_size(eventJson, '$.requestID') FROM {A}", false},
		{"SELECT count(*) FROM {A} WHERE json_extract_scalar(eventJson, '$.eventID') = eventID", false},
		// Paths that are not plainly members and indexes.
		{"SELECT json_extract(eventJson, '$') FROM {A}", false},
		{"SELECT json_extract(eventJson, '$.*') FROM {A}", false},
		{"SELECT json_extract(eventJson, '$..userName') FROM {A}", false},
		{"SELECT json_extract_scalar(eventJson, '$.\"userIdentity\".type') FROM {A}", false},
		{"SELECT json_extract_scalar(eventJson, '$[0]') FROM {A}", false},
		{"SELECT json_extract_scalar(eventJson, concat('$.', 'eventName')) FROM {A}", false},
		// eventJson read as it is, somewhere.
		{"SELECT eventJson, json_extract_scalar(eventJson, " + issuer + ") FROM {A} ORDER BY eventTime", false},
		{"SELECT json_extract_scalar(eventJson, " + issuer + "), length(eventJson) FROM {A} ORDER BY eventTime", false},
		{"SELECT x FROM (SELECT json_extract_scalar(eventJson, " + issuer + ") AS x, eventJson FROM {A}) ORDER BY x", false},
		{"SELECT json_extract_scalar(eventJson, " + issuer + ") FROM (SELECT eventJson FROM {A}) ORDER BY 1", false},
		{"SELECT eventJsonChecksum, json_extract_scalar(eventJson, " + issuer + ") FROM {A} ORDER BY eventTime", true},
		// Subqueries, CTEs and joins.
		{"WITH c AS (SELECT eventID AS id, json_extract_scalar(eventJson, " + issuer + ") AS i FROM {A}) SELECT i, count(*) FROM c GROUP BY i ORDER BY i", true},
		{"SELECT i, n FROM (SELECT json_extract_scalar(eventJson, " + issuer + ") AS i, count(*) AS n FROM {A} GROUP BY 1) ORDER BY 1", true},
		{"SELECT x.eventID, json_extract_scalar(x.eventJson, '$.responseElements.requestId'), json_extract(y.eventJson, '$.requestParameters') " +
			"FROM {A} x JOIN {B} y ON x.eventTime = y.eventTime ORDER BY 1", true},
		{"SELECT x.eventID, json_size(x.eventJson, '$.additionalEventData.w'), json_extract_scalar(y.eventJson, '$.abcdefghij.k') FROM {A} x JOIN {B} y USING (eventTime) ORDER BY 1", true},
		{"SELECT eventID, (SELECT json_extract_scalar(eventJson, '$.y') FROM {B} y WHERE y.eventTime = x.eventTime) FROM {A} x ORDER BY 1", true},
		{"SELECT x.eventID, (SELECT count(*) FROM {B} y WHERE json_extract_scalar(x.eventJson, '$.requestParameters.id') = y.eventID) FROM {A} x ORDER BY 1", true},
		{"SELECT json_extract_scalar(eventJson, " + issuer + ") AS i FROM {A} UNION ALL " +
			"SELECT json_extract_scalar(eventJson, '$.eventData.userIdentity.sessionContext.sessionIssuer.userName') FROM {C} ORDER BY i", true},
		{"SELECT count(*) FROM {A} x, {B} y WHERE json_extract_scalar(x.eventJson, '$.responseElements.requestId') = json_extract_scalar(y.eventJson, '$.requestParameters.id')", true},
		{"SELECT list_transform([1, 2], k -> json_extract_scalar(eventJson, '$.a[' || k || ']')) FROM {A} ORDER BY eventTime", false},
		{"SELECT list_transform(['$.x', '$.y'], k -> json_extract_scalar(eventJson, '$.eventName')) FROM {A} ORDER BY eventTime", true},
		// Whatever would show the internal columns, or name something else eventJson.
		{"SELECT * FROM {A} WHERE json_extract_scalar(eventJson, '$.y') = 'z'", false},
		{"SELECT x.*, json_extract_scalar(eventJson, '$.y') FROM {A} x", false},
		{"SELECT COLUMNS('event.*'), json_extract_scalar(eventJson, '$.y') FROM {A}", false},
		{"SELECT x, json_extract_scalar(eventJson, '$.y') FROM {A} x", false},
		{"SELECT to_json(x), json_extract_scalar(x.eventJson, '$.y') FROM {A} x", false},
		{"SELECT #1, json_extract_scalar(eventJson, '$.y') FROM {A}", false},
		{"SELECT json_extract_scalar(x.eventJson, '$.y') FROM {A} x NATURAL JOIN {B} y", false},
		{"SELECT json_extract_scalar(eventJson, '$.y') AS eventJson FROM {A}", false},
		{"SELECT json_extract_scalar(x.eventJson, '$.y') FROM {A} x, (SELECT 1 AS eventJson) s", false},
		{"SELECT json_extract_scalar(eventJson, '$.y') FROM {A} WHERE eventName <> 'eventJson'", false},
		{"SELECT json_extract_scalar(x.eventJson, '$.y') FROM {A} x, unnest([{'eventJson': 'x'}]) u", false},
	} {
		t.Run(tt.sql, func(t *testing.T) {
			q := strings.NewReplacer("{A}", a, "{B}", b, "{C}", audit).Replace(tt.sql)
			_, pushed := bothWays(t, e, q)
			require.Equal(t, tt.pushed, pushed)
		})
	}
}

// TestEventJSONPushdownInvisible checks that the internal columns the JSON
// calls read cannot be named, listed or seen in an error message.
func TestEventJSONPushdownInvisible(t *testing.T) {
	e, a, _, audit := ejLake(t, 14, false)
	ctx := context.Background()
	for _, store := range []string{a, audit} {
		for _, q := range []string{
			"SELECT * FROM " + store + " LIMIT 0", // what the Postgres port's catalog asks
			"SELECT *, json_extract_scalar(eventJson, '$.y') FROM " + store + " LIMIT 0",
		} {
			rows, err := e.Query(ctx, q)
			require.NoError(t, err)
			for _, c := range rows.Columns() {
				require.NotContains(t, strings.ToLower(c.Name), "__auditlake", q)
			}
			require.NoError(t, rows.Close())
		}
		for _, q := range []string{
			"SELECT " + ejStored + " FROM " + store,
			"SELECT " + ejOK + ", json_extract_scalar(eventJson, '$.y') FROM " + store,
			"SELECT json_extract_scalar(x." + ejStored + ", '$.y') FROM " + store + " x",
		} {
			_, err := e.Query(ctx, q)
			require.ErrorIs(t, err, ErrInvalidStatement, q)
		}
	}
	// Errors in statements that read the stored text name eventJson.
	for _, q := range []string{
		"SELECT json_extract_scalar(eventJson, '$.y'), count(*) FROM " + a,
		"SELECT json_extract_scalar(eventJson, '$.y') FROM " + a + " x, " + a + " y",
		"SELECT json_extract_scalar(eventJson, '$.y') FROM " + a + " GROUP BY eventName",
	} {
		st, err := e.prepare(ctx, q)
		require.NoError(t, err)
		require.True(t, st.rw.pushdown, q)
		_, err = e.Query(ctx, q)
		require.ErrorIs(t, err, ErrInvalidStatement, q)
		require.NotContains(t, err.Error(), "__auditlake", q)
		require.Contains(t, err.Error(), "eventJson", q)
	}
}

func TestPushdownPath(t *testing.T) {
	for p, want := range map[string]bool{
		"$.userIdentity.sessionContext.sessionIssuer.userName": true,
		"$.resources[0].ARN": true, "$.a[12][3]": true, "$.x-amz-id-2": true, "$.eventIDs": true, "$.EventID": true,
		"$.requestParameters.eventID": true, "$.a.requestID": true,
		"$.eventID": false, "$.requestID": false, "$.eventID.x": false, "$.requestID[0]": false,
		"$": false, "$.": false, "$.a.": false, "$..a": false, "$.a..b": false, "$.*": false, "$.a.*": false, "$[*]": false,
		"$[0]": false, "$[0].a": false, "$.a[*]": false, "$.a[#-1]": false, "$.a[-1]": false, "$.a[]": false, "$.a[1": false,
		`$."a"`: false, `$.a."b"`: false, "$.a b": false, "$.é": false, "/a/b": false, "a.b": false, "": false, "$.a[0]b": false,
	} {
		require.Equal(t, want, pushdownPath(p), p)
	}
}

// pushdownPathRE is the definition pushdownPath implements.
var pushdownPathRE = regexp.MustCompile(`^\$\.([A-Za-z0-9_-]+)(\.[A-Za-z0-9_-]+|\[[0-9]+\])*$`)

func FuzzPushdownPath(f *testing.F) {
	for _, s := range []string{"$.a.b[0]", "$.eventID", "$.a[", "$..a", "$.a[01].b-c", "$.requestID.x", "$.a.[0]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		m := pushdownPathRE.FindStringSubmatch(p)
		want := m != nil && m[1] != "eventID" && m[1] != "requestID"
		if got := pushdownPath(p); got != want {
			t.Fatalf("pushdownPath(%q) = %v, want %v", p, got, want)
		}
		if want && !singlePath(p) {
			t.Fatalf("%q reads the stored text but is not a single-value path", p)
		}
	})
}

// FuzzEventJSONPushdown checks that a statement gives the same rows, or
// fails, whether its JSON calls read the stored eventJson or not. $A and
// $B are stores of ejRecord records.
func FuzzEventJSONPushdown(f *testing.F) {
	for _, s := range []string{
		"SELECT eventID, json_extract_scalar(eventJson, '$.responseElements.requestId') FROM $A ORDER BY 1",
		"SELECT json_extract(eventJson, '$.requestParameters') AS p, count(*) FROM $A GROUP BY 1 ORDER BY 1",
		"SELECT count(*) FROM $A x JOIN $B y ON json_extract_scalar(x.eventJson, '$.requestParameters.id') = y.eventID",
		"SELECT json_size(eventJson, '$.additionalEventData') FROM $A WHERE json_extract_scalar(eventJson, '$.abcdefghij.k') = 'v'",
		"SELECT CAST(json_extract_scalar(eventJson, '$.n') AS DOUBLE) FROM $A ORDER BY eventTime",
		"SELECT json_extract_scalar(eventJson, '$.errorMessage') FROM $A WHERE eventTime > '2025-05-06 00:00:10' ORDER BY eventTime",
	} {
		f.Add(s)
	}
	e, a, b, _ := ejLake(f, 42, false)
	run := func(q string) ([][]string, error) { return queryCells(e, q) }
	f.Fuzz(func(t *testing.T, sql string) {
		q := strings.NewReplacer("$A", a, "$B", b).Replace(sql)
		pushed, perr := run(q)
		e.noPushdown = true
		rebuilt, rerr := run(q)
		e.noPushdown = false
		if (perr == nil) != (rerr == nil) {
			t.Fatalf("%s: %v with the stored text, %v without", q, perr, rerr)
		}
		if !reflect.DeepEqual(pushed, rebuilt) {
			t.Fatalf("%s: %q with the stored text, %q without", q, pushed, rebuilt)
		}
	})
}

// BenchmarkEventJSONPushdown measures JSON calls over eventJson reading
// the stored text and the rebuilt text, on the management events of 30,000
// generated ones (about 18,000): Q14 of bench/cmd/lakebench (over the whole
// store), the same call in a filter, and eventJson itself, which is always
// rebuilt. Compare with benchstat -col /text.
func BenchmarkEventJSONPushdown(b *testing.B) {
	ctx := context.Background()
	dir := b.TempDir()
	_, err := bench.Generate(ctx, filepath.Join(dir, "trail"), bench.GenerateOptions{
		Events: 30000, Days: 7, End: time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC), Seed: 42, Workers: 1,
	})
	require.NoError(b, err)
	l, err := lake.Open(ctx, filepath.Join(dir, "lake"), lake.Options{})
	require.NoError(b, err)
	defer l.Close()
	s, err := l.CreateStore(ctx, lake.CreateStoreInput{Name: "bench"})
	require.NoError(b, err)
	_, err = ingest.Paths(ctx, l, s.ID, []string{filepath.Join(dir, "trail")}, ingest.Options{Workers: 1}, nil)
	require.NoError(b, err)
	e := newTestEngine(b, l, Options{Threads: 2})
	const issuer = "json_extract_scalar(eventJson, '$.userIdentity.sessionContext.sessionIssuer.userName')"
	for _, q := range []struct{ name, sql string }{
		{"Q14", "SELECT " + issuer + " AS issuer, COUNT(*) AS n FROM $EDS GROUP BY 1 ORDER BY n DESC, issuer LIMIT 10"},
		{"filter", "SELECT count(*) FROM $EDS WHERE " + issuer + " = 'checkout-task-role'"},
		{"eventJson", "SELECT sum(length(eventJson)) FROM $EDS"},
	} {
		sql := strings.ReplaceAll(q.sql, "$EDS", s.ID)
		for _, stored := range []bool{true, false} {
			name := "query=" + q.name + "/text=rebuilt"
			if stored {
				name = "query=" + q.name + "/text=stored"
			}
			b.Run(name, func(b *testing.B) {
				e.noPushdown = !stored
				defer func() { e.noPushdown = false }()
				b.ReportAllocs()
				for b.Loop() {
					queryStrings(b, e, sql)
				}
			})
		}
	}
}

// memberAt is where the decoder finds the value v of the record's last
// top-level member key (lake.Event.EventIDAt): its offset plus one, 0 when
// the member does not hold v as it is.
func memberAt(j, key string, v *string) int32 {
	if v == nil {
		return 0
	}
	i := strings.LastIndex(j, `"`+key+`":"`+*v+`"`)
	if i < 0 {
		return 0
	}
	return int32(i + len(key) + 4 + 1)
}

// legacyCut cuts eventID and then requestID out of e's text as writers did
// before key cuts: at the first quoted occurrence of each value anywhere in
// the text (8 bytes or more, no quote or backslash).
func legacyCut(e *lake.Event) {
	cut := func(j string, p *string) (string, *int32) {
		if p == nil || len(*p) < 8 || strings.ContainsAny(*p, `"\`) {
			return j, nil
		}
		i := strings.Index(j, `"`+*p+`"`)
		if i < 0 {
			return j, nil
		}
		i++
		at := int32(utf8.RuneCountInString(j[:i]))
		return j[:i] + j[i+len(*p):], &at
	}
	e.EventJSON, e.CutEventID = cut(e.EventJSON, e.EventID)
	e.EventJSON, e.CutRequestID = cut(e.EventJSON, e.RequestID)
}

// TestKeyCutViewsSkipChecks checks that a view over key-cut segments gives
// its JSON calls the stored text with no per-row checks, and a view over
// older segments keeps them.
func TestKeyCutViewsSkipChecks(t *testing.T) {
	for _, tt := range []struct {
		v      view
		checks bool
	}{
		{view{kind: lake.RowEvent, pushdown: true}, true},
		{view{kind: lake.RowEvent, pushdown: true, keyCuts: true}, false},
		{view{kind: lake.RowAuditEvent, pushdown: true}, false},
	} {
		tt.v.name, tt.v.paths = "v", []string{"/x.parquet"}
		sql := tt.v.sql()
		require.Contains(t, sql, ejStored)
		require.Equal(t, tt.checks, strings.Contains(sql, "json_valid"), sql)
	}

	// The engine asks the lake: key-cut stores get the plain columns.
	for _, keyCuts := range []bool{false, true} {
		e, a, _, _ := ejLake(t, 14, keyCuts)
		st, err := e.prepare(context.Background(), "SELECT json_extract_scalar(eventJson, '$.userIdentity.type') FROM "+a)
		require.NoError(t, err)
		var r Rows
		views, err := e.segments(context.Background(), st, &r)
		require.NoError(t, err)
		require.Len(t, views, 1)
		require.Equal(t, keyCuts, views[0].keyCuts)
		for _, c := range r.closers {
			require.NoError(t, c())
		}
	}
}
