package query

import (
	"context"
	"encoding/json"
	"regexp/syntax"
	"strconv"
	"strings"
)

// regexpFn translates a regexp_* function with two or three arguments,
// checking a literal pattern first.
func regexpFn(two, three string) func(*translator, map[string]any, []any) (any, error) {
	return func(t *translator, call map[string]any, a []any) (any, error) {
		name, _ := call["function_name"].(string)
		src := two
		if len(a) == 3 && three != "" {
			src = three
		} else if len(a) != 2 {
			return nil, t.fail(call, "function %s does not take %d arguments", strings.ToLower(name), len(a))
		}
		if err := t.checkRegexp(call, a[1]); err != nil {
			return nil, err
		}
		return t.expand(src, a...)
	}
}

// checkRegexp refuses a literal pattern that RE2 cannot run, saying why.
// Go's regexp/syntax parses the RE2 syntax DuckDB uses.
func (t *translator) checkRegexp(call map[string]any, n any) error {
	p, ok := constString(n)
	if !ok {
		return nil
	}
	for _, java := range []string{"(?=", "(?!", "(?<=", "(?<!", "(?>"} {
		if strings.Contains(p, java) {
			return t.fail(call, "regular expression %q uses %s...), Java lookaround, which is not supported (patterns use RE2 syntax)", p, java)
		}
	}
	if _, err := syntax.Parse(p, syntax.Perl); err != nil {
		return t.fail(call, "regular expression %q is not supported: %v (patterns use RE2 syntax; Java backreferences, lookaround and possessive quantifiers are not available)", p, strings.TrimPrefix(err.Error(), "error parsing regexp: "))
	}
	return nil
}

// regexpReplace is Trino's regexp_replace: every match is replaced, and
// $1 in the replacement names a group.
func regexpReplace(t *translator, call map[string]any, a []any) (any, error) {
	if len(a) < 2 || len(a) > 3 {
		return nil, t.fail(call, "function regexp_replace takes 2 or 3 arguments")
	}
	if err := t.checkRegexp(call, a[1]); err != nil {
		return nil, err
	}
	if len(a) == 2 {
		return t.expand("regexp_replace($1, $2, '', 'g')", a...)
	}
	if l, ok := lambdaParts(a[2]); ok {
		return nil, t.fail(l, "regexp_replace with a lambda is not supported")
	}
	if r, ok := constString(a[2]); ok {
		return t.expand("regexp_replace($1, $2, $3, 'g')", a[0], a[1], stringConst(javaReplacement(r)))
	}
	return t.expand(`regexp_replace($1, $2, regexp_replace(replace($3, '\', '\\'), '\$(\d)', '\\\1', 'g'), 'g')`, a...)
}

// javaReplacement converts a Java replacement string ($1, \$) to RE2's
// (\1, $).
func javaReplacement(r string) string {
	var b strings.Builder
	for i := 0; i < len(r); i++ {
		switch c := r[i]; {
		case c == '\\' && i+1 < len(r):
			i++
			if r[i] == '\\' {
				b.WriteString(`\\`)
			} else {
				b.WriteByte(r[i])
			}
		case c == '$' && i+1 < len(r) && r[i+1] >= '0' && r[i+1] <= '9':
			b.WriteByte('\\')
			b.WriteByte(r[i+1])
			i++
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// cast translates CAST and TRY_CAST to JSON, maps, arrays and rows, which
// Trino reads from JSON text.
func (t *translator) cast(m map[string]any) (any, error) {
	ct, _ := m["cast_type"].(map[string]any)
	try, _ := m["try_cast"].(bool)
	child := m["child"]
	switch {
	case isJSONType(ct):
		if t.isJSON(child) {
			return child, nil
		}
		out, err := t.expand("CAST(to_json($1) AS VARCHAR)", child)
		if err != nil {
			return nil, err
		}
		return t.markJSON(out), nil
	case ct["id"] == "MAP" || ct["id"] == "LIST" || ct["id"] == "STRUCT":
		if c, _ := child.(map[string]any); c["class"] == "CAST" {
			if ict, _ := c["cast_type"].(map[string]any); isJSONType(ict) {
				return m, nil // already from JSON
			}
		}
		src := "CAST($1 AS JSON)"
		if try {
			src = "TRY_CAST($1 AS JSON)"
		}
		inner, err := t.expand(src, child)
		if err != nil {
			return nil, err
		}
		m["child"] = inner
	}
	return m, nil
}

func isJSONType(ct map[string]any) bool {
	if ct["id"] != "UNBOUND" {
		return false
	}
	ti, _ := ct["type_info"].(map[string]any)
	name, _ := ti["name"].(string)
	return strings.EqualFold(name, "json")
}

// unnest translates UNNEST in FROM: several arrays, an array of rows whose
// fields become columns, or a map whose keys and values do, unnest in a
// lateral subquery as in Trino.
func (t *translator) unnest(m map[string]any) (any, error) {
	f, _ := m["function"].(map[string]any)
	if name, _ := f["function_name"].(string); !strings.EqualFold(name, "unnest") {
		return m, nil
	}
	a := args(f)
	cols, _ := m["column_name_alias"].([]any)
	ord := m["with_ordinality"] == "WITH_ORDINALITY"
	n := len(cols)
	if ord {
		n--
	}
	if len(a) == 1 && isMapExpr(a[0]) {
		// A map unnests into its keys and values, as in Trino.
		entries, err := t.expand("map_entries($1)", a[0])
		if err != nil {
			return nil, err
		}
		a = []any{entries}
	} else if len(a) == 0 || len(a) == 1 && n <= 1 && (n == 1 || !isRowList(a[0])) {
		return m, nil // DuckDB's UNNEST does the same
	}
	for _, x := range a {
		if am, _ := x.(map[string]any); am["class"] == "COMPARISON" || am["alias"] != "" && am["alias"] != nil {
			return m, nil // named parameters such as recursive := true: DuckDB's own unnest
		}
	}
	var sel []string
	if len(a) == 1 {
		sel = append(sel, "unnest($1, recursive := true)")
	} else {
		for i := range a {
			sel = append(sel, "unnest($"+strconv.Itoa(i+1)+")")
		}
	}
	if ord {
		lens := make([]string, len(a))
		for i := range a {
			lens[i] = "len($" + strconv.Itoa(i+1) + ")"
		}
		l := lens[0]
		if len(lens) > 1 {
			l = "greatest(" + strings.Join(lens, ", ") + ")"
		}
		sel = append(sel, "unnest(range(1, "+l+" + 1))")
	}
	ref, err := t.p.fromTemplate(t.ctx, "SELECT "+strings.Join(sel, ", "))
	if err != nil {
		return nil, err
	}
	ref = substitute(deepCopy(ref), a).(map[string]any)
	ref["alias"] = m["alias"]
	ref["column_name_alias"] = cols
	ref["query_location"] = m["query_location"]
	return ref, nil
}

// fromTemplate returns the FROM item of "SELECT * FROM (<sub>)".
func (p *parser) fromTemplate(ctx context.Context, sub string) (map[string]any, error) {
	key := "FROM:" + sub
	if v, ok := templateCache.Load(key); ok {
		return v.(map[string]any), nil
	}
	var out string
	if err := p.db.QueryRowContext(ctx, "SELECT json_serialize_sql($1::VARCHAR)::VARCHAR", "SELECT * FROM ("+sub+")").Scan(&out); err != nil {
		return nil, err
	}
	dec := json.NewDecoder(strings.NewReader(out))
	dec.UseNumber()
	var res struct {
		Statements []struct {
			Node struct {
				From map[string]any `json:"from_table"`
			} `json:"node"`
		} `json:"statements"`
	}
	if err := dec.Decode(&res); err != nil || len(res.Statements) != 1 || res.Statements[0].Node.From == nil {
		return nil, newStatementError(sub, -1, "cannot translate UNNEST")
	}
	templateCache.Store(key, res.Statements[0].Node.From)
	return res.Statements[0].Node.From, nil
}
