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
func cutIDs(e *Event) {
	if e.CutEventID != nil || e.CutRequestID != nil {
		return
	}
	e.EventJSON, e.CutEventID = cutValue(e.EventJSON, e.EventID)
	e.EventJSON, e.CutRequestID = cutValue(e.EventJSON, e.RequestID)
}

// cutValue removes the first occurrence of v written as a JSON string
// ("v", quotes kept) from j, and returns the rest and the character position
// of the cut; j unchanged and nil when v is short, absent or not written
// literally (escaped) in j.
func cutValue(j string, v *string) (string, *int32) {
	if v == nil || len(*v) < minCutLen {
		return j, nil
	}
	i := strings.Index(j, `"`+*v+`"`)
	if i < 0 {
		return j, nil
	}
	i++ // the value starts after its quote
	at := int32(utf8.RuneCountInString(j[:i]))
	return j[:i] + j[i+len(*v):], &at
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
const StoredEventJSON = `CASE WHEN eventJsonCutEventID IS NULL THEN (` + storedJ1 + `) ` +
	`ELSE left((` + storedJ1 + `), eventJsonCutEventID) || eventID || substr((` + storedJ1 + `), eventJsonCutEventID + 1) END`

const storedJ1 = `CASE WHEN eventJsonCutRequestID IS NULL THEN eventJson ` +
	`ELSE left(eventJson, eventJsonCutRequestID) || requestID || substr(eventJson, eventJsonCutRequestID + 1) END`

// StoredOnlyColumns are the segment columns that exist only to rebuild
// eventJson; views leave them out.
var StoredOnlyColumns = []string{"eventJsonCutEventID", "eventJsonCutRequestID"}
