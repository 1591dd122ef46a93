package query

import (
	"strings"
)

// Map lambdas, regexp_position and approx_most_frequent, which DuckDB has
// no function for, are built from map_entries and list lambdas.

// mapLambda translates map_filter(m, (k, v) -> p), transform_keys(m, (k,
// v) -> k2) and transform_values(m, (k, v) -> v2): the lambda runs over
// map_entries(m), with k and v read from each entry.
func mapLambda(tmpl string) func(*translator, map[string]any, []any) (any, error) {
	return func(t *translator, call map[string]any, a []any) (any, error) {
		name, _ := call["function_name"].(string)
		name = strings.ToLower(name)
		if len(a) != 2 {
			return nil, t.fail(call, "function %s takes 2 arguments: a map and a lambda (k, v) -> ...", name)
		}
		l, ok := lambdaParts(a[1])
		params := lambdaParams(l)
		if !ok || len(params) != 2 {
			return nil, t.fail(call, "the second argument of %s must be a lambda with two parameters, such as (k, v) -> v IS NOT NULL", name)
		}
		key, err := t.expand("__e.key")
		if err != nil {
			return nil, err
		}
		value, err := t.expand("__e.value")
		if err != nil {
			return nil, err
		}
		body := replaceColumn(l["expr"], params[0], key)
		body = replaceColumn(body, params[1], value)
		return t.expand(tmpl, a[0], body)
	}
}

// lambdaParams returns the names of a lambda's parameters.
func lambdaParams(l map[string]any) []string {
	lhs, _ := l["lhs"].(map[string]any)
	refs := []any{lhs}
	if lhs["class"] == "FUNCTION" {
		refs = args(lhs)
	}
	var names []string
	for _, r := range refs {
		m, _ := r.(map[string]any)
		parts, _ := m["column_names"].([]any)
		if m["class"] != "COLUMN_REF" || len(parts) != 1 {
			return nil
		}
		s, _ := parts[0].(string)
		names = append(names, s)
	}
	return names
}

// regexpPosition is Trino's regexp_position(s, pattern[, start]): the
// 1-based position of the first match (from start), -1 when there is none.
// The pattern must be a literal: the position is the length of the
// shortest prefix the match can follow.
func regexpPosition(t *translator, call map[string]any, a []any) (any, error) {
	if len(a) == 4 {
		return nil, t.fail(call, "regexp_position with an occurrence argument is not supported; use regexp_extract_all")
	}
	if len(a) != 2 && len(a) != 3 {
		return nil, t.fail(call, "function regexp_position takes 2 or 3 arguments")
	}
	p, ok := constString(a[1])
	if !ok {
		return nil, t.fail(call, "regexp_position needs a literal pattern")
	}
	if err := t.checkRegexp(call, a[1]); err != nil {
		return nil, err
	}
	prefix := stringConst("^(?s:(.*?))(?:" + p + ")")
	if len(a) == 2 {
		return t.expand("CASE regexp_matches($1, $2) WHEN true THEN length(regexp_extract($1, $3, 1)) + 1 WHEN false THEN -1 END", a[0], a[1], prefix)
	}
	return t.expand("CASE regexp_matches(substr($1, $3), $2) WHEN true THEN length(regexp_extract(substr($1, $3), $4, 1)) + $3 WHEN false THEN -1 END", a[0], a[1], a[2], prefix)
}

// isMapExpr reports whether n evidently is a map: a map column of the
// store, or a function or cast that makes one.
func isMapExpr(n any) bool {
	m, _ := n.(map[string]any)
	switch m["class"] {
	case "COLUMN_REF":
		parts, _ := m["column_names"].([]any)
		last, _ := parts[len(parts)-1].(string)
		return mapColumns[strings.ToLower(last)]
	case "FUNCTION":
		switch name, _ := m["function_name"].(string); strings.ToLower(name) {
		case "map", "map_from_entries", "histogram", "map_concat":
			return true
		}
	case "CAST":
		ct, _ := m["cast_type"].(map[string]any)
		return ct["id"] == "MAP"
	case "OPERATOR":
		if m["type"] == "STRUCT_EXTRACT" {
			if name, ok := constString(args(m)[len(args(m))-1]); ok {
				return mapColumns[strings.ToLower(name)]
			}
		}
	}
	return false
}

// isRowList reports whether n evidently is an array of rows: the
// resources column.
func isRowList(n any) bool {
	m, _ := n.(map[string]any)
	if m["class"] != "COLUMN_REF" {
		return false
	}
	parts, _ := m["column_names"].([]any)
	last, _ := parts[len(parts)-1].(string)
	return listColumns[strings.ToLower(last)]
}
