package lake

import (
	"strings"
	"unicode/utf8"
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

// minCutLen is the shortest value worth cutting: shorter ones save less than
// their position costs.
const minCutLen = 8

// cutIDs turns e, a copy about to be written, into its stored form. An event
// already in stored form (read from a segment, as compaction does) is left as
// it is.
//
// It does what cutting eventID from the original and then requestID from
// the rest does (see the reference in idcut_test.go), with one pass over the
// text and one allocation: it runs for every event written.
func cutIDs(e *Event) {
	if e.CutEventID != nil || e.CutRequestID != nil {
		return
	}
	j := e.EventJSON
	id, rq := cutCandidate(e.EventID), cutCandidate(e.RequestID)
	ei := quotedIndex(j, id, -1, 0)
	ri := quotedIndex(j, rq, ei, len(id)) // in j, outside the eventID's bytes
	if ei < 0 && ri < 0 {
		return
	}
	var b strings.Builder
	b.Grow(len(j))
	pos := new([2]int32) // one allocation for both positions
	switch {
	case ri < 0: // eventID only
		b.WriteString(j[:ei])
		b.WriteString(j[ei+len(id):])
		pos[0] = runesBefore(j, ei)
		e.CutEventID = &pos[0]
	case ei < 0: // requestID only
		b.WriteString(j[:ri])
		b.WriteString(j[ri+len(rq):])
		pos[1] = runesBefore(j, ri)
		e.CutRequestID = &pos[1]
	case ri < ei:
		b.WriteString(j[:ri])
		b.WriteString(j[ri+len(rq) : ei])
		b.WriteString(j[ei+len(id):])
		pos[0], pos[1] = runesBefore(j, ei), runesBefore(j, ri)
		e.CutEventID, e.CutRequestID = &pos[0], &pos[1]
	default: // requestID after eventID: its position is in the text without eventID
		b.WriteString(j[:ei])
		b.WriteString(j[ei+len(id) : ri])
		b.WriteString(j[ri+len(rq):])
		pos[0] = runesBefore(j, ei)
		pos[1] = runesBefore(j, ri) - int32(utf8.RuneCountInString(id))
		e.CutEventID, e.CutRequestID = &pos[0], &pos[1]
	}
	e.EventJSON = b.String()
}

// cutCandidate is the value of p if it is worth cutting, else "". Values
// with a quote or a backslash are never written literally in JSON text.
func cutCandidate(p *string) string {
	if p == nil || len(*p) < minCutLen || strings.ContainsAny(*p, `"\`) {
		return ""
	}
	return *p
}

// quotedIndex returns the byte index in j of the first occurrence of v
// written as a whole JSON string ("v"), skipping occurrences that overlap
// the skipLen bytes at skipAt (skipAt < 0: none); -1 when there is none or v
// is "".
func quotedIndex(j, v string, skipAt, skipLen int) int {
	if v == "" {
		return -1
	}
	for from := 0; ; {
		i := strings.Index(j[from:], v)
		if i < 0 {
			return -1
		}
		i += from
		end := i + len(v)
		quoted := i > 0 && j[i-1] == '"' && end < len(j) && j[end] == '"'
		overlaps := skipAt >= 0 && i-1 < skipAt+skipLen && end >= skipAt // its quotes may be the skipped bytes' quotes
		if quoted && !overlaps {
			return i
		}
		from = i + 1
	}
}

// runesBefore is the number of characters in j before byte index i.
func runesBefore(j string, i int) int32 { return int32(utf8.RuneCountInString(j[:i])) }

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
