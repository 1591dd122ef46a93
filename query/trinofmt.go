package query

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"

	"github.com/duckdb/duckdb-go/v2"
)

// Values in result text (CSV cells, the table, GetQueryResults) are
// formatted as Trino, and so CloudTrail Lake, formats them: maps as
// {key=value, ...}, arrays as [a, b], rows as {field=value, ...}, NULL
// inside them as null, doubles as Java prints them (1.0, 2.5E-4, 1.0E7),
// JSON as its text, and timestamps as 2023-01-22 16:53:53.000.

// appendTrino appends v, a value of type t, in Trino's text form. Nested
// NULLs are "null"; a top-level NULL is handled by the caller.
func appendTrino(b []byte, v any, t *dtype) []byte {
	if t != nil && t.name == "JSON" {
		return appendJSONText(b, v)
	}
	switch v := v.(type) {
	case nil:
		return append(b, "null"...)
	case string:
		return append(b, v...)
	case float64:
		return append(b, javaDouble(v, 64)...)
	case float32:
		return append(b, javaDouble(float64(v), 32)...)
	case duckdb.Union:
		return appendTrino(b, v.Value, t.member(v.Tag))
	case duckdb.OrderedMap:
		kt, vt := t.mapTypes()
		b = append(b, '{')
		for i, k := range v.Keys() {
			if i > 0 {
				b = append(b, ", "...)
			}
			b = appendTrino(b, k, kt)
			b = append(b, '=')
			b = appendTrino(b, v.Values()[i], vt)
		}
		return append(b, '}')
	case map[string]any:
		b = append(b, '{')
		for i, k := range structKeys(v, t) {
			if i > 0 {
				b = append(b, ", "...)
			}
			b = append(b, k...)
			b = append(b, '=')
			b = appendTrino(b, v[k], t.member(k))
		}
		return append(b, '}')
	case []any:
		b = append(b, '[')
		for i, e := range v {
			if i > 0 {
				b = append(b, ", "...)
			}
			b = appendTrino(b, e, t.elemType())
		}
		return append(b, ']')
	}
	return append(b, scalarText(v, t)...)
}

// appendJSONText writes a JSON value that duckdb-go decoded back as JSON
// text. Object keys come out sorted.
func appendJSONText(b []byte, v any) []byte {
	if s, ok := v.(string); ok && json.Valid([]byte(s)) && strings.TrimSpace(s) != "" {
		if c := strings.TrimSpace(s)[0]; c == '{' || c == '[' {
			return append(b, s...)
		}
	}
	out, err := json.Marshal(v)
	if err != nil {
		return append(b, "null"...)
	}
	return append(b, out...)
}

// structKeys returns a struct value's fields in declaration order; fields
// the type does not list follow, sorted.
func structKeys(v map[string]any, t *dtype) []string {
	var keys []string
	seen := map[string]bool{}
	if t != nil {
		for _, f := range t.fields {
			if _, ok := v[f.name]; ok && !seen[f.name] {
				keys = append(keys, f.name)
				seen[f.name] = true
			}
		}
	}
	start := len(keys)
	for k := range v {
		if !seen[k] {
			keys = append(keys, k)
		}
	}
	rest := keys[start:]
	for i := 1; i < len(rest); i++ {
		for j := i; j > 0 && rest[j] < rest[j-1]; j-- {
			rest[j], rest[j-1] = rest[j-1], rest[j]
		}
	}
	return keys
}

// javaDouble formats f as Java's Double.toString does (shortest digits):
// plain notation with at least one decimal between 1e-3 and 1e7,
// scientific notation (1.0E7, 1.5E-4) outside it.
func javaDouble(f float64, bits int) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case f == 0:
		if math.Signbit(f) {
			return "-0.0"
		}
		return "0.0"
	}
	if a := math.Abs(f); a >= 1e-3 && a < 1e7 {
		s := strconv.FormatFloat(f, 'f', -1, bits)
		if !strings.Contains(s, ".") {
			s += ".0"
		}
		return s
	}
	s := strconv.FormatFloat(f, 'E', -1, bits) // 1.5E-04, 1E+07
	mant, exp, _ := strings.Cut(s, "E")
	if !strings.Contains(mant, ".") {
		mant += ".0"
	}
	e, _ := strconv.Atoi(exp)
	return mant + "E" + strconv.Itoa(e)
}
