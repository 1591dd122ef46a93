package query

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/auditlake/auditlake/lake"
)

func TestQuery(t *testing.T) {
	cat := testLake(t)
	e := newTestEngine(t, cat, Options{})
	tests := []struct {
		name string
		sql  string
		want [][]string
	}{
		{
			name: "count by eventName, store by unquoted UUID",
			sql:  "SELECT eventName, count(*) AS n FROM " + prodID + " GROUP BY eventName ORDER BY n DESC, eventName",
			want: [][]string{{"GetObject", "3"}, {"DeleteObject", "1"}, {"ListBuckets", "1"}, {"PutObject", "1"}},
		},
		{
			name: "group by userIdentity.arn, store by name with a dash",
			sql:  "SELECT userIdentity.arn, count(*) FROM prod-trail GROUP BY 1 ORDER BY 1",
			want: [][]string{{alice, "4"}, {bob, "2"}},
		},
		{
			name: "upper-case UUID, quoted",
			sql:  `SELECT count(*) FROM "` + strings.ToUpper(prodID) + `"`,
			want: [][]string{{"6"}},
		},
		{
			name: "map access, element_at and list index",
			sql: "SELECT requestParameters['bucketName'], element_at(requestParameters, 'key'), resources[1].arn, len(resources) FROM " + prodID +
				" WHERE eventName = 'GetObject' ORDER BY eventTime",
			want: [][]string{
				{"logs", "a.txt", "arn:aws:s3:::logs/a.txt", "1"},
				{"data", "c.csv", "arn:aws:s3:::data/c.csv", "2"},
				{"logs", "d.txt", "arn:aws:s3:::logs/d.txt", "1"},
			},
		},
		{
			name: "eventTime against string literals",
			sql:  "SELECT eventTime, eventName FROM " + prodID + " WHERE eventTime >= '2024-01-01 09:30:00.250' AND eventTime < '2024-01-02 10:00:00' ORDER BY eventTime",
			want: [][]string{{"2024-01-01 09:30:00.250", "PutObject"}, {"2024-01-01 23:59:59.999", "ListBuckets"}},
		},
		{
			name: "join of two stores, by UUID and by name, with aliases",
			sql:  "SELECT a.eventName, b.eventName FROM " + prodID + " AS a JOIN audit.backup b ON a.eventID = b.eventID",
			want: [][]string{{"GetObject", "GetObject"}},
		},
		{
			name: "union of two stores",
			sql:  "SELECT eventName FROM " + backupID + " UNION SELECT eventName FROM prod-trail WHERE eventName LIKE 'Delete%' ORDER BY 1",
			want: [][]string{{"CreateBucket"}, {"DeleteObject"}, {"GetObject"}},
		},
		{
			name: "implicit alias qualifies columns",
			sql:  `SELECT "prod-trail".eventName FROM prod-trail WHERE "prod-trail".eventTime > TIMESTAMP '2024-01-03' `,
			want: [][]string{{"GetObject"}},
		},
		{
			name: "CTE and window function",
			sql: "WITH daily AS (SELECT date_trunc('day', eventTime) AS d, count(*) AS n FROM " + prodID + " GROUP BY 1) " +
				"SELECT d, n, sum(n) OVER (ORDER BY d) AS running FROM daily ORDER BY d",
			want: [][]string{
				{"2024-01-01 00:00:00.000", "3", "3"},
				{"2024-01-02 00:00:00.000", "2", "5"},
				{"2024-01-03 00:00:00.000", "1", "6"},
			},
		},
		{
			name: "CTE shadows a store name",
			sql:  "WITH \"prod-trail\" AS (SELECT 42 AS x) SELECT x FROM \"prod-trail\"",
			want: [][]string{{"42"}},
		},
		{
			name: "CTE named like a file reads the CTE",
			sql:  `WITH "/etc/passwd" AS (SELECT 'not a file' AS x) SELECT x FROM "/etc/passwd"`,
			want: [][]string{{"not a file"}},
		},
		{
			name: "unnest and subquery",
			sql:  "SELECT r.arn FROM (SELECT unnest(resources) AS r FROM " + prodID + " WHERE eventTime BETWEEN '2024-01-02' AND '2024-01-02 23:59:59') ORDER BY 1",
			want: [][]string{{"arn:aws:s3:::data"}, {"arn:aws:s3:::data/c.csv"}, {"arn:aws:s3:::data/c.csv"}},
		},
		{
			name: "store with no segments keeps the schema",
			sql:  "SELECT count(*), count(eventName), max(eventTime) FROM " + emptyNm,
			want: [][]string{{"0", "0", ""}},
		},
		{
			name: "values and extract",
			sql:  "SELECT extract(hour FROM eventTime) AS h, v.x FROM " + prodID + ", (VALUES (1)) v(x) WHERE eventName = 'ListBuckets'",
			want: [][]string{{"23", "1"}},
		},
		{
			name: "comments and strings around the reference",
			sql:  "/* FROM nowhere */ SELECT 'FROM x' AS s, count(*) -- FROM y\n FROM /* c */ audit.backup",
			want: [][]string{{"FROM x", "2"}},
		},
		{
			name: "any_match lambda over resources",
			sql:  "SELECT count(*) FROM " + prodID + " WHERE len(list_filter(resources, x -> x.arn LIKE '%data%')) > 0",
			want: [][]string{{"2"}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, queryStrings(t, e, tc.sql))
		})
	}
	require.Zero(t, cat.holds(), "segments still held after Close")
}

func TestQueryColumnsAndStats(t *testing.T) {
	cat := testLake(t)
	e := newTestEngine(t, cat, Options{})
	rows, err := e.Query(context.Background(), "SELECT * FROM "+emptyID)
	require.NoError(t, err)
	require.Len(t, rows.Columns(), 34)
	require.Equal(t, Column{Name: "eventTime", DuckDBType: "TIMESTAMP"}, rows.Columns()[2])
	require.False(t, rows.Next())
	require.NoError(t, rows.Err())
	require.Zero(t, rows.Stats().FilesRead)
	require.NoError(t, rows.Close())

	rows, err = e.Query(context.Background(), "SELECT eventName FROM "+prodID+" WHERE eventTime >= '2024-01-02 10:00:00' AND eventTime < '2024-01-03'")
	require.NoError(t, err)
	n := 0
	for rows.Next() {
		n++
	}
	require.NoError(t, rows.Err())
	require.NoError(t, rows.Close())
	st := rows.Stats()
	require.Equal(t, 2, n)
	require.Equal(t, int64(2), st.RowsReturned)
	require.Equal(t, 1, st.FilesRead, "pruning should leave only the 2024-01-02 segment")
	require.Positive(t, st.BytesRead)
	require.Positive(t, st.Elapsed)
	last := cat.calls[len(cat.calls)-1]
	require.Equal(t, ts("2024-01-02 09:59:59.000"), last.From)
	require.Equal(t, ts("2024-01-03 00:00:01.000"), last.To)
	require.Zero(t, cat.holds())
}

func TestQueryStoreNotFound(t *testing.T) {
	e := newTestEngine(t, testLake(t), Options{})
	for _, q := range []string{
		"SELECT * FROM no-such-store",
		"SELECT * FROM 11111111-2222-4333-8444-555555555555",
		`SELECT * FROM "nope"`,
		"SELECT * FROM prod-trail JOIN missing.store USING (eventID)",
	} {
		_, err := e.Query(context.Background(), q)
		require.ErrorIs(t, err, lake.ErrStoreNotFound, q)
	}
	_, err := e.Query(context.Background(), "SELECT * FROM no-such-store")
	require.ErrorContains(t, err, `"no-such-store"`)
}

// TestSandboxEscapes tries every way out of the sandbox we know of. Each
// must be refused with ErrInvalidStatement and leave no trace.
func TestSandboxEscapes(t *testing.T) {
	cat := testLake(t)
	e := newTestEngine(t, cat, Options{})
	outside := filepath.Join(t.TempDir(), "secret.csv")
	require.NoError(t, os.WriteFile(outside, []byte("a,b\n1,2\n"), 0o600))
	otherSeg := cat.segs[backupID][0].path
	target := filepath.Join(t.TempDir(), "x")
	segDir := filepath.Dir(cat.segs[prodID][0].path)
	escapes := []string{
		"SELECT * FROM read_csv('/etc/passwd')",
		"SELECT * FROM read_csv_auto('" + outside + "')",
		"SELECT * FROM read_text('/etc/passwd')",
		"SELECT * FROM read_blob('/etc/passwd')",
		"SELECT * FROM read_json('/etc/passwd')",
		"SELECT * FROM read_json_auto('/etc/passwd')",
		"SELECT * FROM read_ndjson_objects('/etc/passwd')",
		"SELECT * FROM read_parquet('" + otherSeg + "')",
		"SELECT * FROM " + prodID + " UNION ALL SELECT * FROM read_parquet('" + otherSeg + "')",
		"SELECT * FROM " + prodID + " WHERE eventID IN (SELECT eventID FROM parquet_scan('" + otherSeg + "'))",
		"SELECT * FROM parquet_metadata('" + otherSeg + "')",
		"SELECT * FROM parquet_schema('" + otherSeg + "')",
		"SELECT * FROM '" + otherSeg + "'",
		"SELECT * FROM '/etc/passwd'",
		`SELECT * FROM "/etc/passwd"`,
		"SELECT * FROM 'x.csv'",
		"FROM '/etc/passwd'",
		"SELECT * FROM glob('/*')",
		"SELECT * FROM sniff_csv('/etc/passwd')",
		"SELECT * FROM query('COPY (SELECT 1) TO ''" + target + "''')",
		"SELECT * FROM query_table('" + prodID + "')",
		"SELECT getenv('HOME')",
		"SELECT current_setting('allowed_paths')",
		"SELECT * FROM duckdb_settings()",
		"SELECT * FROM duckdb_views()",
		"SELECT * FROM duckdb_tables",
		"SELECT * FROM information_schema.tables",
		"SELECT * FROM pg_catalog.pg_class",
		"SELECT pg_get_viewdef('" + placeholderPrefix + "1')",
		"SELECT * FROM " + placeholderPrefix + "1",
		"SELECT * FROM temp.main." + placeholderPrefix + "1",
		"COPY (SELECT 1) TO '" + target + "'",
		"COPY (SELECT * FROM " + prodID + ") TO '" + filepath.Join(segDir, "x.parquet") + "'",
		"EXPORT DATABASE '" + target + "'",
		"ATTACH '" + target + "' AS x",
		"INSTALL httpfs",
		"LOAD httpfs",
		"LOAD '/tmp/evil.duckdb_extension'",
		"SET enable_external_access = true",
		"RESET lock_configuration",
		"PRAGMA enable_profiling",
		"PRAGMA database_list",
		"CALL duckdb_settings()",
		"CREATE TABLE t AS SELECT 1",
		"CREATE VIEW v AS SELECT 1",
		"CREATE MACRO m() AS 1",
		"CREATE SECRET s (TYPE s3)",
		"INSERT INTO " + placeholderPrefix + "1 VALUES (1)",
		"UPDATE " + prodID + " SET eventName = 'x'",
		"DELETE FROM " + prodID,
		"DROP VIEW " + placeholderPrefix + "1",
		"DETACH memory",
		"CHECKPOINT",
		"VACUUM",
		"EXPLAIN SELECT 1",
		"DESCRIBE SELECT 1",
		"SELECT 1; SELECT 2",
		"SELECT 1; COPY (SELECT 1) TO '" + target + "'",
		"SELECT 1; -- trailing\n DROP TABLE x",
		"SELECT 1 /* ; */ ; ATTACH '" + target + "'",
		"SELECT '; COPY (SELECT 1) TO x'; SET threads = 1",
		`SELECT * FROM (WITH "/etc/passwd" AS (SELECT 1) SELECT * FROM "/etc/passwd") x, "/etc/passwd"`,
		`SELECT * FROM (WITH "x.csv" AS (SELECT 1) SELECT 1) x WHERE EXISTS (SELECT * FROM 'x.csv')`,
		`WITH a AS (SELECT * FROM "/etc/passwd"), "/etc/passwd" AS (SELECT 1) SELECT * FROM a`,
		"SELECT * FROM (SELECT 1) WHERE EXISTS (SELECT * FROM read_csv('/etc/passwd'))",
		"SELECT (SELECT count(*) FROM read_text('/etc/passwd'))",
		"SELECT * FROM " + prodID + " AT (VERSION => 1)",
		"SUMMARIZE SELECT 1",
		"SELECT * FROM (SUMMARIZE " + prodID + ")",
		"SELECT system.main.getenv('HOME')",
		"SELECT which_secret('s3://x', 's3')",
		"",
		"   ",
		"-- nothing",
	}
	for _, q := range escapes {
		t.Run(q, func(t *testing.T) {
			rows, err := e.Query(context.Background(), q)
			if err == nil {
				rows.Close()
				t.Fatalf("query was not refused: %s", q)
			}
			if !errors.Is(err, lake.ErrStoreNotFound) {
				require.ErrorIs(t, err, ErrInvalidStatement)
			}
		})
	}
	_, err := os.Stat(target)
	require.ErrorIs(t, err, os.ErrNotExist)
	entries, err := os.ReadDir(segDir)
	require.NoError(t, err)
	require.Len(t, entries, 1)
	require.Zero(t, cat.holds())
}

// TestSandboxSettings checks the second line of defence: even a statement
// the validator lets through runs in a database that cannot touch files
// other than the named stores' segments, nor change its settings.
func TestSandboxSettings(t *testing.T) {
	cat := testLake(t)
	e := newTestEngine(t, cat, Options{})
	st, err := e.prepare(context.Background(), "SELECT count(*) FROM "+prodID)
	require.NoError(t, err)
	r := &Rows{}
	defer func() { require.NoError(t, r.Close()) }()
	views, err := e.segments(context.Background(), st, r)
	require.NoError(t, err)
	conn, err := e.openSandbox(context.Background(), views, r)
	require.NoError(t, err)
	for _, q := range []string{
		"SELECT * FROM read_csv('/etc/passwd')",
		"SELECT * FROM read_parquet('" + cat.segs[backupID][0].path + "')",
		"COPY (SELECT 1) TO '" + filepath.Join(filepath.Dir(cat.segs[prodID][0].path), "x.csv") + "'",
		"SET enable_external_access = true",
		"SET allowed_paths = ['/']",
		"SET lock_configuration = false",
		"INSTALL httpfs",
		"LOAD httpfs",
		"ATTACH '" + filepath.Join(t.TempDir(), "x.db") + "'",
	} {
		_, err := conn.ExecContext(context.Background(), q)
		require.Error(t, err, q)
	}
	var n int
	require.NoError(t, conn.QueryRowContext(context.Background(), "SELECT count(*) FROM "+placeholderPrefix+"1").Scan(&n))
	require.Equal(t, 6, n)
}

func TestQueryTimeoutAndCancel(t *testing.T) {
	cat := testLake(t)
	e := newTestEngine(t, cat, Options{Timeout: 300 * time.Millisecond, Threads: 2})
	slow := "SELECT count(*) FROM range(100000000000) a(x) WHERE x % 7 = 3"
	start := time.Now()
	rows, err := e.Query(context.Background(), slow)
	if err == nil {
		rows.Next()
		err = rows.Err()
		rows.Close()
	}
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.Less(t, time.Since(start), 5*time.Second)

	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	_, err = e.Query(ctx, slow)
	require.ErrorIs(t, err, context.Canceled)
	require.Zero(t, cat.holds())
}

func TestQueryResultLimit(t *testing.T) {
	e := newTestEngine(t, testLake(t), Options{MaxResultRows: 4})
	rows, err := e.Query(context.Background(), "SELECT eventName FROM "+prodID)
	require.NoError(t, err)
	n := 0
	for rows.Next() {
		n++
	}
	require.Equal(t, 4, n)
	require.ErrorIs(t, rows.Err(), ErrResultLimit)
	require.NoError(t, rows.Close())

	require.Len(t, queryStrings(t, e, "SELECT eventName FROM "+prodID+" LIMIT 4"), 4)
}

func TestQueryRuntimeErrors(t *testing.T) {
	e := newTestEngine(t, testLake(t), Options{})
	_, err := e.Query(context.Background(), "SELECT nosuchcolumn FROM "+prodID)
	require.ErrorIs(t, err, ErrInvalidStatement)
	_, err = e.Query(context.Background(), "SELECT * FROM "+prodID+" WHERE eventTime > 'yesterday-ish'")
	require.ErrorIs(t, err, ErrInvalidStatement)
}

func TestEngineClose(t *testing.T) {
	cat := testLake(t)
	opts := Options{Threads: 1, TempDir: t.TempDir()}
	e, err := NewEngine(cat, opts)
	require.NoError(t, err)
	rows, err := e.Query(context.Background(), "SELECT 1")
	require.NoError(t, err)
	closed := make(chan error)
	go func() { closed <- e.Close() }()
	select {
	case <-closed:
		t.Fatal("Close returned while Rows were open")
	case <-time.After(50 * time.Millisecond):
	}
	require.NoError(t, rows.Close())
	require.NoError(t, <-closed)
	_, err = e.Query(context.Background(), "SELECT 1")
	require.ErrorIs(t, err, ErrClosed)
	entries, err := os.ReadDir(opts.TempDir)
	require.NoError(t, err)
	require.Empty(t, entries)
}

func TestNewEngineOptions(t *testing.T) {
	cat := newFakeCatalog(t)
	for _, o := range []Options{
		{MemoryLimit: "1GB'; SET x = '1"},
		{Threads: -1},
		{Timeout: -time.Second},
		{MaxResultRows: -1},
	} {
		o.TempDir = t.TempDir()
		_, err := NewEngine(cat, o)
		require.Error(t, err)
	}
	_, err := NewEngine(nil, Options{})
	require.Error(t, err)
	require.False(t, errors.Is(err, ErrInvalidStatement))
}

// BenchmarkSandboxOpen measures what a fresh DuckDB per query costs: open,
// configure and lock, create one view, run a trivial query, close.
func BenchmarkSandboxOpen(b *testing.B) {
	cat := testLake(b)
	e := newTestEngine(b, cat, Options{})
	ctx := context.Background()
	b.Run("select 1", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			rows, err := e.Query(ctx, "SELECT 1")
			require.NoError(b, err)
			rows.Next()
			require.NoError(b, rows.Close())
		}
	})
	b.Run("count one store", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			rows, err := e.Query(ctx, "SELECT count(*) FROM "+prodID)
			require.NoError(b, err)
			rows.Next()
			require.NoError(b, rows.Close())
		}
	})
	b.Run("validate only", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			require.NoError(b, e.Validate(ctx, "SELECT count(*) FROM "+prodID))
		}
	})
}

func TestConcurrentQueries(t *testing.T) {
	cat := testLake(t)
	e := newTestEngine(t, cat, Options{})
	errs := make(chan error, 8)
	for i := range 8 {
		go func() {
			q := "SELECT count(*) FROM " + prodID
			if i%2 == 1 {
				q = "SELECT count(*) FROM audit.backup WHERE eventTime >= '2024-01-02'"
			}
			rows, err := e.Query(context.Background(), q)
			if err != nil {
				errs <- err
				return
			}
			for rows.Next() {
			}
			errs <- errors.Join(rows.Err(), rows.Close())
		}()
	}
	for range 8 {
		require.NoError(t, <-errs)
	}
	require.Zero(t, cat.holds())
}
