// The function names the editor completes. There is no exported list on
// the server: these are the Trino functions query/functions.go translates
// (every key of its functions table but the internal __trino_if, which SQL
// writes as if) and the functions docs/sql.md lists as passed to DuckDB
// unchanged. cmd/auditlake/console_editor_browser_test.go checks that every
// translated function is here, so a function added there fails the test
// until it is added here.
export const FUNCTIONS = [
  "abs", "all_match", "any_match", "approx_distinct", "approx_most_frequent", "approx_percentile",
  "arbitrary", "array_agg", "array_distinct", "array_except", "array_intersect",
  "array_join", "array_max", "array_min", "array_position", "array_remove", "array_sort", "array_union",
  "arrays_overlap", "avg", "bool_and", "bool_or", "cardinality", "ceil", "ceiling", "chr", "coalesce",
  "codepoint", "concat", "contains", "count", "count_if", "cume_dist", "current_date", "current_timestamp",
  "current_timezone", "date", "date_add", "date_diff", "date_format", "date_parse", "date_trunc", "day",
  "day_of_month", "day_of_week", "day_of_year", "dense_rank", "dow", "doy", "e", "element_at", "filter",
  "first_value", "flatten", "floor", "format", "format_datetime", "from_base64", "from_hex",
  "from_iso8601_date", "from_iso8601_timestamp", "from_unixtime", "from_utf8", "greatest",
  "hamming_distance", "histogram", "hour", "if", "infinity", "is_finite", "is_infinite", "is_json_scalar",
  "is_nan", "json_array_contains", "json_array_get", "json_array_length", "json_extract",
  "json_extract_scalar", "json_format", "json_parse", "json_size", "lag", "last_day_of_month", "last_value",
  "lead", "least", "length", "levenshtein_distance", "listagg", "ln", "log10", "log2", "lower", "lpad",
  "ltrim", "map", "map_agg", "map_concat", "map_filter", "map_keys", "map_values", "max", "max_by", "md5",
  "millisecond", "min", "min_by", "minute", "mod", "month", "nan", "none_match", "now", "nth_value", "ntile",
  "nullif", "parse_datetime", "percent_rank", "position", "power", "quarter", "rank", "reduce",
  "regexp_count", "regexp_extract", "regexp_extract_all", "regexp_like", "regexp_position", "regexp_replace",
  "regexp_split", "repeat", "replace", "reverse", "round", "row", "row_number", "rpad", "rtrim", "second",
  "sequence", "sha1", "sha256", "sign", "slice", "split", "split_part", "sqrt", "starts_with", "stddev",
  "stddev_pop", "stddev_samp", "strpos", "substr", "substring", "sum", "to_base64", "to_hex", "to_iso8601",
  "to_milliseconds", "to_unixtime", "to_utf8", "transform", "transform_keys", "transform_values", "trim",
  "truncate", "try", "upper", "url_decode", "url_encode", "url_extract_fragment", "url_extract_host",
  "url_extract_parameter", "url_extract_path", "url_extract_port", "url_extract_protocol",
  "url_extract_query", "var_pop", "var_samp", "variance", "week", "week_of_year", "year", "year_of_week",
  "yow", "zip",
];
