package query

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
)

// The dialect translation turns a statement written for CloudTrail Lake
// (Trino SQL) into DuckDB SQL with the same meaning. It works on DuckDB's
// own parse tree: json_serialize_sql gives the tree, the translator
// rewrites function calls, casts and UNNEST clauses in it, names the result
// columns as Trino does, and json_deserialize_sql turns it back into SQL.
// Functions that need only a body are expanded from templates: SQL
// expressions with $1, $2, ... parameters, parsed once per engine and
// substituted in the tree, so no macro has to be created in the sandbox.
// docs/sql.md lists what is translated and how.

// translator rewrites one statement's tree in place.
type translator struct {
	ctx      context.Context
	p        *parser
	rw       *rewritten
	json     map[uintptr]bool // nodes known to hold JSON text
	pushdown map[uintptr]bool // JSON calls that read the stored eventJson (eventjson.go)
}

// translateStatement rewrites stmt (one element of json_serialize_sql's
// "statements") from Trino to DuckDB semantics and returns the DuckDB SQL.
// The calls in pushdown (eventJSONCalls) read the stored eventJson.
func (p *parser) translateStatement(ctx context.Context, rw *rewritten, stmt map[string]any, pushdown map[uintptr]bool) (string, error) {
	t := &translator{ctx: ctx, p: p, rw: rw, json: map[uintptr]bool{}, pushdown: pushdown}
	node, _ := stmt["node"].(map[string]any)
	if node == nil {
		return "", newStatementError(rw.Orig, -1, "only SELECT statements are allowed")
	}
	out, err := t.walk(node)
	if err != nil {
		return "", err
	}
	node, _ = out.(map[string]any)
	nameColumns(node)
	stmt["node"] = node
	return p.deserialize(ctx, rw, stmt)
}

// walk translates v bottom-up and returns its replacement.
func (t *translator) walk(v any) (any, error) {
	switch v := v.(type) {
	case []any:
		for i, e := range v {
			r, err := t.walk(e)
			if err != nil {
				return nil, err
			}
			v[i] = r
		}
		return v, nil
	case map[string]any:
		isConst, isLambda := v["class"] == "CONSTANT", v["class"] == "LAMBDA"
		for k, e := range v {
			if k == "cast_type" || k == "type_info" || isConst && k == "value" || isLambda && k == "lhs" {
				continue // types, constant values and lambda parameters hold no expressions
			}
			r, err := t.walk(e)
			if err != nil {
				return nil, err
			}
			v[k] = r
		}
		alias, _ := v["alias"].(string)
		out, err := t.node(v)
		if m, ok := out.(map[string]any); ok && alias != "" && err == nil {
			if _, isExpr := m["class"]; isExpr {
				m["alias"] = alias
			}
		}
		return out, err
	}
	return v, nil
}

// node translates one object whose children are already translated.
func (t *translator) node(m map[string]any) (any, error) {
	switch m["class"] {
	case "FUNCTION":
		if op, _ := m["is_operator"].(bool); op {
			return m, nil
		}
		name, _ := m["function_name"].(string)
		if ob, _ := m["order_bys"].(map[string]any); len(args(m)) == 0 && ob != nil {
			if orders, _ := ob["orders"].([]any); len(orders) > 0 {
				// DuckDB would print it back as WITHIN GROUP, which it
				// accepts only for its ordered-set aggregates.
				return nil, t.fail(m, "function %s with ORDER BY needs an argument", strings.ToLower(name))
			}
		}
		return t.function(m, strings.ToLower(name))
	case "CAST":
		return t.cast(m)
	}
	if m["type"] == "TABLE_FUNCTION" {
		return t.unnest(m)
	}
	return m, nil
}

// args returns a call's arguments.
func args(m map[string]any) []any {
	a, _ := m["children"].([]any)
	return a
}

// fail returns a StatementError located at node m.
func (t *translator) fail(m map[string]any, format string, a ...any) error {
	off := -1
	if n, ok := m["query_location"].(json.Number); ok {
		if v, err := strconv.ParseInt(string(n), 10, 64); err == nil && v >= 0 && v <= int64(len(t.rw.SQL)) {
			off = t.rw.origOffset(int(v))
		}
	}
	return newStatementError(t.rw.Orig, off, format, a...)
}

// expand substitutes args into the template src and returns the new node.
func (t *translator) expand(src string, a ...any) (any, error) {
	tmpl, err := t.p.template(t.ctx, src)
	if err != nil {
		return nil, err
	}
	return substitute(deepCopy(tmpl), a), nil
}

// markJSON records that n evaluates to JSON text.
func (t *translator) markJSON(n any) any {
	if m, ok := n.(map[string]any); ok {
		t.json[nodeID(m)] = true
	}
	return n
}

func (t *translator) isJSON(n any) bool {
	m, ok := n.(map[string]any)
	return ok && t.json[nodeID(m)]
}

// substitute replaces the $N parameters of a template tree with args.
func substitute(v any, a []any) any {
	switch v := v.(type) {
	case []any:
		for i, e := range v {
			v[i] = substitute(e, a)
		}
		return v
	case map[string]any:
		if v["class"] == "PARAMETER" {
			id, _ := v["identifier"].(string)
			if n, err := strconv.Atoi(id); err == nil && n >= 1 && n <= len(a) {
				c := deepCopy(a[n-1])
				if al, _ := v["alias"].(string); al != "" { // a named argument: struct_pack(key := $2)
					if cm, ok := c.(map[string]any); ok {
						cm["alias"] = al
					}
				}
				return c
			}
			return v
		}
		for k, e := range v {
			v[k] = substitute(e, a)
		}
		return v
	}
	return v
}

// deepCopy copies a JSON tree.
func deepCopy(v any) any {
	switch v := v.(type) {
	case []any:
		c := make([]any, len(v))
		for i, e := range v {
			c[i] = deepCopy(e)
		}
		return c
	case map[string]any:
		c := make(map[string]any, len(v))
		for k, e := range v {
			c[k] = deepCopy(e)
		}
		return c
	}
	return v
}

// constString returns the value of a VARCHAR constant node.
func constString(n any) (string, bool) {
	m, ok := n.(map[string]any)
	if !ok || m["class"] != "CONSTANT" {
		return "", false
	}
	val, _ := m["value"].(map[string]any)
	typ, _ := val["type"].(map[string]any)
	s, ok := val["value"].(string)
	return s, ok && typ["id"] == "VARCHAR"
}

// stringConst builds a VARCHAR constant node.
func stringConst(s string) map[string]any {
	return map[string]any{
		"class": "CONSTANT", "type": "VALUE_CONSTANT", "alias": "", "query_location": json.Number("18446744073709551615"),
		"value": map[string]any{"is_null": false, "type": map[string]any{"id": "VARCHAR", "type_info": nil}, "value": s},
	}
}

// unnamedColumn is the alias the translator gives an unnamed select-list
// expression; Rows renames it _col<N>, N being the column's position in
// the result, which is known only once a * is expanded.
const unnamedColumn = "__auditlake_col"

// nameColumns gives every unaliased select-list expression of the
// statement's outermost SELECT the name Trino gives it: a column or struct
// path its last part as written, anything else _col<position>. A * keeps
// DuckDB's names, which are the columns' own.
func nameColumns(node map[string]any) {
	for node != nil && node["type"] == "SET_OPERATION_NODE" {
		node, _ = node["left"].(map[string]any)
	}
	if node == nil {
		return
	}
	list, _ := node["select_list"].([]any)
	for i, e := range list {
		m, ok := e.(map[string]any)
		if !ok {
			continue
		}
		if a, _ := m["alias"].(string); a != "" {
			continue
		}
		switch m["class"] {
		case "STAR":
			continue
		case "COLUMN_REF":
			parts, _ := m["column_names"].([]any)
			if len(parts) > 0 {
				m["alias"], _ = parts[len(parts)-1].(string)
			}
			continue
		case "OPERATOR":
			if m["type"] == "STRUCT_EXTRACT" {
				if name, ok := constString(args(m)[len(args(m))-1]); ok {
					m["alias"] = name
					continue
				}
			}
		}
		m["alias"] = unnamedColumn + strconv.Itoa(i)
	}
}

// deserialize turns a statement tree back into SQL.
func (p *parser) deserialize(ctx context.Context, rw *rewritten, stmt map[string]any) (string, error) {
	doc, err := json.Marshal(map[string]any{"error": false, "statements": []any{stmt}})
	if err != nil {
		return "", newStatementError(rw.Orig, -1, "statement too complex to translate: %v", err)
	}
	var out string
	if err := p.db.QueryRowContext(ctx, "SELECT json_deserialize_sql($1::JSON)", string(doc)).Scan(&out); err != nil {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		return "", newStatementError(rw.Orig, -1, "statement cannot be translated: %s", cleanDuckDBError(err))
	}
	return out, nil
}

// templateCache holds parsed templates, shared by all parsers: the trees
// do not depend on the database that parsed them.
var templateCache sync.Map // string -> map[string]any (the expression tree)

// template returns the parsed tree of a template expression.
func (p *parser) template(ctx context.Context, src string) (map[string]any, error) {
	if v, ok := templateCache.Load(src); ok {
		return v.(map[string]any), nil
	}
	if err := p.loadTemplates(ctx, []string{src}); err != nil {
		return nil, err
	}
	v, _ := templateCache.Load(src)
	return v.(map[string]any), nil
}

// loadTemplates parses expression templates in one round trip.
func (p *parser) loadTemplates(ctx context.Context, srcs []string) error {
	var todo []string
	for _, s := range srcs {
		if _, ok := templateCache.Load(s); !ok {
			todo = append(todo, s)
		}
	}
	if len(todo) == 0 {
		return nil
	}
	var out string
	q := "SELECT " + strings.Join(todo, ",\n ")
	if err := p.db.QueryRowContext(ctx, "SELECT json_serialize_sql($1::VARCHAR)::VARCHAR", q).Scan(&out); err != nil {
		return fmt.Errorf("parse translation templates: %w", err)
	}
	dec := json.NewDecoder(strings.NewReader(out))
	dec.UseNumber()
	var res struct {
		Error        bool   `json:"error"`
		ErrorMessage string `json:"error_message"`
		Statements   []struct {
			Node struct {
				SelectList []map[string]any `json:"select_list"`
			} `json:"node"`
		} `json:"statements"`
	}
	if err := dec.Decode(&res); err != nil {
		return fmt.Errorf("parse translation templates: %w", err)
	}
	if res.Error || len(res.Statements) != 1 || len(res.Statements[0].Node.SelectList) != len(todo) {
		return fmt.Errorf("parse translation templates: %s", res.ErrorMessage)
	}
	for i, s := range todo {
		templateCache.Store(s, res.Statements[0].Node.SelectList[i])
	}
	return nil
}
