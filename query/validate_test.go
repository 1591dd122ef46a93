package query

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/duckdb/duckdb-go/v2"
	"github.com/stretchr/testify/require"

	"github.com/auditlake/auditlake/lake"
)

func TestValidateAccepts(t *testing.T) {
	e := newTestEngine(t, testLake(t), Options{})
	for _, q := range []string{
		"SELECT 1",
		"select eventName from " + prodID,
		"VALUES (1, 'a'), (2, 'b')",
		"SELECT * FROM (VALUES (1)) v(x)",
		"SELECT eventName FROM prod-trail INTERSECT SELECT eventName FROM audit.backup",
		"SELECT eventName FROM prod-trail EXCEPT ALL SELECT eventName FROM audit.backup",
		"FROM prod-trail SELECT eventName",
		"FROM prod-trail",
		"SELECT * FROM prod-trail WHERE eventID IN (SELECT eventID FROM audit.backup)",
		"WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 3) SELECT * FROM r",
		"WITH a AS (SELECT 1 x), b AS (SELECT x FROM a) SELECT * FROM b",
		"SELECT * FROM prod-trail, unnest(resources) AS t(r)",
		"SELECT * FROM prod-trail CROSS JOIN LATERAL (SELECT unnest(resources) AS r) x",
		"SELECT x FROM range(3) t(x)",
		"SELECT * FROM generate_series(1, 3)",
		"SELECT row_number() OVER (PARTITION BY eventName ORDER BY eventTime) FROM prod-trail QUALIFY row_number() OVER (PARTITION BY eventName ORDER BY eventTime) = 1",
		"SELECT json_extract_string(eventJson, '$.eventName'), [1, 2], {'a': 1}, MAP {'k': 'v'} FROM prod-trail",
		"SELECT * FROM prod-trail ORDER BY eventTime DESC LIMIT 10 OFFSET 2",
		"SELECT * FROM (SELECT eventName FROM prod-trail) PIVOT (count(*) FOR eventName IN ('GetObject', 'PutObject'))",
		"SELECT 1;",
		"SELECT 1 -- comment",
	} {
		require.NoError(t, e.Validate(context.Background(), q), q)
	}
}

func TestValidateRefusesNonSelect(t *testing.T) {
	e := newTestEngine(t, testLake(t), Options{})
	err := e.Validate(context.Background(), "DROP TABLE x")
	var se *StatementError
	require.ErrorAs(t, err, &se)
	require.Equal(t, "only SELECT statements are allowed", se.Reason)
	require.ErrorIs(t, err, ErrInvalidStatement)
	require.NotErrorIs(t, err, lake.ErrStoreNotFound)
}

func TestFunctionDenied(t *testing.T) {
	for _, name := range []string{"getenv", "GETENV", "current_setting", "duckdb_settings", "read_csv", "pg_get_viewdef", "pragma_version", "glob", "query"} {
		require.True(t, functionDenied(name), name)
	}
	for _, name := range []string{"count", "element_at", "json_extract", "date_trunc", "regexp_matches", "list_filter", "strftime", "now"} {
		require.False(t, functionDenied(name), name)
	}
}

// oracle is an independent check for FuzzValidate: DuckDB's own prepared
// statement, in a locked database with tables standing in for the
// placeholders, must be exactly one SELECT.
type oracle struct {
	conn *sql.Conn
}

func newOracle(t testing.TB, emptyFile string) *oracle {
	c, err := duckdb.NewConnector("", nil)
	require.NoError(t, err)
	db := sql.OpenDB(c)
	conn, err := db.Conn(context.Background())
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, errors.Join(conn.Close(), db.Close(), c.Close())) })
	for i := 1; i <= 16; i++ {
		_, err := conn.ExecContext(context.Background(), fmt.Sprintf(
			"CREATE TABLE %s%d AS SELECT * FROM read_parquet(%s)", placeholderPrefix, i, sqlString(emptyFile)))
		require.NoError(t, err)
	}
	for _, s := range []string{"SET enable_external_access = false", "SET lock_configuration = true"} {
		_, err := conn.ExecContext(context.Background(), s)
		require.NoError(t, err)
	}
	return &oracle{conn: conn}
}

// check returns an error when q is more than one statement or not a
// SELECT. Statements that do not bind are not judged.
func (o *oracle) check(q string) error {
	return o.conn.Raw(func(dc any) error {
		stmt, err := dc.(driver.Conn).Prepare(q)
		if err != nil {
			if strings.Contains(err.Error(), "multi-statement") {
				return fmt.Errorf("accepted a multi-statement query: %w", err)
			}
			return nil
		}
		defer stmt.Close()
		typ, err := stmt.(*duckdb.Stmt).StatementType()
		if err != nil {
			return err
		}
		if typ != duckdb.STATEMENT_TYPE_SELECT {
			return fmt.Errorf("accepted a statement of type %d", typ)
		}
		return nil
	})
}

// FuzzValidate checks that validation never panics, fails only with
// ErrInvalidStatement or lake.ErrStoreNotFound, and never accepts anything
// but a single SELECT that reads only known placeholders.
func FuzzValidate(f *testing.F) {
	cat := testLake(f)
	e := newTestEngine(f, cat, Options{})
	o := newOracle(f, e.emptyFile)
	for _, s := range []string{
		"SELECT 1", "SELECT * FROM " + prodID, "SELECT count(*) FROM prod-trail WHERE eventTime > '2024-01-01'",
		"SELECT 1; SELECT 2", "COPY (SELECT 1) TO '/tmp/x'", "SELECT * FROM read_csv('/etc/passwd')",
		"WITH x AS (SELECT 1) SELECT * FROM x", "SELECT * FROM '/etc/passwd'", "/* ; */ SELECT ';'",
	} {
		f.Add(s)
	}
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, q string) {
		err := e.Validate(ctx, q)
		if err != nil {
			if !errors.Is(err, ErrInvalidStatement) && !errors.Is(err, lake.ErrStoreNotFound) {
				t.Fatalf("unexpected error kind for %q: %v", q, err)
			}
			return
		}
		st, err := e.prepare(ctx, q)
		require.NoError(t, err)
		for _, r := range st.rw.Refs {
			require.True(t, r.Found)
		}
		if len(st.rw.Refs) <= 16 {
			require.NoError(t, o.check(st.rw.SQL), "input %q rewritten to %q", q, st.rw.SQL)
		}
		lower := strings.ToLower(st.rw.SQL)
		for _, bad := range []string{"read_csv", "read_text", "read_blob", "getenv", "duckdb_settings"} {
			if strings.Contains(lower, bad+"(") {
				// Only acceptable inside a string literal or comment; the
				// oracle has bound the statement, so check it is not a call.
				rw := &rewritten{Orig: st.rw.SQL, SQL: st.rw.SQL}
				node, perr := e.parser.parse(ctx, rw)
				require.NoError(t, perr)
				walkJSON(node, func(m map[string]any) {
					if n, _ := m["function_name"].(string); strings.EqualFold(n, bad) {
						t.Fatalf("accepted a call to %s: %q", bad, q)
					}
				})
			}
		}
	})
}
