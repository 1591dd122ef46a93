package query

import (
	"reflect"
	"strings"
)

// The JSON functions of a document and a path. json_size keeps its
// general translation, except when it reads the stored eventJson
// (eventjson.go).
//
// json_extract and json_extract_scalar give NULL for text that is not
// JSON, as in Trino, where DuckDB's functions fail. The general
// translation asks json_valid first and, for json_extract_scalar,
// json_type, so DuckDB reads the document two or three times. With a
// constant path that selects a single value, try() gives the same answers
// (the path is checked when the statement is bound, so the only error left
// is malformed JSON) and the document is read once: json_value is NULL for
// objects and arrays, and json_extract_string(v, '$') unquotes the scalar
// it returns. Paths with a wildcard or a recursive step ("*", "..") make
// DuckDB return a list, which the general translation refuses with an
// error, so they keep it.
var (
	jsonExtractScalar = jsonPathFn{
		general: "CASE WHEN json_valid($1) AND json_type($1, $2) NOT IN ('OBJECT', 'ARRAY') THEN json_extract_string($1, $2) END",
		value:   "CAST(try(json_value($1, $2)) AS VARCHAR)",
		result:  "json_extract_string($v, '$')",
	}
	jsonExtract = jsonPathFn{
		general: "CASE WHEN json_valid($1) THEN CAST(json_extract($1, $2) AS VARCHAR) END",
		value:   "CAST(try(json_extract($1, $2)) AS VARCHAR)",
		result:  "$v",
		json:    true,
	}
	jsonSize = jsonPathFn{
		general: "CASE WHEN json_valid($1) THEN CASE WHEN json_type($1, $2) IS NULL THEN NULL WHEN json_type($1, $2) = 'ARRAY' THEN json_array_length($1, $2) " +
			"WHEN json_type($1, $2) = 'OBJECT' THEN len(json_keys($1, $2)) ELSE 0 END END",
		structure: true,
	}
)

// jsonPathFn translates a JSON function of a document ($1) and a path
// ($2).
type jsonPathFn struct {
	general string // any path
	// value is the JSON text of the value at a single-value path (NULL for
	// none, or a document that is not JSON), result the function's result
	// from it ($v); "" when the function has no such form.
	value, result string
	json          bool // the result is JSON text
	structure     bool // the result depends on the document's structure only, not on its strings
}

func (f jsonPathFn) translate(t *translator, call map[string]any, a []any) (any, error) {
	if len(a) != 2 {
		name, _ := call["function_name"].(string)
		return nil, t.fail(call, "function %s does not take %d arguments (it takes 2)", strings.ToLower(name), len(a))
	}
	var out any
	var err error
	p, isConst := constString(a[1])
	switch {
	case t.pushdown[nodeID(call)]:
		out, err = t.expand(pushdownSQL(f), pushdownArgs(a)...)
	case isConst && singlePath(p) && f.value != "":
		out, err = t.expand(f.oneParse(), a...)
	default:
		out, err = t.expand(f.general, a...)
	}
	if err != nil {
		return nil, err
	}
	if f.json {
		t.markJSON(out)
	}
	return out, nil
}

// oneParse is the translation that reads the document once.
func (f jsonPathFn) oneParse() string { return strings.ReplaceAll(f.result, "$v", f.value) }

// on returns the general translation with the document doc.
func (f jsonPathFn) on(doc string) string { return strings.ReplaceAll(f.general, "$1", doc) }

// valueOf returns the value expression with the document doc.
func (f jsonPathFn) valueOf(doc string) string { return strings.ReplaceAll(f.value, "$1", doc) }

// singlePath reports whether p is a JSONPath that DuckDB reads as a
// single value: it starts with $ and has no wildcard or recursive step.
// Others (JSON pointers, malformed paths) are left to the general
// translation.
func singlePath(p string) bool {
	return strings.HasPrefix(p, "$") && !strings.Contains(p, "*") && !strings.Contains(p, "..")
}

// nodeID is the identity of a tree node.
func nodeID(m map[string]any) uintptr { return reflect.ValueOf(m).Pointer() }
