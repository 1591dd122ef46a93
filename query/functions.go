package query

import (
	"sort"
	"strconv"
	"strings"
)

// fn says how one Trino function is translated. Exactly one way applies:
// a template per argument count, a new name, or a custom handler. A
// function missing from the table is passed to DuckDB unchanged.
type fn struct {
	tmpl   map[int]string // argument count -> template; -1: any count
	rename string
	custom func(t *translator, call map[string]any, a []any) (any, error)
	json   bool // the result is JSON text
}

func tm(pairs ...any) fn {
	f := fn{tmpl: map[int]string{}}
	for i := 0; i+1 < len(pairs); i += 2 {
		f.tmpl[pairs[i].(int)] = pairs[i+1].(string)
	}
	return f
}

func jsonFn(pairs ...any) fn { f := tm(pairs...); f.json = true; return f }

const (
	urlAuthority = `'^[^:/?#]+://(?:[^@/?#]*@)?(\[[^\]]*\]|[^:/?#]*)(?::([0-9]+))?'`
)

// functions maps lower-case Trino function names to their translation.
var functions = map[string]fn{
	// Maps and arrays.
	"element_at":           tm(2, "$1[$2]"),
	"contains":             tm(2, "list_contains($1, $2)"),
	"array_join":           tm(2, "array_to_string($1, $2)", 3, "array_to_string(list_transform($1, __x -> coalesce(CAST(__x AS VARCHAR), $3)), $2)"),
	"split":                tm(2, "string_split($1, $2)"),
	"slice":                tm(3, "list_slice($1, CASE WHEN $2 < 0 THEN len($1) + $2 + 1 ELSE $2 END, CASE WHEN $2 < 0 THEN len($1) + $2 + 1 ELSE $2 END + $3 - 1)"),
	"array_distinct":       tm(1, "list_filter($1, (__x, __i) -> list_position($1, __x) = __i)"),
	"array_max":            tm(1, "list_max($1)"),
	"array_min":            tm(1, "list_min($1)"),
	"array_sort":           tm(1, "list_sort($1)"),
	"array_position":       tm(2, "coalesce(list_position($1, $2), 0)"),
	"array_remove":         tm(2, "list_filter($1, __x -> __x <> $2)"),
	"array_union":          tm(2, "list_filter(list_concat($1, $2), (__x, __i) -> list_position(list_concat($1, $2), __x) = __i)"),
	"array_intersect":      tm(2, "list_filter(list_filter($1, (__x, __i) -> list_position($1, __x) = __i), __x -> list_contains($2, __x))"),
	"array_except":         tm(2, "list_filter(list_filter($1, (__x, __i) -> list_position($1, __x) = __i), __x -> NOT list_contains($2, __x))"),
	"arrays_overlap":       tm(2, "list_has_any($1, $2)"),
	"sequence":             tm(2, "generate_series($1, $2)", 3, "generate_series($1, $2, $3)"),
	"repeat":               tm(2, "list_transform(range(CAST($2 AS BIGINT)), __x -> $1)"),
	"transform":            {rename: "list_transform"},
	"filter":               {rename: "list_filter"},
	"zip":                  {rename: "list_zip"},
	"any_match":            tm(2, "len(list_filter($1, $2)) > 0"),
	"none_match":           tm(2, "len(list_filter($1, $2)) = 0"),
	"all_match":            {custom: allMatch},
	"reduce":               {custom: reduce},
	"cardinality":          {custom: cardinality},
	"map_filter":           {custom: mapLambda("map_from_entries(list_filter(map_entries($1), __e -> $2))")},
	"transform_keys":       {custom: mapLambda("map_from_entries(list_transform(map_entries($1), __e -> struct_pack(key := $2, value := __e.value)))")},
	"transform_values":     {custom: mapLambda("map_from_entries(list_transform(map_entries($1), __e -> struct_pack(key := __e.key, value := $2)))")},
	"approx_most_frequent": tm(3, "map_from_entries(list_transform(list_slice(list_reverse_sort(list_transform(map_entries(histogram($2)), __e -> struct_pack(c := __e.value, k := __e.key))), 1, $1), __e -> struct_pack(key := __e.k, value := CAST(__e.c AS BIGINT))))"),
	"map_agg":              tm(2, "map_from_entries(list(row($1, $2)) FILTER (WHERE $1 IS NOT NULL))"),
	"approx_distinct":      tm(1, "approx_count_distinct($1)", 2, "approx_count_distinct($1)"),
	"approx_percentile":    tm(2, "quantile_disc($1, $2)"),
	"arbitrary":            tm(1, "any_value($1)"),
	"listagg":              {rename: "string_agg"},

	// JSON. Invalid JSON gives NULL, as in Trino, instead of an error.
	"json_extract_scalar": {custom: jsonExtractScalar.translate}, // jsonfn.go
	"json_extract":        {custom: jsonExtract.translate},
	"json_parse":          jsonFn(1, "CAST(json($1) AS VARCHAR)"),
	"json_format":         tm(1, "CAST($1 AS VARCHAR)"),
	"json_array_get":      jsonFn(2, "CASE WHEN json_valid($1) AND json_type($1) = 'ARRAY' THEN CAST(json_extract($1, CASE WHEN $2 < 0 THEN '$[#' || CAST($2 AS VARCHAR) || ']' ELSE '$[' || CAST($2 AS VARCHAR) || ']' END) AS VARCHAR) END"),
	"json_array_length":   tm(1, "CASE WHEN json_valid($1) AND json_type($1) = 'ARRAY' THEN json_array_length($1) END"),
	"json_array_contains": tm(2, "CASE WHEN json_valid($1) AND json_type($1) = 'ARRAY' THEN list_contains(json_extract_string($1, '$[*]'), CAST($2 AS VARCHAR)) END"),
	"json_size":           {custom: jsonSize.translate},
	"is_json_scalar":      tm(1, "json_type($1) NOT IN ('OBJECT', 'ARRAY')"),

	// Regular expressions: RE2 syntax, see regexp.go.
	"regexp_like":        {custom: regexpFn("regexp_matches($1, $2)", "")},
	"regexp_extract":     {custom: regexpFn("CASE WHEN regexp_matches($1, $2) THEN regexp_extract($1, $2) END", "CASE WHEN regexp_matches($1, $2) THEN regexp_extract($1, $2, $3) END")},
	"regexp_extract_all": {custom: regexpFn("regexp_extract_all($1, $2)", "regexp_extract_all($1, $2, $3)")},
	"regexp_count":       {custom: regexpFn("len(regexp_extract_all($1, $2))", "")},
	"regexp_split":       {custom: regexpFn("regexp_split_to_array($1, $2)", "")},
	"regexp_replace":     {custom: regexpReplace},
	"regexp_position":    {custom: regexpPosition},

	// Dates and times.
	"date_add":               {custom: dateAdd},
	"date_diff":              tm(3, "date_sub($1, $2, $3)"),
	"from_iso8601_timestamp": tm(1, "CAST($1 AS TIMESTAMPTZ)"),
	"from_iso8601_date":      tm(1, "CAST($1 AS DATE)"),
	"to_iso8601":             tm(1, "CASE WHEN typeof($1) = 'DATE' THEN strftime($1, '%Y-%m-%d') WHEN typeof($1) LIKE 'TIMESTAMP WITH%' THEN strftime($1, '%Y-%m-%dT%H:%M:%S.%gZ') ELSE strftime($1, '%Y-%m-%dT%H:%M:%S.%g') END"),
	"from_unixtime":          tm(1, "to_timestamp($1)"),
	"to_unixtime":            tm(1, "epoch($1)"),
	"date_format":            {custom: timeFormat(mysqlPattern, "strftime($1, $2)")},
	"date_parse":             {custom: timeFormat(mysqlPattern, "strptime($1, $2)")},
	"format_datetime":        {custom: timeFormat(javaPattern, "strftime($1, $2)")},
	"parse_datetime":         {custom: timeFormat(javaPattern, "strptime($1, $2)")},
	"day_of_week":            tm(1, "isodow($1)"),
	"dow":                    tm(1, "isodow($1)"),
	"day_of_month":           tm(1, "day($1)"),
	"day_of_year":            tm(1, "dayofyear($1)"),
	"doy":                    tm(1, "dayofyear($1)"),
	"week_of_year":           tm(1, "week($1)"),
	"year_of_week":           tm(1, "isoyear($1)"),
	"yow":                    tm(1, "isoyear($1)"),
	"millisecond":            tm(1, "CAST(millisecond($1) % 1000 AS BIGINT)"),
	"last_day_of_month":      tm(1, "last_day($1)"),
	"date":                   tm(1, "CAST($1 AS DATE)"),
	"current_timezone":       tm(0, "'UTC'"),
	"to_milliseconds":        tm(1, "epoch_ms($1)"),

	// Strings, binary, URLs.
	"replace":               tm(2, "replace($1, $2, '')", -1, ""),
	"row":                   {custom: rowFn},
	"levenshtein_distance":  tm(2, "levenshtein($1, $2)"),
	"hamming_distance":      tm(2, "hamming($1, $2)"),
	"codepoint":             tm(1, "unicode($1)"),
	"format":                {rename: "printf"},
	"to_utf8":               tm(1, "encode($1)"),
	"from_utf8":             tm(1, "decode($1)"),
	"to_hex":                tm(1, "hex($1)"),
	"from_hex":              tm(1, "unhex($1)"),
	"md5":                   tm(1, "unhex(md5($1))"),
	"sha1":                  tm(1, "unhex(sha1($1))"),
	"sha256":                tm(1, "unhex(sha256($1))"),
	"url_extract_host":      tm(1, "nullif(regexp_extract($1, "+urlAuthority+", 1), '')"),
	"url_extract_port":      tm(1, "TRY_CAST(nullif(regexp_extract($1, "+urlAuthority+", 2), '') AS BIGINT)"),
	"url_extract_protocol":  tm(1, `nullif(regexp_extract($1, '^([A-Za-z][A-Za-z0-9+.-]*):', 1), '')`),
	"url_extract_path":      tm(1, `regexp_extract($1, '^(?:[A-Za-z][A-Za-z0-9+.-]*:)?(?://[^/?#]*)?([^?#]*)', 1)`),
	"url_extract_query":     tm(1, `nullif(regexp_extract($1, '^[^?#]*\?([^#]*)', 1), '')`),
	"url_extract_fragment":  tm(1, `nullif(regexp_extract($1, '#(.*)$', 1), '')`),
	"url_extract_parameter": tm(2, `url_decode(nullif(regexp_extract($1, '[?&]' || $2 || '=([^&#]*)', 1), ''))`),

	// Conditionals and math.
	"__trino_if":  tm(2, "CASE WHEN $1 THEN $2 END", 3, "CASE WHEN $1 THEN $2 ELSE $3 END"),
	"truncate":    tm(1, "trunc($1)"),
	"is_nan":      tm(1, "isnan($1)"),
	"is_finite":   tm(1, "isfinite($1)"),
	"is_infinite": tm(1, "isinf($1)"),
	"infinity":    tm(0, "CAST('Infinity' AS DOUBLE)"),
	"nan":         tm(0, "CAST('NaN' AS DOUBLE)"),
	"e":           tm(0, "exp(1)"),
}

// unsupported are Trino functions that auditlake does not translate, with
// what to use instead where there is something.
var unsupported = map[string]string{
	"approx_set": "", "merge": "", "qdigest_agg": "", "tdigest_agg": "",
	"numeric_histogram": "use histogram", "map_union": "", "multimap_agg": "", "checksum": "",
	"ngrams": "", "word_stem": "", "normalize": "",
	"parse_duration": "", "human_readable_seconds": "", "at_timezone": "use AT TIME ZONE", "with_timezone": "",
	"from_unixtime_nanos": "",
	"map_zip_with":        "", "zip_with": "", "array_frequency": "use histogram over UNNEST",
	"to_ieee754_64": "", "to_ieee754_32": "", "from_ieee754_64": "", "bing_tile": "",
	"st_point": "", "st_contains": "", "spooky_hash_v2_64": "", "xxhash64": "", "murmur3": "",
	"classify": "", "features": "", "learn_classifier": "", "value_at_quantile": "", "approx_set_agg": "",
	"bitwise_and_agg": "", "bitwise_or_agg": "", "reduce_agg": "", "combinations": "", "array_frequency_agg": "",
	"luhn_check": "", "soundex": "", "key_sampling_percent": "", "word_stem_agg": "",
}

// function translates one call.
func (t *translator) function(call map[string]any, name string) (any, error) {
	if alt, ok := unsupported[name]; ok {
		msg := "function " + name + " is a Trino function that auditlake does not support"
		if alt != "" {
			msg += "; " + alt
		}
		return nil, t.fail(call, "%s", msg)
	}
	f, ok := functions[name]
	if !ok {
		return call, nil
	}
	a := args(call)
	switch {
	case f.custom != nil:
		return f.custom(t, call, a)
	case f.rename != "":
		call["function_name"] = f.rename
		return call, nil
	}
	src, ok := f.tmpl[len(a)]
	if _, pass := f.tmpl[-1]; !ok && pass {
		return call, nil // DuckDB's function of the same name does the rest
	}
	if !ok {
		return nil, t.fail(call, "function %s does not take %d arguments (it takes %s)", name, len(a), arities(f.tmpl))
	}
	if d, _ := call["distinct"].(bool); d {
		return call, nil // approx_distinct(DISTINCT x) and the like: leave to DuckDB
	}
	out, err := t.expand(src, a...)
	if err != nil {
		return nil, err
	}
	if al, _ := call["alias"].(string); al != "" {
		out.(map[string]any)["alias"] = al
	}
	if f.json {
		t.markJSON(out)
	}
	return out, nil
}

func arities(m map[int]string) string {
	var ns []int
	for n := range m {
		if n >= 0 {
			ns = append(ns, n)
		}
	}
	sort.Ints(ns)
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, " or ")
}

// lambda returns a LAMBDA node's parameters' names and its body.
func lambdaParts(n any) (m map[string]any, ok bool) {
	m, ok = n.(map[string]any)
	return m, ok && m["class"] == "LAMBDA"
}

// allMatch is all_match(a, x -> p): no element for which p is false.
func allMatch(t *translator, call map[string]any, a []any) (any, error) {
	if len(a) != 2 {
		return nil, t.fail(call, "function all_match takes 2 arguments")
	}
	l, ok := lambdaParts(a[1])
	if !ok {
		return nil, t.fail(call, "all_match expects a lambda expression such as x -> x > 0")
	}
	not, err := t.expand("NOT ($1)", l["expr"])
	if err != nil {
		return nil, err
	}
	l["expr"] = not
	return t.expand("len(list_filter($1, $2)) = 0", a[0], l)
}

// reduce is reduce(a, init, (s, x) -> step, s -> out).
func reduce(t *translator, call map[string]any, a []any) (any, error) {
	if len(a) != 4 {
		return nil, t.fail(call, "function reduce takes 4 arguments: array, initial state, (s, x) -> step, s -> result")
	}
	out, ok := lambdaParts(a[3])
	if !ok {
		return nil, t.fail(call, "the last argument of reduce must be a lambda expression such as s -> s")
	}
	red, err := t.expand("list_reduce($1, $2, $3)", a[0], a[2], a[1])
	if err != nil {
		return nil, err
	}
	param := lambdaParam(out)
	if param == "" {
		return nil, t.fail(call, "the last argument of reduce must be a lambda with one parameter")
	}
	return replaceColumn(out["expr"], param, red), nil
}

// lambdaParam returns the name of a one-parameter lambda's parameter.
func lambdaParam(l map[string]any) string {
	lhs, _ := l["lhs"].(map[string]any)
	names, _ := lhs["column_names"].([]any)
	if len(names) != 1 {
		return ""
	}
	s, _ := names[0].(string)
	return s
}

// replaceColumn replaces every reference to column name in v by with.
func replaceColumn(v any, name string, with any) any {
	switch v := v.(type) {
	case []any:
		for i, e := range v {
			v[i] = replaceColumn(e, name, with)
		}
	case map[string]any:
		if v["class"] == "COLUMN_REF" {
			parts, _ := v["column_names"].([]any)
			if len(parts) == 1 && strings.EqualFold(parts[0].(string), name) {
				return deepCopy(with)
			}
		}
		for k, e := range v {
			v[k] = replaceColumn(e, name, with)
		}
	}
	return v
}

// mapColumns and listColumns are the store columns whose types cardinality
// can tell without running the query.
var (
	mapColumns = map[string]bool{
		"requestparameters": true, "responseelements": true, "additionaleventdata": true,
		"serviceeventdetails": true, "addendum": true, "edgedevicedetails": true, "insightdetails": true,
		"attributes": true,
	}
	listColumns = map[string]bool{"resources": true}
)

// cardinality counts a map's entries or an array's elements. DuckDB has
// one function for each; when the argument's type is not evident, the
// count goes through JSON.
func cardinality(t *translator, call map[string]any, a []any) (any, error) {
	if len(a) != 1 {
		return nil, t.fail(call, "function cardinality takes 1 argument")
	}
	m, _ := a[0].(map[string]any)
	if m["class"] == "COLUMN_REF" {
		parts, _ := m["column_names"].([]any)
		last := strings.ToLower(parts[len(parts)-1].(string))
		switch {
		case mapColumns[last]:
			return t.expand("cardinality($1)", a[0])
		case listColumns[last]:
			return t.expand("len($1)", a[0])
		}
	}
	if m["class"] == "FUNCTION" {
		switch name, _ := m["function_name"].(string); strings.ToLower(name) {
		case "map", "map_from_entries", "histogram", "map_concat":
			return t.expand("cardinality($1)", a[0])
		case "list_filter", "list_transform", "string_split", "list_slice", "list", "array_agg", "regexp_extract_all", "map_keys", "map_values", "list_value", "list_distinct", "list_sort":
			return t.expand("len($1)", a[0])
		}
	}
	return t.expand("CASE WHEN json_type(to_json($1)) = 'OBJECT' THEN len(json_keys(to_json($1))) ELSE json_array_length(to_json($1)) END", a[0])
}

// rowFn is ROW(a, b, ...): a struct whose fields are named field0,
// field1, ... as Trino names the fields of an anonymous row.
func rowFn(t *translator, call map[string]any, a []any) (any, error) {
	for i, x := range a {
		if m, ok := x.(map[string]any); ok {
			m["alias"] = "field" + strconv.Itoa(i)
		}
	}
	call["function_name"] = "struct_pack"
	return call, nil
}
