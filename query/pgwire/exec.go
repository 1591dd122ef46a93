package pgwire

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"strings"

	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/auditlake/auditlake/api/iam"
	"github.com/auditlake/auditlake/lake"
	"github.com/auditlake/auditlake/query"
)

// column is one result column as the client sees it.
type column struct {
	name string
	oid  uint32
}

// result is a started statement: rows to stream, or a command tag.
type result struct {
	cols    []column // nil: a command without rows
	tag     string   // command tag; for row results the verb ("SELECT")
	next    func() bool
	values  func() []any
	err     func() error
	closeFn func() error
	copyOut *copyOptions // COPY ... TO STDOUT
}

func (r *result) close() error {
	if r.closeFn == nil {
		return nil
	}
	f := r.closeFn
	r.closeFn = nil
	return f()
}

func commandResult(tag string) *result { return &result{tag: tag} }

// rowsResult serves a fixed set of rows.
func rowsResult(cols []column, rows [][]any) *result {
	i := -1
	return &result{
		cols: cols, tag: "SELECT",
		next:   func() bool { i++; return i < len(rows) },
		values: func() []any { return rows[i] },
		err:    func() error { return nil },
	}
}

// engineResult streams the rows of a store query.
func engineResult(rows *query.Rows) *result {
	cols := make([]column, len(rows.Columns()))
	for i, col := range rows.Columns() {
		cols[i] = column{name: col.Name, oid: pgType(col.DuckDBType, false)}
	}
	return &result{cols: cols, tag: "SELECT", next: rows.Next, values: rows.Values, err: rows.Err, closeFn: rows.Close}
}

// sqlResult streams the rows of a catalog query.
func sqlResult(rows *sql.Rows) (*result, error) {
	types, err := rows.ColumnTypes()
	if err != nil {
		return nil, fmt.Errorf("result columns: %w", err)
	}
	cols := make([]column, len(types))
	vals := make([]any, len(types))
	ptrs := make([]any, len(types))
	for i, t := range types {
		cols[i] = column{name: pgColumnName(t.Name()), oid: pgType(t.DatabaseTypeName(), true)}
		ptrs[i] = &vals[i]
	}
	var scanErr error
	next := func() bool {
		if scanErr != nil || !rows.Next() {
			return false
		}
		clear(vals)
		if scanErr = rows.Scan(ptrs...); scanErr != nil {
			return false
		}
		return true
	}
	errFn := func() error {
		if scanErr != nil {
			return scanErr
		}
		return rows.Err()
	}
	return &result{cols: cols, tag: "SELECT", next: next, values: func() []any { return vals }, err: errFn, closeFn: rows.Close}, nil
}

// callColumnRE matches the name DuckDB gives an unaliased function call
// of the catalog, such as pgc."version"().
var callColumnRE = regexp.MustCompile(`^(?:(?:pgc|pgi|main)\.)?"?([A-Za-z_][A-Za-z0-9_]*)"?\(.*\)$`)

// pgColumnName names a catalog result column as PostgreSQL does: an
// unaliased function call after the function (version, not
// pgc."version"()).
func pgColumnName(name string) string {
	if m := callColumnRE.FindStringSubmatch(name); m != nil {
		return m[1]
	}
	return name
}

// open starts the portal's statement if it has not started yet.
func (c *conn) open(p *portal) error {
	if p.res != nil {
		return nil
	}
	if p.ctx == nil {
		p.ctx, p.cancel = context.WithTimeout(context.Background(), c.s.opts.QueryTimeout)
	}
	c.setRunning(p.cancel)
	defer c.setRunning(nil)
	res, err := c.start(p.ctx, p.sql)
	if err != nil {
		return mapError(p.ctx, p.sql, err)
	}
	p.res = res
	return nil
}

// writeKeywords are statements that would change something.
var writeKeywords = map[string]bool{
	"insert": true, "update": true, "delete": true, "merge": true, "create": true, "drop": true, "alter": true,
	"truncate": true, "grant": true, "revoke": true, "vacuum": true, "analyze": true, "cluster": true,
	"reindex": true, "comment": true, "lock": true, "refresh": true, "call": true, "do": true, "import": true,
}

// start classifies a statement and starts it.
func (c *conn) start(ctx context.Context, text string) (*result, error) {
	kw := keyword(text)
	switch kw {
	case "":
		return &result{tag: ""}, nil
	case "begin", "start":
		c.sess.inTx = true
		if kw == "start" {
			return commandResult("START TRANSACTION"), nil
		}
		return commandResult("BEGIN"), nil
	case "commit", "end":
		c.sess.inTx = false
		return commandResult("COMMIT"), nil
	case "rollback", "abort":
		c.sess.inTx = false
		return commandResult("ROLLBACK"), nil
	case "set":
		if name, value, ok := parseSet(text); ok && c.sess.set(name, value) {
			c.be.Send(&pgproto3.ParameterStatus{Name: displayName(name), Value: value})
		}
		return commandResult("SET"), nil
	case "reset":
		return commandResult("RESET"), nil
	case "show":
		return c.show(text)
	case "discard":
		return commandResult("DISCARD ALL"), nil
	case "deallocate":
		return commandResult("DEALLOCATE"), nil
	case "listen", "unlisten":
		return commandResult(strings.ToUpper(kw)), nil
	case "close":
		return commandResult("CLOSE CURSOR"), nil
	case "copy":
		return c.copyStatement(ctx, text)
	case "select", "with", "values", "table":
		return c.query(ctx, text)
	}
	if writeKeywords[kw] {
		return nil, &pgError{code: "25006", msg: fmt.Sprintf("cannot execute %s in a read-only transaction", strings.ToUpper(kw))}
	}
	return nil, &pgError{code: "0A000", msg: fmt.Sprintf("%s is not supported by auditlake", strings.ToUpper(kw))}
}

func (c *conn) show(text string) (*result, error) {
	ws := words(text)
	if len(ws) < 2 {
		return nil, &pgError{code: "42601", msg: "syntax error at end of input"}
	}
	name := strings.ToLower(unquoteIdent(ws[1].text))
	if len(ws) >= 3 && name == "time" && strings.EqualFold(ws[2].text, "zone") {
		name = "timezone"
	}
	if name == "all" {
		rows := make([][]any, len(c.sess.settings))
		for i, st := range c.sess.settings {
			rows[i] = []any{st.name, st.value, st.desc}
		}
		return rowsResult([]column{{"name", oidText}, {"setting", oidText}, {"description", oidText}}, rows), nil
	}
	v, ok := c.sess.get(name)
	if !ok {
		return nil, &pgError{code: "42704", msg: fmt.Sprintf("unrecognized configuration parameter %q", name)}
	}
	res := rowsResult([]column{{name, oidText}}, [][]any{{v}})
	res.tag = "SHOW"
	return res, nil
}

var setConfigRE = regexp.MustCompile(`(?is)^\s*select\s+(?:pg_catalog\.)?set_config\s*\(\s*'((?:[^']|'')*)'\s*,\s*'((?:[^']|'')*)'\s*,\s*(true|false)\s*\)\s*(?:as\s+\w+\s*)?;?\s*$`)

// query runs a SELECT: over the catalog in the connection's catalog
// database, over stores in the engine after checking the caller's policy.
func (c *conn) query(ctx context.Context, text string) (*result, error) {
	if m := setConfigRE.FindStringSubmatch(text); m != nil {
		name, value := strings.ReplaceAll(m[1], "''", "'"), strings.ReplaceAll(m[2], "''", "'")
		if c.sess.set(name, value) {
			c.be.Send(&pgproto3.ParameterStatus{Name: displayName(name), Value: value})
		}
		return rowsResult([]column{{"set_config", oidText}}, [][]any{{value}}), nil
	}
	if isCatalogQuery(text) {
		return c.catalogQuery(ctx, text)
	}
	storeSQL := stripSchema(text)
	reads, err := c.s.opts.Engine.Analyze(ctx, storeSQL)
	if err != nil {
		return nil, err
	}
	if len(reads) == 0 {
		return c.catalogQuery(ctx, text)
	}
	for _, r := range reads {
		if r.Store.Hidden {
			return nil, fmt.Errorf("%w: %s", lake.ErrStoreNotFound, r.Store.Name)
		}
		if c.id.Policy.Evaluate("cloudtrail:StartQuery", r.Store.ARN) != iam.Allow {
			return nil, &pgError{code: "42501", msg: fmt.Sprintf("permission denied for table %s: %s is not authorized to perform cloudtrail:StartQuery on %s", r.Store.Name, c.id.ARN, r.Store.ARN)}
		}
	}
	rows, err := c.s.opts.Engine.Query(ctx, storeSQL)
	if err != nil {
		return nil, err
	}
	return engineResult(rows), nil
}

func (c *conn) catalogQuery(ctx context.Context, text string) (*result, error) {
	cat, err := c.catalog(ctx)
	if err != nil {
		return nil, err
	}
	return cat.query(ctx, c.sess, text)
}

// describeSQL returns the columns a statement would return, without
// running it; nil for statements without rows.
func (c *conn) describeSQL(text string) ([]column, error) {
	switch kw := keyword(text); kw {
	case "select", "with", "values", "table":
		if setConfigRE.MatchString(text) {
			return []column{{"set_config", oidText}}, nil
		}
		wrapped := "SELECT * FROM (\n" + strings.TrimRight(strings.TrimSpace(text), ";") + "\n) AS _pg_describe LIMIT 0"
		ctx, cancel := context.WithTimeout(context.Background(), c.s.opts.QueryTimeout)
		defer cancel()
		c.setRunning(cancel)
		defer c.setRunning(nil)
		var res *result
		var err error
		if isCatalogQuery(text) { // the wrapper has a FROM: decide on the statement itself
			res, err = c.catalogQuery(ctx, wrapped)
		} else {
			res, err = c.query(ctx, wrapped)
		}
		if err != nil {
			return nil, mapError(ctx, text, err)
		}
		defer res.close()
		return res.cols, nil
	case "show":
		res, err := c.show(text)
		if err != nil {
			return nil, err
		}
		return res.cols, nil
	}
	return nil, nil
}

func (c *conn) sendRowDescription(cols []column, formats []int16) {
	if cols == nil {
		c.be.Send(&pgproto3.NoData{})
		return
	}
	fields := make([]pgproto3.FieldDescription, len(cols))
	for i, col := range cols {
		fields[i] = pgproto3.FieldDescription{
			Name: []byte(col.name), DataTypeOID: col.oid, DataTypeSize: typeLen(col.oid),
			TypeModifier: -1, Format: formatOf(formats, i),
		}
	}
	c.be.Send(&pgproto3.RowDescription{Fields: fields})
}

func formatOf(formats []int16, i int) int16 {
	switch {
	case len(formats) == 0:
		return 0
	case len(formats) == 1:
		return formats[0]
	case i < len(formats):
		return formats[i]
	}
	return 0
}

// flushBytes is how much row data is buffered before it is written to
// the client; writing blocks while the client does not read, so a slow
// client holds the query, not memory.
const flushBytes = 64 << 10

// run executes a portal: up to max rows (0: all), then PortalSuspended or
// CommandComplete. simple sends the RowDescription first, as the simple
// query protocol does.
func (c *conn) run(p *portal, max int64, simple bool) error {
	if err := c.open(p); err != nil {
		return err
	}
	res := p.res
	if res.copyOut != nil {
		return c.copyOut(p)
	}
	if res.cols == nil {
		if res.tag == "" {
			c.be.Send(&pgproto3.EmptyQueryResponse{})
		} else {
			c.be.Send(&pgproto3.CommandComplete{CommandTag: []byte(res.tag)})
		}
		return p.close()
	}
	if simple {
		c.sendRowDescription(res.cols, nil)
	}
	c.setRunning(p.cancel)
	defer c.setRunning(nil)
	enc := newRowEncoder(len(res.cols))
	pending := 0
	for sent := int64(0); max <= 0 || sent < max; sent++ {
		if !res.next() {
			if err := res.err(); err != nil {
				return mapError(p.ctx, p.sql, err)
			}
			tag := res.tag
			if tag == "SELECT" {
				tag = fmt.Sprintf("SELECT %d", p.rows)
			}
			c.be.Send(&pgproto3.CommandComplete{CommandTag: []byte(tag)})
			return p.close()
		}
		if err := enc.encode(res.values(), res.cols, p.formats); err != nil {
			return err
		}
		c.be.Send(&pgproto3.DataRow{Values: enc.vals})
		p.rows++
		if pending += len(enc.buf) + 4*len(enc.vals); pending >= flushBytes {
			pending = 0
			if err := c.be.Flush(); err != nil {
				return err
			}
		}
	}
	c.be.Send(&pgproto3.PortalSuspended{})
	return nil
}

// rowEncoder encodes rows for DataRow messages, reusing its buffers from
// row to row: vals points into buf and is valid until the next encode.
type rowEncoder struct {
	m    *pgtype.Map
	buf  []byte
	ends []int
	vals [][]byte
}

func newRowEncoder(n int) *rowEncoder {
	return &rowEncoder{m: pgtype.NewMap(), ends: make([]int, n), vals: make([][]byte, n)}
}

// encode encodes one row, each value in the format Bind asked for.
func (e *rowEncoder) encode(row []any, cols []column, formats []int16) error {
	buf := e.buf[:0]
	for i, v := range row {
		if v == nil {
			e.ends[i] = -1
			continue
		}
		if formatOf(formats, i) != pgtype.BinaryFormatCode {
			buf = appendText(buf, v, cols[i].oid)
		} else if out, ok := appendBinary(buf, v, cols[i].oid); ok {
			buf = out
		} else {
			var err error
			if buf, err = e.m.Encode(cols[i].oid, pgtype.BinaryFormatCode, binaryValue(v, cols[i].oid), buf); err != nil {
				return &pgError{code: "22P03", msg: fmt.Sprintf("column %s: binary format: %v", cols[i].name, err)}
			}
		}
		e.ends[i] = len(buf)
	}
	start := 0
	for i, end := range e.ends[:len(row)] {
		if end < 0 {
			e.vals[i] = nil
			continue
		}
		e.vals[i] = buf[start:end:end]
		start = end
	}
	e.buf = buf
	return nil
}
