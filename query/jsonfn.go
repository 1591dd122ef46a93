package query

import "strings"

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
		general:  "CASE WHEN json_valid($1) AND json_type($1, $2) NOT IN ('OBJECT', 'ARRAY') THEN json_extract_string($1, $2) END",
		oneParse: "json_extract_string(try(json_value($1, $2)), '$')",
	}
	jsonExtract = jsonPathFn{
		general:  "CASE WHEN json_valid($1) THEN CAST(json_extract($1, $2) AS VARCHAR) END",
		oneParse: "CAST(try(json_extract($1, $2)) AS VARCHAR)",
		json:     true,
	}
)

// jsonPathFn translates a JSON function of a document and a path.
type jsonPathFn struct {
	general  string // any path
	oneParse string // a constant path for which singlePath holds
	json     bool   // the result is JSON text
}

func (f jsonPathFn) translate(t *translator, call map[string]any, a []any) (any, error) {
	if len(a) != 2 {
		name, _ := call["function_name"].(string)
		return nil, t.fail(call, "function %s does not take %d arguments (it takes 2)", strings.ToLower(name), len(a))
	}
	src := f.general
	if p, ok := constString(a[1]); ok && singlePath(p) {
		src = f.oneParse
	}
	out, err := t.expand(src, a...)
	if err != nil {
		return nil, err
	}
	if f.json {
		t.markJSON(out)
	}
	return out, nil
}

// singlePath reports whether p is a JSONPath that DuckDB reads as a
// single value: it starts with $ and has no wildcard or recursive step.
// Others (JSON pointers, malformed paths) are left to the general
// translation.
func singlePath(p string) bool {
	return strings.HasPrefix(p, "$") && !strings.Contains(p, "*") && !strings.Contains(p, "..")
}
