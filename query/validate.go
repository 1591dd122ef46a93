package query

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/duckdb/duckdb-go/v2"
)

// parser turns SQL into DuckDB's own AST with json_serialize_sql. It owns a
// small in-memory DuckDB that never runs the statements it parses, locked
// down like the query sandbox all the same.
type parser struct {
	conn *duckdb.Connector
	db   *sql.DB
}

func newParser(ctx context.Context) (*parser, error) {
	c, err := duckdb.NewConnector("", nil)
	if err != nil {
		return nil, fmt.Errorf("open parser database: %w", err)
	}
	p := &parser{conn: c, db: sql.OpenDB(c)}
	for _, s := range []string{
		"SET threads = 1",
		"SET autoinstall_known_extensions = false",
		"SET autoload_known_extensions = false",
		"SET enable_external_access = false",
		"SET lock_configuration = true",
	} {
		if _, err := p.db.ExecContext(ctx, s); err != nil {
			return nil, errors.Join(fmt.Errorf("set up parser database: %w", err), p.Close())
		}
	}
	return p, nil
}

func (p *parser) Close() error {
	return errors.Join(p.db.Close(), p.conn.Close())
}

// parseResult is the JSON that json_serialize_sql returns.
type parseResult struct {
	Error        bool              `json:"error"`
	ErrorType    string            `json:"error_type"`
	ErrorMessage string            `json:"error_message"`
	Position     string            `json:"position"`
	Statements   []json.RawMessage `json:"statements"`
}

// parse returns the single SELECT statement in rw.SQL as json_serialize_sql
// gives it (its "node" is the AST), as generic JSON values. Parse errors
// and anything but exactly one SELECT are *StatementErrors. The
// current-time forms in the tree are already fixed to rw.Now (foldNow).
func (p *parser) parse(ctx context.Context, rw *rewritten) (map[string]any, error) {
	var out string
	if err := p.db.QueryRowContext(ctx, "SELECT json_serialize_sql($1::VARCHAR)::VARCHAR", rw.SQL).Scan(&out); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, newStatementError(rw.Orig, -1, "%s", cleanDuckDBError(err))
	}
	var res parseResult
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		return nil, newStatementError(rw.Orig, -1, "statement too complex to check: %v", err)
	}
	if res.Error {
		off := -1
		if n, err := strconv.Atoi(res.Position); err == nil {
			off = rw.origOffset(n)
		}
		msg := res.ErrorMessage
		if res.ErrorType == "not implemented" {
			msg = "only SELECT statements are allowed"
		}
		return nil, syntaxError(rw, off, msg)
	}
	if n := len(res.Statements); n != 1 {
		return nil, newStatementError(rw.Orig, -1, "expected exactly one SELECT statement, found %d statements", n)
	}
	dec := json.NewDecoder(strings.NewReader(string(res.Statements[0])))
	dec.UseNumber()
	var stmt map[string]any
	if err := dec.Decode(&stmt); err != nil {
		return nil, newStatementError(rw.Orig, -1, "statement too complex to check: %v", err)
	}
	if _, ok := stmt["node"].(map[string]any); !ok {
		return nil, newStatementError(rw.Orig, -1, "only SELECT statements are allowed")
	}
	if err := p.foldNow(ctx, rw, stmt); err != nil {
		return nil, err
	}
	return stmt, nil
}

// cleanDuckDBError keeps the first line of a DuckDB error message.
func cleanDuckDBError(err error) string {
	s := err.Error()
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

// allowedTableFunctions are the table functions a statement may call. They
// compute rows from their arguments and touch no file or setting.
var allowedTableFunctions = map[string]bool{
	"unnest": true, "range": true, "generate_series": true,
}

// deniedFunctions are scalar functions and macros a statement may not call:
// they read settings, the environment, secrets or catalog metadata (which
// would reveal segment paths).
var deniedFunctions = map[string]bool{
	"getenv": true, "current_setting": true, "which_secret": true, "getvariable": true,
	"query": true, "query_table": true, "glob": true, "sniff_csv": true,
	"json_execute_serialized_sql": true, "read_text": true, "read_blob": true,
	"current_schemas": true, "current_database": true, "current_catalog": true,
	"col_description": true, "obj_description": true, "shobj_description": true,
	"format_pg_type": true, "format_type": true,
}

// deniedFunctionPrefixes deny whole families, whatever the exact name.
var deniedFunctionPrefixes = []string{
	"duckdb_", "pragma_", "read_", "parquet_", "sniff_", "pg_", "has_", "icu_", "sqlite_",
	"information_schema", "enable_", "disable_", "checkpoint", "force_", "sql_auto_complete",
	"test_", "json_execute", "iceberg", "delta_", "postgres_", "mysql_",
}

func functionDenied(name string) bool {
	name = strings.ToLower(name)
	if deniedFunctions[name] {
		return true
	}
	for _, p := range deniedFunctionPrefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// checker walks a statement's AST and refuses what the sandbox does not
// allow.
type checker struct {
	rw    *rewritten
	known map[string]bool // lower-cased placeholders of resolved references
}

// validateAST checks that node, a SELECT's AST, reads nothing but the
// placeholders of rw and CTEs in scope, and calls no denied function.
func validateAST(rw *rewritten, node map[string]any) error {
	c := &checker{rw: rw, known: map[string]bool{}}
	for _, r := range rw.Refs {
		c.known[strings.ToLower(r.Placeholder)] = true
	}
	return c.walk(node, nil)
}

func (c *checker) fail(loc any, format string, args ...any) error {
	off := -1
	if n, ok := loc.(json.Number); ok {
		if v, err := strconv.ParseInt(string(n), 10, 64); err == nil && v >= 0 && v < int64(len(c.rw.SQL)+1) {
			off = c.rw.origOffset(int(v))
		}
	}
	return newStatementError(c.rw.Orig, off, format, args...)
}

// walk visits every JSON value under v. scope holds the CTE names visible
// at v, innermost last.
func (c *checker) walk(v any, scope []string) error {
	switch v := v.(type) {
	case []any:
		for _, e := range v {
			if err := c.walk(e, scope); err != nil {
				return err
			}
		}
	case map[string]any:
		return c.walkObject(v, scope)
	}
	return nil
}

func (c *checker) walkObject(m map[string]any, scope []string) error {
	typ, _ := m["type"].(string)
	_, isExpr := m["class"]
	_, isNode := m["modifiers"]
	_, isRef := m["sample"]
	switch {
	case isNode:
		if !queryNodeTypes[typ] {
			return c.fail(nil, "%s is not allowed", strings.ToLower(typ))
		}
		if cm, ok := m["cte_map"].(map[string]any); ok {
			return c.walkWithCTEs(m, cm, scope)
		}
	case isExpr:
		if name, ok := m["function_name"].(string); ok {
			if err := c.checkFunction(m, name, false); err != nil {
				return err
			}
		}
	case isRef:
		if err := c.checkTableRef(m, typ, scope); err != nil {
			return err
		}
	}
	for k, e := range m {
		if k == "cte_map" {
			continue
		}
		if err := c.walk(e, scope); err != nil {
			return err
		}
	}
	return nil
}

var queryNodeTypes = map[string]bool{
	"SELECT_NODE": true, "SET_OPERATION_NODE": true, "RECURSIVE_CTE_NODE": true, "CTE_NODE": true,
}

// walkWithCTEs walks a query node that defines CTEs. A CTE's body sees the
// CTEs defined before it and itself (for WITH RECURSIVE); the rest of the
// node sees them all.
func (c *checker) walkWithCTEs(m, cm map[string]any, scope []string) error {
	entries, _ := cm["map"].([]any)
	inner := append([]string(nil), scope...)
	for _, e := range entries {
		em, ok := e.(map[string]any)
		if !ok {
			return c.fail(nil, "unexpected CTE structure")
		}
		name, _ := em["key"].(string)
		inner = append(inner, strings.ToLower(name))
		if err := c.walk(em["value"], inner); err != nil {
			return err
		}
	}
	for k, e := range m {
		if k == "cte_map" {
			continue
		}
		if err := c.walk(e, inner); err != nil {
			return err
		}
	}
	return nil
}

var tableRefTypes = map[string]bool{
	"BASE_TABLE": true, "TABLE_FUNCTION": true, "JOIN": true, "SUBQUERY": true,
	"EXPRESSION_LIST": true, "EMPTY": true, "PIVOT": true,
}

func (c *checker) checkTableRef(m map[string]any, typ string, scope []string) error {
	loc := m["query_location"]
	if !tableRefTypes[typ] {
		return c.fail(loc, "%s is not allowed in FROM", strings.ToLower(strings.ReplaceAll(typ, "_", " ")))
	}
	switch typ {
	case "TABLE_FUNCTION":
		fn, _ := m["function"].(map[string]any)
		name, _ := fn["function_name"].(string)
		return c.checkFunction(fn, name, true)
	case "BASE_TABLE":
		return c.checkBaseTable(m, scope)
	}
	return nil
}

func (c *checker) checkBaseTable(m map[string]any, scope []string) error {
	loc := m["query_location"]
	name, _ := m["table_name"].(string)
	schema, _ := m["schema_name"].(string)
	catalog, _ := m["catalog_name"].(string)
	if schema != "" || catalog != "" {
		return c.fail(loc, "qualified table name %s is not allowed; name an event data store by its ID or name", strconv.Quote(strings.Trim(catalog+"."+schema+"."+name, ".")))
	}
	if at := m["at_clause"]; at != nil {
		return c.fail(loc, "AT clause is not allowed")
	}
	lower := strings.ToLower(name)
	for _, s := range scope {
		if s == lower {
			return nil
		}
	}
	if c.known[lower] {
		return nil
	}
	if strings.ContainsAny(name, "/\\.:") || strings.Contains(name, "*") {
		return c.fail(loc, "reading files is not allowed (%s); name an event data store by its ID or name", strconv.Quote(name))
	}
	return c.fail(loc, "%s is not an event data store", strconv.Quote(name))
}

func (c *checker) checkFunction(m map[string]any, name string, table bool) error {
	loc := m["query_location"]
	schema, _ := m["schema"].(string)
	catalog, _ := m["catalog"].(string)
	if catalog != "" || schema != "" && !strings.EqualFold(schema, "main") {
		return c.fail(loc, "qualified function name %s is not allowed", strconv.Quote(strings.Trim(catalog+"."+schema+"."+name, ".")))
	}
	lower := strings.ToLower(name)
	if table {
		if !allowedTableFunctions[lower] {
			return c.fail(loc, "table function %s is not allowed", lower)
		}
		return nil
	}
	if functionDenied(lower) {
		return c.fail(loc, "function %s is not allowed", lower)
	}
	return nil
}
