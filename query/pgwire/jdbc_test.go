package pgwire_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/stretchr/testify/require"

	"github.com/auditlake/auditlake/query/pgwire"
)

// jdbcJar is Debian's libpostgresql-jdbc-java.
const jdbcJar = "/usr/share/java/postgresql.jar"

// compileJDBC compiles testdata/jdbc/PgwireCheck.java and returns the
// java binary and the class path to run it with.
func compileJDBC(t *testing.T) (java, classpath string) {
	t.Helper()
	java, javac := needClient(t, "java"), needClient(t, "javac")
	if _, err := os.Stat(jdbcJar); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is missing (CI needs libpostgresql-jdbc-java: see .ci/run)", jdbcJar)
		}
		t.Skipf("%s is missing (libpostgresql-jdbc-java)", jdbcJar)
	}
	dir := t.TempDir()
	out, err := exec.Command(javac, "-cp", jdbcJar, "-d", dir, filepath.Join("testdata", "jdbc", "PgwireCheck.java")).CombinedOutput()
	require.NoError(t, err, "javac: %s", out)
	return java, jdbcJar + string(os.PathListSeparator) + dir
}

// runJDBC runs the Java program against port and returns its lines.
func runJDBC(t *testing.T, java, classpath string, port int, key, secret, mode string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	url := fmt.Sprintf("jdbc:postgresql://127.0.0.1:%d/auditlake?sslmode=disable&connectTimeout=10", port)
	cmd := exec.CommandContext(ctx, java, "-Xshare:auto", "-XX:TieredStopAtLevel=1", "-cp", classpath, "PgwireCheck", url, key, secret, mode)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "java: %s\nstdout so far:\n%s", stderr.String(), out)
	return strings.Split(strings.TrimSpace(string(out)), "\n")
}

func TestJDBC(t *testing.T) {
	java, cp := compileJDBC(t)
	e := newEnv(t, pgwire.Options{})
	ctx := context.Background()
	pc, err := pgx.Connect(ctx, e.dsn(rootKey, rootSecret))
	require.NoError(t, err)
	defer pc.Close(ctx)

	var tl tally
	lines := runJDBC(t, java, cp, wireProxy(t, e.addr, &tl), rootKey, rootSecret, "all")
	t.Logf("jdbc output:\n%s", strings.Join(lines, "\n"))

	var want []string
	want = append(want, "product: PostgreSQL 16")
	want = append(want, "table: public.other TABLE", "table: public.prod TABLE")
	ids := []string{e.other.ID, e.prod.ID}
	if ids[0] > ids[1] {
		ids[0], ids[1] = ids[1], ids[0]
	}
	want = append(want, "table: public."+ids[0]+" VIEW", "table: public."+ids[1]+" VIEW")
	want = append(want, storeColumnLines(t, pc, "prod")...)

	// The same statement through pgx, with the parameters the Java program binds.
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 10 {
		name := map[bool]string{true: "GetObject", false: "PutObject"}[i%2 == 0]
		var n int64
		var maxT *time.Time
		require.NoError(t, pc.QueryRow(ctx, "SELECT count(*), max(eventTime) FROM prod WHERE eventName = $1 AND eventTime < $2",
			name, base.Add(time.Duration(10+3*i)*time.Minute)).Scan(&n, &maxT))
		require.NotNil(t, maxT)
		want = append(want, fmt.Sprintf("prepared %d: %d %s.0", i, n, maxT.Format(time.DateTime)))
	}
	want = append(want, "server prepared: true")

	var first, last string
	var n int
	require.NoError(t, pc.QueryRow(ctx, "SELECT count(*), min_by(eventID, eventTime), max_by(eventID, eventTime) FROM prod").Scan(&n, &first, &last))
	want = append(want, fmt.Sprintf("fetch: %d %s %s", n, first, last))
	want = append(want, "cancel: 57014", fmt.Sprintf("after cancel: %d", n))
	require.Equal(t, want, lines)

	got := tl.snapshot()
	require.Positive(t, got.namedParses, "the driver never prepared a named statement")
	require.Positive(t, got.binaryBinds, "the driver never asked for binary results")
	// 50 rows fetched 7 at a time: 7 full batches suspend the portal, the
	// 8th returns the last row and completes.
	require.Equal(t, (testEvents+6)/7, got.limitedExec)
	require.Equal(t, testEvents/7, got.suspended)

	t.Run("policy", func(t *testing.T) {
		lines := runJDBC(t, java, cp, e.port, readerKey, readerSecret, "tables")
		want := []string{"product: PostgreSQL 16", "table: public.prod TABLE", "table: public." + e.prod.ID + " VIEW"}
		want = append(want, storeColumnLines(t, pc, "prod")...)
		require.Equal(t, want, lines)
	})
}

// storeColumnLines is what the Java program prints for getColumns of a
// store, computed from the columns a SELECT * of the store returns: their
// names and the names of their type OIDs.
func storeColumnLines(t *testing.T, pc *pgx.Conn, store string) []string {
	t.Helper()
	rows, err := pc.Query(context.Background(), "SELECT * FROM "+store+" LIMIT 0")
	require.NoError(t, err)
	fields := rows.FieldDescriptions()
	rows.Close()
	require.NoError(t, rows.Err())
	// java.sql.Types of the types the stores have.
	jdbcType := map[string]int{"text": 12, "varchar": 12, "int8": -5, "int4": 4, "bool": -7, "timestamp": 93, "timestamptz": 93, "json": 1111, "float8": 8}
	tm := pgtype.NewMap()
	var out []string
	for i, f := range fields {
		typ, ok := tm.TypeForOID(f.DataTypeOID)
		require.True(t, ok, "column %s: OID %d", f.Name, f.DataTypeOID)
		jt, ok := jdbcType[typ.Name]
		require.True(t, ok, "column %s: type %s", f.Name, typ.Name)
		out = append(out, fmt.Sprintf("column: %d %s %s %d", i+1, f.Name, typ.Name, jt))
	}
	require.Contains(t, out, "column: 3 eventTime timestamp 93") // spot checks
	return out
}
