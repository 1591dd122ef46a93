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
// eventTime, or eventTime truncated to a day or a unit, compared (=, <,
// <=, >, >=, BETWEEN, IN) with a value fixed at query start (consttime.go:
// literals, now() and arithmetic on them), the column unqualified or
// qualified by the table's alias. Anything else
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

// conjunctRange returns the bounds one conjunct puts on t's eventTime,
// each already widened by the slack of its value.
func conjunctRange(c map[string]any, t tableName) (from, to time.Time) {
	switch c["class"] {
	case "BETWEEN":
		if c["type"] != "COMPARE_BETWEEN" || !isEventTime(c["input"], t) {
			return
		}
		if v, slack, ok := evalTime(c["lower"]); ok {
			from = v.Add(-slack)
		}
		if v, slack, ok := evalTime(c["upper"]); ok {
			to = v.Add(slack)
		}
		return from, to
	case "OPERATOR":
		if c["type"] == "COMPARE_IN" {
			return inRange(args(c), t)
		}
	case "COMPARISON":
		op, _ := c["type"].(string)
		col, lit := c["left"], c["right"]
		if _, ok := eventTimeSpan(col, t); !ok {
			col, lit, op = c["right"], c["left"], flipComparison[op]
		}
		span, ok := eventTimeSpan(col, t)
		if !ok {
			return
		}
		v, slack, ok := evalTime(lit)
		if !ok {
			return
		}
		// A truncated eventTime (date(eventTime) = v) lies in [v, v+span).
		// When v is not itself a whole unit, the lower bound also moves
		// one span back.
		lo, hi := v.Add(-slack), v.Add(slack+span)
		if span > 0 && (span > 24*time.Hour || !v.Truncate(span).Equal(v)) {
			lo = lo.Add(-span)
		}
		switch op {
		case "COMPARE_EQUAL":
			return lo, hi
		case "COMPARE_GREATERTHAN", "COMPARE_GREATERTHANOREQUALTO":
			return lo, time.Time{}
		case "COMPARE_LESSTHAN", "COMPARE_LESSTHANOREQUALTO":
			return time.Time{}, hi
		}
	}
	return
}

// inRange is the range of eventTime IN (v1, v2, ...): from the least to
// the greatest value, when every value is a constant.
func inRange(list []any, t tableName) (from, to time.Time) {
	if len(list) < 2 || !isEventTime(list[0], t) {
		return
	}
	for _, e := range list[1:] {
		v, slack, ok := evalTime(e)
		if !ok {
			return time.Time{}, time.Time{}
		}
		if lo := v.Add(-slack); from.IsZero() || lo.Before(from) {
			from = lo
		}
		if hi := v.Add(slack); to.IsZero() || hi.After(to) {
			to = hi
		}
	}
	return from, to
}

// eventTimeSpan reports whether e is t's eventTime, or eventTime truncated
// to a unit (date(eventTime), CAST(eventTime AS DATE),
// date_trunc('day', eventTime)), and the length of that unit (0 for
// eventTime itself).
func eventTimeSpan(e any, t tableName) (time.Duration, bool) {
	if isEventTime(e, t) {
		return 0, true
	}
	m, ok := e.(map[string]any)
	if !ok {
		return 0, false
	}
	switch m["class"] {
	case "CAST":
		ct, _ := m["cast_type"].(map[string]any)
		if tc, _ := m["try_cast"].(bool); !tc && ct["id"] == "DATE" && isEventTime(m["child"], t) {
			return 24 * time.Hour, true
		}
	case "FUNCTION":
		name, _ := m["function_name"].(string)
		a := args(m)
		switch strings.ToLower(name) {
		case "date":
			if len(a) == 1 && isEventTime(a[0], t) {
				return 24 * time.Hour, true
			}
		case "date_trunc":
			if len(a) != 2 || !isEventTime(a[1], t) {
				break
			}
			if unit, ok := constString(a[0]); ok {
				return unitSpan(unit)
			}
		}
	}
	return 0, false
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

// timeLiteralSlack evaluates a string literal, TIMESTAMP '...', DATE '...'
// or CAST('...' AS TIMESTAMP|DATE) in the forms DuckDB and CloudTrail Lake
// users write, with its slack: none, or the largest zone offset when the
// literal names a zone other than UTC (DuckDB's TIMESTAMP drops such an
// offset where TIMESTAMP WITH TIME ZONE applies it; the bound covers
// both).
func timeLiteralSlack(e any) (time.Time, time.Duration, bool) {
	m, ok := e.(map[string]any)
	if !ok {
		return time.Time{}, 0, false
	}
	isDate := false
	if m["class"] == "CAST" {
		if tc, _ := m["try_cast"].(bool); tc || !isTimeCast(m) {
			return time.Time{}, 0, false
		}
		ct, _ := m["cast_type"].(map[string]any)
		isDate = ct["id"] == "DATE"
		if m, ok = m["child"].(map[string]any); !ok {
			return time.Time{}, 0, false
		}
	}
	s, ok := constString(m)
	if !ok {
		return time.Time{}, 0, false
	}
	v, zoned, ok := parseZonedLiteral(s)
	if !ok {
		return time.Time{}, 0, false
	}
	var slack time.Duration
	if zoned {
		slack = maxZoneOffset
	}
	if isDate {
		v = truncDay(v)
	}
	return v, slack, true
}

// isTimeCast reports whether a CAST node casts to a timestamp or a date.
func isTimeCast(m map[string]any) bool {
	ct, _ := m["cast_type"].(map[string]any)
	switch ct["id"] {
	case "TIMESTAMP", "TIMESTAMP WITH TIME ZONE", "TIMESTAMP_TZ", "TIMESTAMP_MS", "TIMESTAMP_S", "TIMESTAMP_NS", "DATE":
		return true
	}
	return false
}

// timeLayouts are the literal forms pruning understands, read as UTC
// (sessions run with TimeZone=UTC). A trailing Z, " UTC" or a zero
// offset is UTC too.
var timeLayouts = []string{
	"2006-01-02",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04",
	"2006-01-02T15:04",
}

// zoneLayouts are the offset suffixes of a literal that names its zone.
var zoneLayouts = []string{"Z07:00", "Z0700", "Z07", " Z07:00", " Z0700", " Z07"}

// parseTimeLiteral parses a literal that is UTC, or says so.
func parseTimeLiteral(s string) (time.Time, bool) {
	v, zoned, ok := parseZonedLiteral(s)
	return v, ok && !zoned
}

// parseZonedLiteral parses a time literal, applying an explicit offset, and
// reports whether the literal names a zone other than UTC.
func parseZonedLiteral(s string) (v time.Time, zoned, ok bool) {
	for _, suffix := range []string{"Z", " UTC", "+00", "+00:00", "+0000"} {
		if base, cut := strings.CutSuffix(s, suffix); cut && len(base) > 10 {
			s = base
			break
		}
	}
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), false, true
		}
		if len(l) <= 10 {
			continue // a date has no zone
		}
		for _, z := range zoneLayouts {
			if t, err := time.Parse(l+z, s); err == nil {
				return t.UTC(), true, true
			}
		}
	}
	return time.Time{}, false, false
}
