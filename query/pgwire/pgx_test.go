package pgwire_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
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
		cctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		defer cancel()
		_, err := conn.Exec(cctx, "SELECT count(*) FROM prod a, prod b, prod c, prod d, prod e")
		require.Error(t, err)
	})
}
