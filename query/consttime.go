package query

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"
)

// Time pruning evaluates the expressions whose value is fixed before the
// query runs: literals in the forms users write, the current time (already
// a constant, see clock.go), and arithmetic on them as CloudTrail Lake
// queries write it: now() - INTERVAL '7' DAY, date_add('day', -7, now()),
// current_timestamp - interval '1' hour, from_iso8601_timestamp('...'),
// date_trunc('day', now()), date '2024-01-02'. Each value comes with a
// slack: how far the engine's own arithmetic may differ from Go's (month
// ends, zone offsets that DuckDB may read differently), by which the bound
// is widened. Anything else is not a constant here, and leaves the bound
// open.

// maxZoneOffset is the largest offset of a time zone from UTC.
const maxZoneOffset = 14 * time.Hour

// monthSlack covers the difference between Go's month arithmetic, which
// normalizes January 31 + 1 month to March 2 or 3, and SQL's, which
// clamps it to the last day of February.
const monthSlack = 3 * 24 * time.Hour

// evalTime evaluates e to an instant, with the slack the bound must be
// widened by.
func evalTime(e any) (time.Time, time.Duration, bool) {
	if v, slack, ok := timeLiteralSlack(e); ok {
		return v, slack, true
	}
	m, ok := e.(map[string]any)
	if !ok {
		return time.Time{}, 0, false
	}
	switch m["class"] {
	case "CAST":
		if tc, _ := m["try_cast"].(bool); tc || !isTimeCast(m) {
			return time.Time{}, 0, false
		}
		v, slack, ok := evalTime(m["child"])
		if ct, _ := m["cast_type"].(map[string]any); ok && ct["id"] == "DATE" {
			v = truncDay(v)
		}
		return v, slack, ok
	case "FUNCTION":
		return evalTimeFunction(m)
	}
	return time.Time{}, 0, false
}

// evalTimeFunction evaluates the functions and operators evalTime knows.
func evalTimeFunction(m map[string]any) (time.Time, time.Duration, bool) {
	name, _ := m["function_name"].(string)
	a := args(m)
	switch strings.ToLower(name) {
	case "+", "-":
		if len(a) == 2 {
			return evalArith(name, a[0], a[1])
		}
	case "date_add":
		if len(a) != 3 {
			break
		}
		unit, ok1 := constString(a[0])
		n, ok2 := evalNumber(a[1])
		v, slack, ok3 := evalTime(a[2])
		if !ok1 || !ok2 || !ok3 || n != math.Trunc(n) {
			break
		}
		iv, ok := unitInterval(unit, n)
		if !ok {
			break
		}
		return iv.addTo(v, 1, slack)
	case "date_trunc":
		if len(a) != 2 {
			break
		}
		unit, ok1 := constString(a[0])
		v, slack, ok2 := evalTime(a[1])
		span, ok3 := unitSpan(unit)
		if !ok1 || !ok2 || !ok3 {
			break
		}
		// The truncated value lies within one unit before v.
		return v.Add(-span / 2), slack + span/2 + time.Second, true
	case "date", "from_iso8601_date":
		if len(a) != 1 {
			break
		}
		if v, slack, ok := evalTime(a[0]); ok {
			return truncDay(v), slack, true
		}
	case "from_iso8601_timestamp":
		if len(a) == 1 {
			return timeLiteralSlack(a[0])
		}
	case "from_unixtime":
		if len(a) != 1 {
			break
		}
		if n, ok := evalNumber(a[0]); ok && math.Abs(n) < 1e11 {
			sec, frac := math.Modf(n)
			return time.Unix(int64(sec), int64(frac*1e9)).UTC(), time.Millisecond, true
		}
	}
	return time.Time{}, 0, false
}

// evalArith evaluates time + interval, interval + time and time - interval.
func evalArith(op string, x, y any) (time.Time, time.Duration, bool) {
	sign := 1
	if op == "-" {
		sign = -1
	}
	if v, slack, ok := evalTime(x); ok {
		if iv, ok := evalInterval(y); ok {
			return iv.addTo(v, sign, slack)
		}
	}
	if iv, ok := evalInterval(x); ok && sign == 1 {
		if v, slack, ok := evalTime(y); ok {
			return iv.addTo(v, 1, slack)
		}
	}
	return time.Time{}, 0, false
}

// interval is an amount of months plus a duration.
type interval struct {
	months int
	dur    time.Duration
}

func (iv interval) addTo(v time.Time, sign int, slack time.Duration) (time.Time, time.Duration, bool) {
	if iv.months != 0 {
		v = v.AddDate(0, sign*iv.months, 0)
		slack += monthSlack
	}
	return v.Add(time.Duration(sign) * iv.dur), slack, true
}

// unitInterval is n units of a date_add/INTERVAL unit.
func unitInterval(unit string, n float64) (interval, bool) {
	if math.Abs(n) > 1e6 {
		return interval{}, false
	}
	switch strings.TrimSuffix(strings.ToLower(strings.TrimSpace(unit)), "s") {
	case "millisecond":
		return interval{dur: time.Duration(n * float64(time.Millisecond))}, true
	case "second":
		return interval{dur: time.Duration(n * float64(time.Second))}, true
	case "minute":
		return interval{dur: time.Duration(n * float64(time.Minute))}, true
	case "hour":
		return interval{dur: time.Duration(n * float64(time.Hour))}, true
	case "day":
		return interval{dur: time.Duration(n * float64(24*time.Hour))}, true
	case "week":
		return interval{dur: time.Duration(n * float64(7*24*time.Hour))}, true
	case "month":
		return interval{months: int(n)}, n == math.Trunc(n)
	case "quarter":
		return interval{months: 3 * int(n)}, n == math.Trunc(n)
	case "year":
		return interval{months: 12 * int(n)}, n == math.Trunc(n)
	}
	return interval{}, false
}

// unitSpan is the longest length of one date_trunc unit.
func unitSpan(unit string) (time.Duration, bool) {
	switch strings.ToLower(unit) {
	case "millisecond":
		return time.Millisecond, true
	case "second":
		return time.Second, true
	case "minute":
		return time.Minute, true
	case "hour":
		return time.Hour, true
	case "day":
		return 24 * time.Hour, true
	case "week":
		return 7 * 24 * time.Hour, true
	case "month":
		return 31 * 24 * time.Hour, true
	case "quarter":
		return 92 * 24 * time.Hour, true
	case "year":
		return 366 * 24 * time.Hour, true
	}
	return 0, false
}

// evalInterval evaluates INTERVAL '7' DAY (DuckDB's parser makes it
// to_days(...)), INTERVAL '7 days' (a cast) and their negations.
func evalInterval(e any) (interval, bool) {
	m, ok := e.(map[string]any)
	if !ok {
		return interval{}, false
	}
	switch m["class"] {
	case "FUNCTION":
		name, _ := m["function_name"].(string)
		a := args(m)
		if name == "-" && len(a) == 1 {
			iv, ok := evalInterval(a[0])
			return interval{-iv.months, -iv.dur}, ok
		}
		unit, isTo := strings.CutPrefix(strings.ToLower(name), "to_")
		if !isTo || len(a) != 1 {
			return interval{}, false
		}
		n, ok := evalNumber(a[0])
		if !ok {
			return interval{}, false
		}
		return unitInterval(unit, n)
	case "CAST":
		ct, _ := m["cast_type"].(map[string]any)
		s, ok := constString(m["child"])
		if ct["id"] != "INTERVAL" || !ok {
			return interval{}, false
		}
		f := strings.Fields(s)
		if len(f) != 2 {
			return interval{}, false
		}
		n, err := strconv.ParseFloat(f[0], 64)
		if err != nil {
			return interval{}, false
		}
		return unitInterval(f[1], n)
	}
	return interval{}, false
}

// evalNumber evaluates a numeric constant, through casts, trunc and
// unary minus.
func evalNumber(e any) (float64, bool) {
	m, ok := e.(map[string]any)
	if !ok {
		return 0, false
	}
	switch m["class"] {
	case "CONSTANT":
		val, _ := m["value"].(map[string]any)
		if isNull, _ := val["is_null"].(bool); isNull {
			return 0, false
		}
		switch v := val["value"].(type) {
		case json.Number:
			f, err := v.Float64()
			return f, err == nil
		case float64:
			return v, true
		case string:
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			return f, err == nil
		}
	case "CAST":
		if tc, _ := m["try_cast"].(bool); tc {
			return 0, false
		}
		return evalNumber(m["child"])
	case "FUNCTION":
		name, _ := m["function_name"].(string)
		a := args(m)
		switch {
		case name == "-" && len(a) == 1:
			f, ok := evalNumber(a[0])
			return -f, ok
		case strings.EqualFold(name, "trunc") && len(a) == 1:
			f, ok := evalNumber(a[0])
			return math.Trunc(f), ok
		}
	}
	return 0, false
}

func truncDay(v time.Time) time.Time {
	y, mo, d := v.UTC().Date()
	return time.Date(y, mo, d, 0, 0, 0, 0, time.UTC)
}
