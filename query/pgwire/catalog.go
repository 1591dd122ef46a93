package pgwire

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"strings"
	"time"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/auditlake/auditlake/api/iam"
	"github.com/auditlake/auditlake/lake"
)

// pgTypes are the rows of pg_type: every type a column can have, with
// PostgreSQL's OIDs, names and format_type spellings.
var pgTypes = []struct {
	oid       uint32
	name, fmt string
	category  string
	elem, arr uint32
}{
	{oidBool, "bool", "boolean", "B", 0, oidBoolArray}, {oidBytea, "bytea", "bytea", "U", 0, 1001},
	{18, "char", `"char"`, "Z", 0, 1002}, {oidName, "name", "name", "S", 0, 1003},
	{oidInt8, "int8", "bigint", "N", 0, oidInt8Array}, {oidInt2, "int2", "smallint", "N", 0, oidInt2Array},
	{22, "int2vector", "int2vector", "A", oidInt2, 1006}, {oidInt4, "int4", "integer", "N", 0, oidInt4Array},
	{24, "regproc", "regproc", "N", 0, 1008}, {oidText, "text", "text", "S", 0, oidTextArray},
	{oidOID, "oid", "oid", "N", 0, oidOIDArray}, {30, "oidvector", "oidvector", "A", oidOID, 1013},
	{oidJSON, "json", "json", "U", 0, 199}, {oidFloat4, "float4", "real", "N", 0, 1021},
	{oidFloat8, "float8", "double precision", "N", 0, oidFloat8Array}, {1042, "bpchar", "character", "S", 0, 1014},
	{oidVarchar, "varchar", "character varying", "S", 0, 1015}, {oidDate, "date", "date", "D", 0, 1182},
	{oidTime, "time", "time without time zone", "D", 0, 1183},
	{oidTimestamp, "timestamp", "timestamp without time zone", "D", 0, 1115},
	{oidTimestamptz, "timestamptz", "timestamp with time zone", "D", 0, 1185},
	{oidInterval, "interval", "interval", "T", 0, 1187}, {oidNumeric, "numeric", "numeric", "N", 0, 1231},
	{2205, "regclass", "regclass", "N", 0, 2210}, {2206, "regtype", "regtype", "N", 0, 2211},
	{oidUUID, "uuid", "uuid", "U", 0, 2951}, {3802, "jsonb", "jsonb", "U", 0, 3807},
	{oidBoolArray, "_bool", "boolean[]", "A", oidBool, 0}, {oidInt2Array, "_int2", "smallint[]", "A", oidInt2, 0},
	{oidInt4Array, "_int4", "integer[]", "A", oidInt4, 0}, {oidInt8Array, "_int8", "bigint[]", "A", oidInt8, 0},
	{oidTextArray, "_text", "text[]", "A", oidText, 0}, {oidOIDArray, "_oid", "oid[]", "A", oidOID, 0},
	{1015, "_varchar", "character varying[]", "A", oidVarchar, 0}, {oidFloat8Array, "_float8", "double precision[]", "A", oidFloat8, 0},
	{199, "_json", "json[]", "A", oidJSON, 0}, {1003, "_name", "name[]", "A", oidName, 0},
}

// Fixed catalog OIDs, as PostgreSQL numbers them.
const (
	oidNamespaceCatalog = 11
	oidNamespacePublic  = 2200
	oidNamespaceInfo    = 13000 // varies by release in PostgreSQL; fixed here
	oidDatabase         = 16384
	oidRole             = 10
	oidClassPgClass     = 1259
	firstUserOID        = 16385
)

// relOID gives a store's table (or its UUID alias view) an OID that is the
// same on every connection and every probe, whatever other stores exist.
func relOID(storeID string, alias bool) uint32 {
	h := fnv.New32a()
	h.Write([]byte(storeID))
	if alias {
		h.Write([]byte("/alias"))
	}
	return firstUserOID + h.Sum32()%(1<<31-firstUserOID-1)
}

// storeTable is one store as the catalog shows it.
type storeTable struct {
	store lake.StoreInfo
	cols  []column
}

// catalogDB is a connection's in-memory DuckDB with the catalog. It holds
// no event data: store queries never run in it.
type catalogDB struct {
	connector *duckdb.Connector
	db        *sql.DB
	conn      *sql.Conn
	settings  int // len of the settings last copied to pg_settings, to refresh on change
}

func (d *catalogDB) close() error {
	return errors.Join(d.conn.Close(), d.db.Close(), d.connector.Close())
}

// catalog returns the connection's catalog database, building it on
// first use from the stores the user may read.
func (c *conn) catalog(ctx context.Context) (*catalogDB, error) {
	if c.cat != nil {
		return c.cat, nil
	}
	tables, err := c.visibleStores(ctx)
	if err != nil {
		return nil, err
	}
	d, err := openCatalog(ctx, c, tables)
	if err != nil {
		return nil, fmt.Errorf("build catalog: %w", err)
	}
	c.cat = d
	return d, nil
}

// visibleStores lists the stores the user may query, by name, with
// their columns.
func (c *conn) visibleStores(ctx context.Context) ([]storeTable, error) {
	all, err := c.s.opts.Stores.ListStores(ctx)
	if err != nil {
		return nil, err
	}
	var out []storeTable
	for _, st := range all {
		if st.Hidden || c.id.Policy.Evaluate("cloudtrail:StartQuery", st.ARN) != iam.Allow {
			continue
		}
		cols, err := c.s.storeColumns(ctx, st)
		if err != nil {
			return nil, err
		}
		out = append(out, storeTable{store: st, cols: cols})
	}
	slices.SortFunc(out, func(a, b storeTable) int { return strings.Compare(a.store.Name, b.store.Name) })
	return out, nil
}

// storeColumns returns a store's columns; stores of one row kind share a
// schema, asked of the engine once.
func (s *Server) storeColumns(ctx context.Context, st lake.StoreInfo) ([]column, error) {
	kind := lake.RowKindOf(st)
	s.mu.Lock()
	cols, ok := s.schemas[kind]
	s.mu.Unlock()
	if ok {
		return cols, nil
	}
	rows, err := s.opts.Engine.Query(ctx, "SELECT * FROM "+st.ID+" LIMIT 0")
	if err != nil {
		return nil, fmt.Errorf("columns of store %s: %w", st.ID, err)
	}
	defer rows.Close()
	for _, col := range rows.Columns() {
		cols = append(cols, column{name: col.Name, oid: pgType(col.DuckDBType, false)})
	}
	s.mu.Lock()
	s.schemas[kind] = cols
	s.mu.Unlock()
	return cols, nil
}

func openCatalog(ctx context.Context, c *conn, tables []storeTable) (_ *catalogDB, err error) {
	connector, err := duckdb.NewConnector("", nil)
	if err != nil {
		return nil, err
	}
	d := &catalogDB{connector: connector, db: sql.OpenDB(connector)}
	defer func() {
		if err != nil {
			_ = d.db.Close()
			_ = connector.Close()
		}
	}()
	if d.conn, err = d.db.Conn(ctx); err != nil {
		return nil, err
	}
	for _, stmt := range catalogSQL(c, tables) {
		if _, err := d.conn.ExecContext(ctx, stmt); err != nil {
			_ = d.conn.Close()
			return nil, fmt.Errorf("%.80s: %w", stmt, err)
		}
	}
	return d, nil
}

// catalogSQL is the script that builds the catalog of one connection.
func catalogSQL(c *conn, tables []storeTable) []string {
	out := []string{
		"SET threads = 1", "SET memory_limit = '128MB'", "SET TimeZone = 'UTC'",
		"SET autoinstall_known_extensions = false", "SET autoload_known_extensions = false",
		"CREATE SCHEMA pgc", "CREATE SCHEMA pgi", "CREATE SCHEMA public",
		"CREATE TABLE pgc._session(name VARCHAR, value VARCHAR)",
		"CREATE TABLE pgc._types(oid UINTEGER, typname VARCHAR, fmt VARCHAR)",
	}
	for _, t := range catalogTables {
		out = append(out, "CREATE TABLE pgc."+t)
	}
	out = append(out, groupMacros(catalogMacros)...)
	out = append(out, catalogViews...)
	started := time.Now().UTC().Format(time.RFC3339)
	out = append(out, fmt.Sprintf("INSERT INTO pgc._session VALUES ('version', %s), ('database', %s), ('user', %s), ('pid', '%d'), ('started', '%s')",
		quoteLiteral("PostgreSQL "+c.s.opts.ServerVersion+" on x86_64-pc-linux-gnu, compiled by Go, 64-bit"),
		quoteLiteral(c.db), quoteLiteral(c.id.AccessKeyID), c.pid, started))
	var rows []string
	for _, t := range pgTypes {
		rows = append(rows, fmt.Sprintf("(%d, '%s', %d, %d, %d, %t, 'b', '%s', false, true, ',', 0, 0, %d, %d, '%sin', '%sout', '%srecv', '%ssend', '-', '-', '-', 'i', 'p', false, 0, -1, 0, 0, NULL, NULL, NULL)",
			t.oid, t.name, oidNamespaceCatalog, oidRole, typeLen(t.oid), typeLen(t.oid) > 0 && typeLen(t.oid) <= 8,
			t.category, t.elem, t.arr, t.name, t.name, t.name, t.name))
	}
	out = append(out, "INSERT INTO pgc.pg_type VALUES "+strings.Join(rows, ", "))
	out = append(out, "INSERT INTO pgc._types SELECT oid, typname, NULL FROM pgc.pg_type")
	for _, t := range pgTypes {
		out = append(out, fmt.Sprintf("UPDATE pgc._types SET fmt = %s WHERE oid = %d", quoteLiteral(t.fmt), t.oid))
	}
	out = append(out,
		fmt.Sprintf("INSERT INTO pgc.pg_namespace VALUES (%d, 'pg_catalog', 10, NULL), (%d, 'public', 10, NULL), (%d, 'information_schema', 10, NULL)",
			oidNamespaceCatalog, oidNamespacePublic, oidNamespaceInfo),
		fmt.Sprintf("INSERT INTO pgc.pg_database VALUES (%d, %s, 10, 6, 'c', false, true, -1, 0, 0, 1663, 'C.UTF-8', 'C.UTF-8', NULL, NULL, NULL, NULL)",
			oidDatabase, quoteLiteral(c.db)),
		fmt.Sprintf("INSERT INTO pgc.pg_roles VALUES (%s, false, true, false, false, true, false, -1, '********', NULL, false, NULL, %d)",
			quoteLiteral(c.id.AccessKeyID), oidRole),
		"INSERT INTO pgc.pg_am VALUES (2, 'heap', 'heap_tableam_handler', 't')",
		"INSERT INTO pgc.pg_tablespace VALUES (1663, 'pg_default', 10, NULL, NULL)",
		"INSERT INTO pgc.pg_language VALUES (12, 'internal', 10, false, false), (14, 'sql', 10, false, true)",
		"INSERT INTO pgc.pg_collation VALUES (100, 'default', 11, 10, 'd', true, -1, NULL, NULL)",
	)
	out = append(out, settingsSQL(c.sess)...)
	out = append(out, procSQL())
	for _, t := range tables {
		out = append(out, tableSQL(t)...)
	}
	out = append(out, "SET search_path = 'public,pgc'")
	return out
}

// settingsSQL refills pg_settings from the session.
func settingsSQL(s *session) []string {
	rows := make([]string, len(s.settings))
	for i, st := range s.settings {
		rows[i] = fmt.Sprintf("(%s, %s, NULL, %s, %s, NULL, 'user', 'string', 'session', NULL, NULL, NULL, %[2]s, %[2]s, NULL, NULL, false)",
			quoteLiteral(st.name), quoteLiteral(st.value), quoteLiteral(st.category), quoteLiteral(st.desc))
	}
	return []string{"DELETE FROM pgc.pg_settings", "INSERT INTO pgc.pg_settings VALUES " + strings.Join(rows, ", ")}
}

// procSQL lists the catalog functions in pg_proc.
func procSQL() string {
	var rows []string
	oid := 9000
	for name := range catalogFunctions {
		oid++
		rows = append(rows, fmt.Sprintf("(%d, %s, 11, 10, 12, 1, 0, 0, '-', 'f', false, false, true, false, 's', 's', 0, 0, 25, [], NULL, NULL, NULL, NULL, NULL, %[2]s, NULL, NULL, NULL, NULL)", oid, quoteLiteral(name)))
	}
	slices.Sort(rows)
	return "INSERT INTO pgc.pg_proc VALUES " + strings.Join(rows, ", ")
}

// tableSQL adds one store: a table named after it, a view named by its
// ID (the alias), their columns and the store's ARN as the description.
func tableSQL(t storeTable) []string {
	var out []string
	for _, alias := range []bool{false, true} {
		oid := relOID(t.store.ID, alias)
		name, kind := t.store.Name, "r"
		if alias {
			name, kind = t.store.ID, "v"
		}
		out = append(out, fmt.Sprintf(`INSERT INTO pgc.pg_class VALUES (%d, %s, %d, 0, 0, 10, %d, 0, 0, 0, -1, 0, 0, false, false, 'p', '%s', %d,
			0, false, false, false, false, false, true, 'n', false, 0, 0, 0, NULL, NULL, NULL)`,
			oid, quoteLiteral(name), oidNamespacePublic, map[bool]int{false: 2, true: 0}[alias], kind, len(t.cols)))
		desc := "event data store " + t.store.ARN
		if alias {
			desc = "the event data store " + t.store.Name + " by its ID"
		}
		out = append(out, fmt.Sprintf("INSERT INTO pgc.pg_description VALUES (%d, %d, 0, %s)", oid, oidClassPgClass, quoteLiteral(desc)))
		rows := make([]string, len(t.cols))
		for i, col := range t.cols {
			rows[i] = fmt.Sprintf("(%d, %s, %d, -1, %d, %d, 0, -1, -1, %t, 'i', 'x', '', false, false, false, '', '', false, true, 0, %d, NULL, NULL, NULL, NULL)",
				oid, quoteLiteral(col.name), col.oid, typeLen(col.oid), i+1, typeLen(col.oid) > 0 && typeLen(col.oid) <= 8, collationOf(col.oid))
		}
		if len(rows) > 0 {
			out = append(out, "INSERT INTO pgc.pg_attribute VALUES "+strings.Join(rows, ", "))
		}
	}
	return out
}

func collationOf(oid uint32) int {
	if oid == oidText || oid == oidVarchar {
		return 100
	}
	return 0
}

// query runs a catalog statement, after refreshing pg_settings if the
// session changed.
func (d *catalogDB) query(ctx context.Context, s *session, text string) (*result, error) {
	if d.settings != settingsVersion(s) {
		for _, stmt := range settingsSQL(s) {
			if _, err := d.conn.ExecContext(ctx, stmt); err != nil {
				return nil, fmt.Errorf("refresh pg_settings: %w", err)
			}
		}
		d.settings = settingsVersion(s)
	}
	rows, err := d.conn.QueryContext(ctx, rewriteCatalog(text))
	if err != nil {
		if readsEmptyCatalog(text) {
			// psql's \d asks about statistics, policies, triggers and
			// publications with SQL DuckDB cannot bind; none exist here.
			return rowsResult([]column{{"?column?", oidText}}, nil), nil
		}
		return nil, err
	}
	res, err := sqlResult(rows)
	if err != nil {
		return nil, errors.Join(err, rows.Close())
	}
	return res, nil
}

// settingsVersion changes whenever a setting does.
func settingsVersion(s *session) int {
	h := fnv.New32a()
	for _, st := range s.settings {
		h.Write([]byte(st.name + "=" + st.value + ";"))
	}
	return int(h.Sum32()>>1) + 1
}

// groupMacros merges the overloads of each macro into one CREATE MACRO
// statement, as DuckDB wants them.
func groupMacros(defs []string) []string {
	var order []string
	bodies := map[string][]string{}
	for _, d := range defs {
		rest := strings.TrimPrefix(d, "CREATE MACRO ")
		i := strings.IndexByte(rest, '(')
		name := rest[:i]
		if _, ok := bodies[name]; !ok {
			order = append(order, name)
		}
		bodies[name] = append(bodies[name], rest[i:])
	}
	out := make([]string, len(order))
	for i, name := range order {
		out[i] = "CREATE MACRO " + name + strings.Join(bodies[name], ", ")
	}
	return out
}

// emptyCatalogs are catalog relations that never have rows here.
var emptyCatalogs = []string{"pg_statistic_ext", "pg_policy", "pg_publication", "pg_inherits", "pg_trigger",
	"pg_rewrite", "pg_constraint", "pg_index", "pg_partitioned_table", "pg_foreign_table", "pg_event_trigger", "pg_sequence"}

// readsEmptyCatalog reports whether a statement reads one of emptyCatalogs.
func readsEmptyCatalog(text string) bool {
	for _, t := range words(text) {
		if slices.Contains(emptyCatalogs, strings.ToLower(t.text)) {
			return true
		}
	}
	return false
}
