package pgwire_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
	"github.com/stretchr/testify/require"

	"github.com/auditlake/auditlake/query/pgwire"
)

func TestPgx(t *testing.T) {
	e := newEnv(t, pgwire.Options{})
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, e.dsn(rootKey, rootSecret))
	require.NoError(t, err)
	defer conn.Close(ctx)

	t.Run("typed rows, binary format", func(t *testing.T) {
		var n int64
		var first time.Time
		require.NoError(t, conn.QueryRow(ctx, "SELECT count(*), min(eventTime) FROM prod").Scan(&n, &first))
		require.EqualValues(t, testEvents, n)
		require.Equal(t, time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), first)
	})
	t.Run("parameters", func(t *testing.T) {
		var n int64
		require.NoError(t, conn.QueryRow(ctx, "SELECT count(*) FROM prod WHERE eventName = $1", "GetObject").Scan(&n))
		require.EqualValues(t, 25, n)
	})
	t.Run("parameters of other types", func(t *testing.T) {
		// Untyped parameters: pgx encodes a time, an integer and a bool in
		// its own text form.
		var n int64
		require.NoError(t, conn.QueryRow(ctx, "SELECT count(*) FROM prod WHERE eventTime < $1 AND length(eventName) = $2 AND readOnly = $3",
			time.Date(2024, 1, 1, 0, 10, 0, 0, time.UTC), 9, true).Scan(&n))
		require.EqualValues(t, 5, n) // GetObject at minutes 0, 2, 4, 6, 8
	})
	t.Run("nested columns as json", func(t *testing.T) {
		var ui map[string]any
		require.NoError(t, conn.QueryRow(ctx, "SELECT userIdentity FROM prod ORDER BY eventTime LIMIT 1").Scan(&ui))
		require.Equal(t, "user-0", ui["userName"])
	})
	t.Run("catalog", func(t *testing.T) {
		var v, db, schema string
		require.NoError(t, conn.QueryRow(ctx, "SELECT version(), current_database(), current_schema()").Scan(&v, &db, &schema))
		require.Contains(t, v, "PostgreSQL")
		require.Equal(t, "auditlake", db)
		require.Equal(t, "public", schema)
		rows, err := conn.Query(ctx, "SELECT version(), pg_catalog.current_database(), current_schema() AS s")
		require.NoError(t, err)
		var names []string
		for _, f := range rows.FieldDescriptions() {
			names = append(names, f.Name)
		}
		rows.Close()
		require.Equal(t, []string{"version", "current_database", "s"}, names, "columns named as PostgreSQL names them")
		var oid uint32
		require.NoError(t, conn.QueryRow(ctx, "SELECT atttypid FROM pg_catalog.pg_attribute WHERE attrelid = 'prod'::regclass AND attname = 'eventTime'").Scan(&oid))
		require.EqualValues(t, 1114, oid)
	})
	t.Run("settings", func(t *testing.T) {
		_, err := conn.Exec(ctx, "SET application_name = 'pgx-test'")
		require.NoError(t, err)
		var s string
		require.NoError(t, conn.QueryRow(ctx, "SHOW application_name").Scan(&s))
		require.Equal(t, "pgx-test", s)
		require.NoError(t, conn.QueryRow(ctx, "SELECT current_setting('application_name')").Scan(&s))
		require.Equal(t, "pgx-test", s)
	})
	t.Run("cancel", func(t *testing.T) {
		// With pgx's cancel-request handler a context that ends sends a
		// CancelRequest; the statement ends with SQLSTATE 57014 and the
		// connection stays usable.
		cfg, err := pgx.ParseConfig(e.dsn(rootKey, rootSecret))
		require.NoError(t, err)
		cfg.BuildContextWatcherHandler = func(pc *pgconn.PgConn) ctxwatch.Handler {
			return &pgconn.CancelRequestContextWatcherHandler{Conn: pc, CancelRequestDelay: 0, DeadlineDelay: 30 * time.Second}
		}
		cc, err := pgx.ConnectConfig(ctx, cfg)
		require.NoError(t, err)
		defer cc.Close(ctx)
		cctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err = cc.Exec(cctx, "SELECT count(*) FROM prod a, prod b, prod c, prod d, prod e, prod f")
		var pe *pgconn.PgError
		require.True(t, errors.As(err, &pe), "error %v", err)
		require.Equal(t, "57014", pe.Code)
		require.Less(t, time.Since(start), 20*time.Second)
		var n int64
		require.NoError(t, cc.QueryRow(ctx, "SELECT count(*) FROM prod").Scan(&n))
		require.EqualValues(t, testEvents, n)
	})
}
