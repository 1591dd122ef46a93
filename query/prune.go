package query

import (
	"strings"
	"time"
)

// TimeRange is an inclusive eventTime range. A zero bound is unbounded.
type TimeRange struct {
	From, To time.Time
}

// pruneSlack widens every bound that pruning derives, so that rounding of
// sub-second literals can never drop a matching row.
const pruneSlack = time.Second

// timeRanges returns, for each table name (lower-cased) that node reads as
// a base table, the eventTime range implied by the top-level AND-ed
// conjuncts of the WHERE clause of the SELECT whose FROM names it:
// eventTime compared (=, <, <=, >, >=, BETWEEN) with a timestamp literal,
// the column unqualified or qualified by the table's alias. Anything else
// leaves that bound open. A table read in several places gets the union of
// its ranges, and one read anywhere the analysis does not cover is
// unbounded. The result never excludes a row the statement could return.
func timeRanges(node map[string]any) map[string]TimeRange {
	occurrences := map[string]int{}
	found := map[string][]TimeRange{}
	walkJSON(node, func(m map[string]any) {
		switch m["type"] {
		case "BASE_TABLE":
			if _, isRef := m["sample"]; isRef {
				name, _ := m["table_name"].(string)
				occurrences[strings.ToLower(name)]++
			}
		case "SELECT_NODE":
			var tables []tableName
			directTables(m["from_table"], &tables)
			where, _ := m["where_clause"].(map[string]any)
			for _, t := range tables {
				found[t.name] = append(found[t.name], whereRange(where, t))
			}
		}
	})
	out := make(map[string]TimeRange, len(occurrences))
	for name, n := range occurrences {
		rs := found[name]
		if len(rs) != n {
			out[name] = TimeRange{}
			continue
		}
		out[name] = hull(rs)
	}
	return out
}

// hull returns the smallest range that contains all of rs.
func hull(rs []TimeRange) TimeRange {
	h := rs[0]
	for _, r := range rs[1:] {
		if h.From.IsZero() || r.From.IsZero() {
			h.From = time.Time{}
		} else if r.From.Before(h.From) {
			h.From = r.From
		}
		if h.To.IsZero() || r.To.IsZero() {
			h.To = time.Time{}
		} else if r.To.After(h.To) {
			h.To = r.To
		}
	}
	return h
}

// walkJSON calls fn for every object under v, parents first.
func walkJSON(v any, fn func(map[string]any)) {
	switch v := v.(type) {
	case []any:
		for _, e := range v {
			walkJSON(e, fn)
		}
	case map[string]any:
		fn(v)
		for _, e := range v {
			walkJSON(e, fn)
		}
	}
}

type tableName struct {
	name string // lower-cased table name
	qual string // lower-cased name columns are qualified with: the alias, else the name
}

// directTables lists the base tables of a FROM clause, through joins but
// not into subqueries.
func directTables(ref any, out *[]tableName) {
	m, ok := ref.(map[string]any)
	if !ok {
		return
	}
	switch m["type"] {
	case "JOIN":
		directTables(m["left"], out)
		directTables(m["right"], out)
	case "BASE_TABLE":
		name, _ := m["table_name"].(string)
		alias, _ := m["alias"].(string)
		t := tableName{name: strings.ToLower(name), qual: strings.ToLower(alias)}
		if t.qual == "" {
			t.qual = t.name
		}
		*out = append(*out, t)
	}
}

// whereRange returns the eventTime range of table t implied by where.
func whereRange(where map[string]any, t tableName) TimeRange {
	var r TimeRange
	for _, c := range conjuncts(where, nil) {
		from, to := conjunctRange(c, t)
		if !from.IsZero() && (r.From.IsZero() || from.After(r.From)) {
			r.From = from
		}
		if !to.IsZero() && (r.To.IsZero() || to.Before(r.To)) {
			r.To = to
		}
	}
	if !r.From.IsZero() {
		r.From = r.From.Add(-pruneSlack)
	}
	if !r.To.IsZero() {
		r.To = r.To.Add(pruneSlack)
	}
	return r
}

// conjuncts flattens top-level ANDs.
func conjuncts(e map[string]any, out []map[string]any) []map[string]any {
	if e == nil {
		return out
	}
	if e["type"] == "CONJUNCTION_AND" {
		children, _ := e["children"].([]any)
		for _, c := range children {
			if cm, ok := c.(map[string]any); ok {
				out = conjuncts(cm, out)
			}
		}
		return out
	}
	return append(out, e)
}

// conjunctRange returns the bounds one conjunct puts on t's eventTime.
func conjunctRange(c map[string]any, t tableName) (from, to time.Time) {
	switch c["class"] {
	case "BETWEEN":
		if c["type"] != "COMPARE_BETWEEN" || !isEventTime(c["input"], t) {
			return
		}
		from, _ = timeLiteral(c["lower"])
		to, _ = timeLiteral(c["upper"])
		return from, to
	case "COMPARISON":
		op, _ := c["type"].(string)
		lit := c["right"]
		if !isEventTime(c["left"], t) {
			if !isEventTime(c["right"], t) {
				return
			}
			lit, op = c["left"], flipComparison[op]
		}
		v, ok := timeLiteral(lit)
		if !ok {
			return
		}
		switch op {
		case "COMPARE_EQUAL":
			return v, v
		case "COMPARE_GREATERTHAN", "COMPARE_GREATERTHANOREQUALTO":
			return v, time.Time{}
		case "COMPARE_LESSTHAN", "COMPARE_LESSTHANOREQUALTO":
			return time.Time{}, v
		}
	}
	return
}

var flipComparison = map[string]string{
	"COMPARE_EQUAL":                "COMPARE_EQUAL",
	"COMPARE_GREATERTHAN":          "COMPARE_LESSTHAN",
	"COMPARE_GREATERTHANOREQUALTO": "COMPARE_LESSTHANOREQUALTO",
	"COMPARE_LESSTHAN":             "COMPARE_GREATERTHAN",
	"COMPARE_LESSTHANOREQUALTO":    "COMPARE_GREATERTHANOREQUALTO",
}

// isEventTime reports whether e is the eventTime column of t.
func isEventTime(e any, t tableName) bool {
	m, ok := e.(map[string]any)
	if !ok || m["class"] != "COLUMN_REF" {
		return false
	}
	parts, _ := m["column_names"].([]any)
	name := func(i int) string {
		s, _ := parts[i].(string)
		return strings.ToLower(s)
	}
	switch len(parts) {
	case 1:
		return name(0) == "eventtime"
	case 2:
		return name(0) == t.qual && name(1) == "eventtime"
	}
	return false
}

// timeLiteral evaluates a string literal, TIMESTAMP '...', DATE '...' or
// CAST('...' AS TIMESTAMP|DATE) in the forms DuckDB and CloudTrail Lake
// users write. Everything else is not a literal it knows.
func timeLiteral(e any) (time.Time, bool) {
	m, ok := e.(map[string]any)
	if !ok {
		return time.Time{}, false
	}
	if m["class"] == "CAST" {
		if tc, _ := m["try_cast"].(bool); tc {
			return time.Time{}, false
		}
		ct, _ := m["cast_type"].(map[string]any)
		switch ct["id"] {
		case "TIMESTAMP", "TIMESTAMP WITH TIME ZONE", "TIMESTAMP_TZ", "TIMESTAMP_MS", "TIMESTAMP_S", "TIMESTAMP_NS", "DATE":
		default:
			return time.Time{}, false
		}
		m, ok = m["child"].(map[string]any)
		if !ok {
			return time.Time{}, false
		}
	}
	if m["class"] != "CONSTANT" {
		return time.Time{}, false
	}
	val, _ := m["value"].(map[string]any)
	typ, _ := val["type"].(map[string]any)
	s, ok := val["value"].(string)
	if !ok || typ["id"] != "VARCHAR" {
		return time.Time{}, false
	}
	return parseTimeLiteral(s)
}

// timeLayouts are the literal forms pruning understands, all read as UTC
// (sessions run with TimeZone=UTC). A trailing Z is accepted; other zone
// offsets are not, and leave the bound open.
var timeLayouts = []string{
	"2006-01-02",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999Z",
	"2006-01-02T15:04:05.999999999Z",
	"2006-01-02 15:04",
	"2006-01-02T15:04",
}

func parseTimeLiteral(s string) (time.Time, bool) {
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}
