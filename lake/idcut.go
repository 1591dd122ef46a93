package lake

import (
	"encoding/binary"
	"strings"
	"unicode/utf8"
	"unsafe"
)

// A segment stores eventJson without the text of eventID and requestID,
// which it already holds in their own columns: random UUIDs do not
// compress, and storing them twice cost 48 of 248 bytes per event on a
// generated day of 39,420 events. The stored row keeps where each value was
// cut out, in characters (Unicode code points, as SQL's left and substr
// count), and readers put it back:
//
//	j1        = left(stored, cutRequestID) || requestID || substr(stored, cutRequestID + 1)
//	eventJson = left(j1, cutEventID) || eventID || substr(j1, cutEventID + 1)
//
// (each step skipped when its cut is NULL). The result is the original text
// byte for byte. eventID is cut first, from the original; requestID second,
// from what is left, so each position is exact in the text it applies to.
// The query engine's store views do this (query/engine.go), and so does
// Event.RestoreJSON; docs/format/lake.md gives the SQL for other readers.
//
// A value is cut only where the record itself holds it: the top-level
// "eventID" and "requestID" members, whose places the decoder records
// (Event.EventIDAt). The same text elsewhere in the record (an EC2 response's
// requestId echoes the request ID) is left alone, so in the stored text only
// those two members are emptied, and a JSON path that reads neither gives
// the same answer on the stored text as on the original (Segment.KeyCuts).
// Segments written before this cut the first occurrence of the text
// anywhere in the record.

// minCutLen is the shortest value worth cutting: shorter ones save less than
// their position costs.
const minCutLen = 8

// cutIDs turns e, a copy about to be written, into its stored form. An event
// already in stored form (read from a segment, as compaction does) is left as
// it is.
//
// It does what cutting eventID from the original and then requestID from
// the rest does (see the reference in idcut_test.go), with one pass over the
// text and no search: it runs for every event written.
func cutIDs(e *Event) {
	var a cutArena
	a.cut(e)
}

// cutArena holds the stored texts and cut positions of the events of one
// Write call: the Parquet writer copies both into its column buffers, so
// after the call the arena is reused (reset) instead of allocating a string
// and a position pair per event, which was 2.2 GB of the 21 GB ingest
// allocated on the 1M-event bench trail.
type cutArena struct {
	text []byte
	pos  []int32
}

// reset forgets the texts and positions handed out; the events that point
// at them must no longer be used.
func (a *cutArena) reset() { a.text, a.pos = a.text[:0], a.pos[:0] }

// take returns room for n bytes of text. When the arena is full a new one is
// started: the texts already handed out keep the old array alive.
func (a *cutArena) take(n int) []byte {
	if cap(a.text)-len(a.text) < n {
		a.text = make([]byte, 0, max(n, 1<<20))
	}
	start := len(a.text)
	a.text = a.text[:start+n]
	return a.text[start : start : start+n]
}

// positions returns a pair of cut positions from the arena.
func (a *cutArena) positions() *[2]int32 {
	if cap(a.pos)-len(a.pos) < 2 {
		a.pos = make([]int32, 0, 1024)
	}
	a.pos = a.pos[:len(a.pos)+2]
	return (*[2]int32)(a.pos[len(a.pos)-2:])
}

// cut is cutIDs with e's new text and positions in the arena.
func (a *cutArena) cut(e *Event) {
	if e.CutEventID != nil || e.CutRequestID != nil {
		return
	}
	j := e.EventJSON
	id, rq := cutCandidate(e.EventID), cutCandidate(e.RequestID)
	ei, ri := valueAt(j, id, e.EventIDAt), valueAt(j, rq, e.RequestIDAt)
	if ei >= 0 && ri >= 0 && ri < ei+len(id) && ei < ri+len(rq) {
		ri = -1 // cannot happen for two keys' values; never cut overlapping text
	}
	if ei < 0 && ri < 0 {
		return
	}
	n := len(j)
	if ei >= 0 {
		n -= len(id)
	}
	if ri >= 0 {
		n -= len(rq)
	}
	b := a.take(n)
	pos := a.positions()
	switch {
	case ri < 0: // eventID only
		b = append(append(b, j[:ei]...), j[ei+len(id):]...)
		pos[0] = runesBefore(j, ei)
		e.CutEventID = &pos[0]
	case ei < 0: // requestID only
		b = append(append(b, j[:ri]...), j[ri+len(rq):]...)
		pos[1] = runesBefore(j, ri)
		e.CutRequestID = &pos[1]
	case ri < ei:
		b = append(append(append(b, j[:ri]...), j[ri+len(rq):ei]...), j[ei+len(id):]...)
		pos[0], pos[1] = runesBefore(j, ei), runesBefore(j, ri)
		e.CutEventID, e.CutRequestID = &pos[0], &pos[1]
	default: // requestID after eventID: its position is in the text without eventID
		b = append(append(append(b, j[:ei]...), j[ei+len(id):ri]...), j[ri+len(rq):]...)
		pos[0] = runesBefore(j, ei)
		pos[1] = runesBefore(j, ri) - runesBefore(id, len(id))
		e.CutEventID, e.CutRequestID = &pos[0], &pos[1]
	}
	e.EventJSON = unsafe.String(unsafe.SliceData(b), len(b))
}

// valueAt returns the byte index in j of v, the value the decoder found at
// at (Event.EventIDAt: offset plus one), when j holds v there as a whole
// JSON string; -1 otherwise (or when v is "").
func valueAt(j, v string, at int32) int {
	i := int(at) - 1
	if v == "" || i < 1 || i+len(v) >= len(j) || j[i-1] != '"' || j[i+len(v)] != '"' || j[i:i+len(v)] != v {
		return -1
	}
	return i
}

// cutCandidate is the value of p if it is worth cutting, else "". Values
// with a quote or a backslash are never written literally in JSON text.
func cutCandidate(p *string) string {
	if p == nil || len(*p) < minCutLen || strings.ContainsAny(*p, `"\`) {
		return ""
	}
	return *p
}

// runesBefore is the number of characters in j before byte index i. Most
// events are ASCII: that is checked eight bytes at a time, several times
// faster than counting runes, which then counts only from the first
// non-ASCII byte.
func runesBefore(j string, i int) int32 {
	p := j[:i]
	k := 0
	for ; k+8 <= len(p); k += 8 {
		if binary.LittleEndian.Uint64(unsafe.Slice(unsafe.StringData(p[k:]), 8))&0x8080808080808080 != 0 {
			break
		}
	}
	return int32(k + utf8.RuneCountInString(p[k:]))
}

// RestoreJSON puts back into EventJSON the values a segment cut out of it
// (see cutIDs) and clears the cut positions. Events read from segment files
// with a Parquet reader need it; events from the decoder do not.
func (e *Event) RestoreJSON() {
	if e.CutRequestID != nil {
		e.EventJSON = insertAt(e.EventJSON, int(*e.CutRequestID), deref(e.RequestID))
		e.CutRequestID = nil
	}
	if e.CutEventID != nil {
		e.EventJSON = insertAt(e.EventJSON, int(*e.CutEventID), deref(e.EventID))
		e.CutEventID = nil
	}
}

// insertAt inserts v into s before the character at position at.
func insertAt(s string, at int, v string) string {
	i := 0
	for n := 0; n < at && i < len(s); n++ {
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
	}
	return s[:i] + v + s[i:]
}

// StoredEventJSON is the SQL expression that rebuilds eventJson from a
// segment's stored columns, for views over segment files.
var StoredEventJSON = EventJSONSQL("eventJson", "eventJsonCutEventID", "eventJsonCutRequestID", "eventID", "requestID")

// EventJSONSQL returns the SQL expression that rebuilds eventJson from the
// stored text, the two cut positions and the two values, each given as an
// SQL expression (a column name, usually).
//
// It gives what the two steps in the comment at the top of this file give,
// in one concatenation of pieces of the stored text: with r the requestID
// position (in the stored text) and e the eventID one (in the text with
// requestID put back), eventID goes before requestID when e <= r, after it
// when e >= r + length(requestID), and inside it otherwise (which cutIDs
// never writes: the quotes around a cut value keep the two apart). Each
// piece is cut from the stored text itself, so the intermediate text is
// never built; DuckDB spent most of a query reading eventJson on building
// it (left and substr count characters from the start of the text, and the
// two steps did that five times). The two forms agree whenever r is within
// the stored text and e within the intermediate one, as cutIDs writes them
// (query/eventjson_test.go checks it).
func EventJSONSQL(stored, cutEventID, cutRequestID, eventID, requestID string) string {
	return strings.NewReplacer("{s}", stored, "{e}", cutEventID, "{r}", cutRequestID, "{id}", eventID, "{rq}", requestID).Replace(eventJSONSQL)
}

// eventJSONSQL is EventJSONSQL's expression over {s} (the stored text),
// {e} and {r} (the cut positions of eventID and requestID), {id} and {rq}
// (their values).
const eventJSONSQL = `CASE WHEN {r} IS NULL AND {e} IS NULL THEN {s} ` +
	`WHEN {r} IS NULL THEN left({s}, {e}) || {id} || substr({s}, {e} + 1) ` +
	`WHEN {e} IS NULL THEN left({s}, {r}) || {rq} || substr({s}, {r} + 1) ` +
	`WHEN {e} <= {r} THEN left({s}, {e}) || {id} || substr({s}, {e} + 1, {r} - {e}) || {rq} || substr({s}, {r} + 1) ` +
	`WHEN {e} >= {r} + length({rq}) THEN left({s}, {r}) || {rq} || substr({s}, {r} + 1, {e} - {r} - length({rq})) || {id} || substr({s}, {e} - length({rq}) + 1) ` +
	`ELSE left({s}, {r}) || left({rq}, {e} - {r}) || {id} || substr({rq}, {e} - {r} + 1) || substr({s}, {r} + 1) END`

// StoredOnlyColumns are the segment columns that exist only to rebuild
// eventJson; views leave them out.
var StoredOnlyColumns = []string{"eventJsonCutEventID", "eventJsonCutRequestID"}
