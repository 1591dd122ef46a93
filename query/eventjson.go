package query

import (
	"strings"

	"github.com/auditlake/auditlake/lake"
)

// A segment stores eventJson without the text of eventID and requestID
// (lake/idcut.go), and the store views rebuild the original for every row
// that reads it. A JSON function with a constant path rarely needs the
// original: in the stored text each cut value is an empty string, and the
// rest is the same. So when every use of a store's eventJson in a
// statement is as the document of json_extract, json_extract_scalar or
// json_size with a path that pushdownPath accepts, those calls read the
// stored text instead (eventJSONCalls finds them, pushdownSQL says what
// they become), falling back to the rebuilt text for the rows where the
// answers could differ.
//
// The stored text reaches the calls through internal columns, which the
// store views have only for such statements (view.sql). They cannot be
// seen: such a statement has no *, no whole-row or positional reference to
// a store, no NATURAL join and no PIVOT, and names nothing starting with
// ejPrefix. And the calls find them in the same relations as eventJson:
// such a statement names nothing else eventJson, so store views are the
// only relations with that column.
//
// Which rows fall back. The writer cuts the first occurrence of "v" in the
// text (v the value, 8 bytes or more, no quote or backslash), which is not
// always the top-level member: an EC2 record's responseElements.requestId
// usually holds the request ID and comes first. If v also has no comma,
// colon or control character ("plain"), the cut text has the same JSON
// structure as the original (or both are malformed), and only the cut
// string changed: it became "" (the quotes were a string's own), or lost
// its end after an escaped quote (the first quote was \"). So an answer
// from the stored text is the original's unless
//   - a cut value is not plain (ejOK is false),
//   - the path names a member whose name may be a cut value (a cut key
//     makes the path miss), checked as the path containing a cut value, or
//   - the JSON the call returns contains "" (an empty string, or a string
//     ending in an escaped quote): it may hold a cut string.
// Those rows take the rebuilt text. json_size counts members and elements
// only, so it needs the first two checks only.
//
// Segments written since the writer cuts only the records' own eventID and
// requestID members (lake.Segment.KeyCuts) need none of this: their stored
// text is the original with those two strings emptied, and no pushed-down
// path reads them. When every segment of a view has the mark, the view's
// internal columns say "no cuts" (ejUncutColumns) and the calls read the
// stored text directly.

// Internal column names of the store views for statements whose JSON calls
// read the stored eventJson.
const (
	ejPrefix = "__auditlake_ej_"
	ejStored = ejPrefix + "stored" // eventJson as stored
	ejCutE   = ejPrefix + "cut_e"  // eventJsonCutEventID
	ejCutR   = ejPrefix + "cut_r"  // eventJsonCutRequestID
	ejIDE    = ejPrefix + "id_e"   // eventID
	ejIDR    = ejPrefix + "id_r"   // requestID
	ejOK     = ejPrefix + "ok"     // every cut value is plain
)

// ejColumns are the internal columns in the order of pushdownSQL's
// parameters $3 to $7 ($1 is ejStored, $2 the path).
var ejColumns = []string{ejCutE, ejCutR, ejIDE, ejIDR, ejOK}

// ejViewColumns is the select list that adds the internal columns to a
// view over segments whose eventJson has its IDs cut out, and
// ejUncutColumns the one for stored text that answers every pushed-down
// path as the original does: ActivityAuditLog stores, which have no cuts,
// and segments cut only at the records' own eventID and requestID members
// (lake.Segment.KeyCuts), which no pushed-down path reads. With it the
// calls read the stored text with no per-row checks.
var (
	ejViewColumns = "eventJson AS " + ejStored + ", eventJsonCutEventID AS " + ejCutE + ", eventJsonCutRequestID AS " + ejCutR +
		", eventID AS " + ejIDE + ", requestID AS " + ejIDR +
		", (eventJsonCutEventID IS NULL OR " + plainSQL("eventID") + ") AND (eventJsonCutRequestID IS NULL OR " + plainSQL("requestID") + ") AS " + ejOK
	ejUncutColumns = "eventJson AS " + ejStored + ", NULL::INTEGER AS " + ejCutE + ", NULL::INTEGER AS " + ejCutR +
		", NULL::VARCHAR AS " + ejIDE + ", NULL::VARCHAR AS " + ejIDR + ", true AS " + ejOK
)

// plainSQL is true when the value v is plain: not NULL, and no quote,
// backslash, comma, colon or control character (a JSON string of it is
// valid only without a control character or an unescaped quote).
func plainSQL(v string) string {
	return `coalesce(json_valid('"' || ` + v + ` || '"') AND NOT contains(` + v + `, '\') AND NOT contains(` + v + `, ',') AND NOT contains(` + v + `, ':'), false)`
}

// pushdownSQL returns the template that a call of f becomes when it reads
// the stored text: $1 is ejStored, $2 the path, $3 to $7 ejColumns.
//
// For json_extract and json_extract_scalar, the value from the stored text
// goes through one chain of functions that use it once each (DuckDB merges
// repeated subexpressions in a select list but not in WHERE, so a CASE on
// the value would parse the document again): it is the JSON text v behind
// chr(1), or "" for no value, or NULL when it may hold a cut string; NULL
// takes the same from the rebuilt text; and the part after chr(1), NULL
// for "", is converted to the function's result. JSON text has no control
// characters, so chr(1) and chr(2) mark it unambiguously.
func pushdownSQL(f jsonPathFn) string {
	rebuilt := "(" + lake.EventJSONSQL("$1", "$3", "$4", "$5", "$6") + ")"
	keysOK := "$7 AND ($3 IS NULL OR NOT contains($2, $5)) AND ($4 IS NULL OR NOT contains($2, $6))"
	if f.structure {
		return "CASE WHEN " + keysOK + " THEN " + f.on("$1") + " ELSE " + f.on(rebuilt) + " END"
	}
	value := func(doc string) string { return "coalesce(chr(1) || " + f.valueOf(doc) + ", '')" }
	fromStored := "CASE WHEN $3 IS NULL AND $4 IS NULL THEN " + value("$1") +
		" WHEN " + keysOK + " THEN string_split(regexp_replace(chr(2) || " + value("$1") + `, '(?s)^.*"".*$', ''), chr(2))[2] END`
	return strings.ReplaceAll(f.result, "$v", "string_split(coalesce("+fromStored+", "+value(rebuilt)+"), chr(1))[2]")
}

// pushdownPath reports whether a call with path p may read the stored
// text: a JSONPath of member names and array indexes ($.a.b[0].c) whose
// first step is a member other than eventID and requestID. Wildcards,
// recursive steps, quoted names and anything else keep the rebuilt text.
func pushdownPath(p string) bool {
	if !strings.HasPrefix(p, "$.") {
		return false
	}
	for i, step := range strings.Split(strings.ReplaceAll(p[2:], "[", ".["), ".") {
		switch {
		case i == 0 && (step == "eventID" || step == "requestID"):
			return false
		case strings.HasPrefix(step, "["):
			if i == 0 || len(step) < 3 || !strings.HasSuffix(step, "]") || strings.Trim(step[1:len(step)-1], "0123456789") != "" {
				return false
			}
		case step == "" || strings.Trim(step, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") != "":
			return false
		}
	}
	return true
}

// pushdownFunctions are the calls that may read the stored text.
var pushdownFunctions = map[string]jsonPathFn{
	"json_extract": jsonExtract, "json_extract_scalar": jsonExtractScalar, "json_size": jsonSize,
}

// eventJSONCalls returns the calls of node, a validated statement's tree,
// that may read the stored eventJson (by map identity, for the
// translator), or nil when the statement does anything that rules it out.
func eventJSONCalls(rw *rewritten, node map[string]any) map[uintptr]bool {
	s := &ejScan{stores: map[string]bool{}, calls: map[uintptr]bool{}, refs: map[uintptr]bool{}}
	for _, r := range rw.Refs {
		s.stores[strings.ToLower(r.Placeholder)] = true
	}
	s.storeNames(node)
	if !s.walk(node) || len(s.calls) == 0 {
		return nil
	}
	return s.calls
}

// ejScan is the state of eventJSONCalls.
type ejScan struct {
	stores map[string]bool  // lower-cased names store views go by: placeholders, aliases
	calls  map[uintptr]bool // eligible calls
	refs   map[uintptr]bool // their eventJson column references
}

// storeNames adds the aliases of the store views to s.stores.
func (s *ejScan) storeNames(v any) {
	switch v := v.(type) {
	case []any:
		for _, e := range v {
			s.storeNames(e)
		}
	case map[string]any:
		if name, _ := v["table_name"].(string); v["type"] == "BASE_TABLE" && s.stores[strings.ToLower(name)] {
			if a, _ := v["alias"].(string); a != "" {
				s.stores[strings.ToLower(a)] = true
			}
		}
		for _, e := range v {
			s.storeNames(e)
		}
	}
}

// walk checks every value under v, recording eligible calls; it returns
// false at the first thing that rules the statement out.
func (s *ejScan) walk(v any) bool {
	switch v := v.(type) {
	case string:
		l := strings.ToLower(v)
		return !strings.Contains(l, ejPrefix) && !strings.Contains(l, "eventjson")
	case []any:
		for _, e := range v {
			if !s.walk(e) {
				return false
			}
		}
		return true
	case map[string]any:
		return s.object(v)
	}
	return true
}

func (s *ejScan) object(m map[string]any) bool {
	switch m["class"] {
	case "STAR", "POSITIONAL_REFERENCE":
		return false
	case "COLUMN_REF":
		return s.columnRef(m)
	case "FUNCTION":
		s.call(m)
	}
	switch m["type"] {
	case "PIVOT":
		return false
	case "JOIN":
		if m["ref_type"] == "NATURAL" {
			return false
		}
	}
	for _, e := range m {
		if !s.walk(e) {
			return false
		}
	}
	return true
}

// columnRef checks a column reference: eventJson only where an eligible
// call reads it, no store view as a whole row, and no internal name.
func (s *ejScan) columnRef(m map[string]any) bool {
	parts, _ := m["column_names"].([]any)
	for i, p := range parts {
		name, _ := p.(string)
		l := strings.ToLower(name)
		switch {
		case strings.Contains(l, ejPrefix):
			return false
		case l == "eventjson" && !s.refs[nodeID(m)]:
			return false
		case i == len(parts)-1 && s.stores[l]:
			return false // the row of a store view as a struct
		}
	}
	if a, _ := m["alias"].(string); a != "" {
		return s.walk(a)
	}
	return true
}

// call records m if it is an eligible call: a plain call of a function of
// pushdownFunctions whose document is eventJson, unqualified or qualified
// by a store view's name, and whose path is a constant pushdownPath
// accepts.
func (s *ejScan) call(m map[string]any) {
	name, _ := m["function_name"].(string)
	if _, ok := pushdownFunctions[strings.ToLower(name)]; !ok {
		return
	}
	if op, _ := m["is_operator"].(bool); op || m["schema"] != "" || m["catalog"] != "" || m["distinct"] != false || m["filter"] != nil {
		return
	}
	if ob, _ := m["order_bys"].(map[string]any); ob != nil {
		if orders, _ := ob["orders"].([]any); len(orders) > 0 {
			return
		}
	}
	a := args(m)
	if len(a) != 2 {
		return
	}
	doc, _ := a[0].(map[string]any)
	if p, ok := constString(a[1]); doc["class"] != "COLUMN_REF" || !ok || !pushdownPath(p) {
		return
	}
	parts, _ := doc["column_names"].([]any)
	if len(parts) == 0 || len(parts) > 2 {
		return
	}
	if last, _ := parts[len(parts)-1].(string); !strings.EqualFold(last, "eventJson") {
		return
	}
	if len(parts) == 2 {
		if q, _ := parts[0].(string); !s.stores[strings.ToLower(q)] {
			return
		}
	}
	s.calls[nodeID(m)] = true
	s.refs[nodeID(doc)] = true
}

// pushdownArgs are pushdownSQL's parameters for a call's arguments: the
// path, and the internal columns of the relation its eventJson reference
// names.
func pushdownArgs(a []any) []any {
	doc, _ := a[0].(map[string]any)
	col := func(name string) any {
		c, _ := deepCopy(doc).(map[string]any)
		parts, _ := c["column_names"].([]any)
		parts[len(parts)-1] = name
		c["alias"] = ""
		return c
	}
	out := []any{col(ejStored), a[1]}
	for _, n := range ejColumns {
		out = append(out, col(n))
	}
	return out
}
