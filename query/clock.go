package query

import (
	"context"
	"strings"
	"time"
)

// queryClock gives a statement's start instant. Tests replace it.
var queryClock = time.Now

// The current time is fixed once per statement, as Trino fixes it once per
// query: foldNow replaces now(), current_timestamp, localtimestamp and
// current_date in the parse tree by constants of rewritten.Now before
// anything else reads the tree. Time pruning and the translated SQL then
// see the same instant, and a query that runs for minutes compares with the
// time it started, not with a clock that moves. The value keeps Trino's
// precision: milliseconds.

// nowTemplates are the constants that replace each current-time form, by
// the lower-case name DuckDB's parser gives it (a function call or, for
// the SQL-standard forms without parentheses, a column reference).
var nowTemplates = map[string]struct {
	tmpl   string
	layout string
}{
	"now":                   {"CAST($1 AS TIMESTAMP WITH TIME ZONE)", "2006-01-02 15:04:05.000+00"},
	"current_timestamp":     {"CAST($1 AS TIMESTAMP WITH TIME ZONE)", "2006-01-02 15:04:05.000+00"},
	"get_current_timestamp": {"CAST($1 AS TIMESTAMP WITH TIME ZONE)", "2006-01-02 15:04:05.000+00"},
	"transaction_timestamp": {"CAST($1 AS TIMESTAMP WITH TIME ZONE)", "2006-01-02 15:04:05.000+00"},
	"localtimestamp":        {"CAST($1 AS TIMESTAMP)", "2006-01-02 15:04:05.000"},
	"current_date":          {"CAST($1 AS DATE)", "2006-01-02"},
}

// foldNow replaces the current-time forms in stmt by constants of rw.Now.
func (p *parser) foldNow(ctx context.Context, rw *rewritten, stmt map[string]any) error {
	now := rw.Now
	if now.IsZero() {
		now = queryClock().UTC().Truncate(time.Millisecond)
		rw.Now = now
	}
	var err error
	var fold func(v any) any
	fold = func(v any) any {
		switch v := v.(type) {
		case []any:
			for i, e := range v {
				v[i] = fold(e)
			}
		case map[string]any:
			if name, ok := nowForm(v); ok && err == nil {
				nt := nowTemplates[name]
				var tmpl map[string]any
				if tmpl, err = p.template(ctx, nt.tmpl); err != nil {
					return v
				}
				out := substitute(deepCopy(tmpl), []any{stringConst(now.Format(nt.layout))}).(map[string]any)
				out["query_location"] = v["query_location"]
				if a, _ := v["alias"].(string); a != "" {
					out["alias"] = a
				}
				return out
			}
			isLambda := v["class"] == "LAMBDA"
			for k, e := range v {
				if k == "cast_type" || k == "type_info" || isLambda && k == "lhs" {
					continue
				}
				v[k] = fold(e)
			}
		}
		return v
	}
	fold(stmt)
	return err
}

// nowForm reports whether m is one of the current-time forms, and which.
func nowForm(m map[string]any) (string, bool) {
	switch m["class"] {
	case "FUNCTION":
		name, _ := m["function_name"].(string)
		name = strings.ToLower(name)
		if op, _ := m["is_operator"].(bool); op || len(args(m)) != 0 {
			return "", false
		}
		if schema, _ := m["schema"].(string); schema != "" {
			return "", false
		}
		_, ok := nowTemplates[name]
		return name, ok
	case "COLUMN_REF":
		parts, _ := m["column_names"].([]any)
		if len(parts) != 1 {
			return "", false
		}
		name, _ := parts[0].(string)
		name = strings.ToLower(name)
		switch name {
		case "current_timestamp", "current_date", "localtimestamp":
			return name, true
		}
	}
	return "", false
}
