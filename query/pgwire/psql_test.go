package pgwire_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/auditlake/auditlake/query/pgwire"
)

// needClient skips a test whose client program is missing, except under
// CI=true, where it fails.
func needClient(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not installed (CI needs it: see .ci/run)", name)
		}
		t.Skipf("%s is not installed", name)
	}
	return path
}

// psql runs psql with args and returns its standard output.
func (e *env) psql(t *testing.T, key, secret string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(needClient(t, "psql"), append([]string{"-X", "-v", "ON_ERROR_STOP=1", e.dsn(key, secret)}, args...)...)
	cmd.Env = append(os.Environ(), "PGCONNECT_TIMEOUT=10")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Logf("psql %v: %s", args, stderr.String())
	}
	return string(out), err
}

func TestPsql(t *testing.T) {
	e := newEnv(t, pgwire.Options{})
	run := func(t *testing.T, args ...string) string {
		out, err := e.psql(t, rootKey, rootSecret, args...)
		require.NoError(t, err)
		return out
	}
	t.Run("select", func(t *testing.T) {
		out := run(t, "-At", "-c", "SELECT eventName, count(*) FROM prod GROUP BY eventName ORDER BY eventName")
		require.Equal(t, "GetObject|25\nPutObject|25\n", out)
	})
	t.Run("list databases", func(t *testing.T) {
		require.Contains(t, run(t, "-c", `\l`), "auditlake")
	})
	t.Run("list tables", func(t *testing.T) {
		out := run(t, "-c", `\dt`)
		require.Contains(t, out, "prod")
		require.Contains(t, out, "other")
	})
	t.Run("describe store", func(t *testing.T) {
		out := run(t, "-c", `\d prod`)
		require.Regexp(t, `eventTime\s*\|\s*timestamp without time zone`, out)
		require.Regexp(t, `userIdentity\s*\|\s*json`, out)
	})
	t.Run("copy", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "out.csv")
		run(t, "-c", `\copy (SELECT eventName, userIdentity.userName AS u FROM prod WHERE eventTime < timestamp '2024-01-01 00:03:00' ORDER BY eventTime) TO '`+path+`' WITH (FORMAT csv, HEADER)`)
		data, err := os.ReadFile(path)
		require.NoError(t, err)
		require.Equal(t, "eventName,u\nGetObject,user-0\nPutObject,user-1\nGetObject,user-2\n", string(data))
	})
	t.Run("policy hides stores", func(t *testing.T) {
		out, err := e.psql(t, readerKey, readerSecret, "-At", "-c", `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1`)
		require.NoError(t, err)
		require.Equal(t, e.prod.ID+"\nprod\n", out)
		_, err = e.psql(t, readerKey, readerSecret, "-c", "SELECT count(*) FROM other")
		require.Error(t, err)
	})
	t.Run("wrong password", func(t *testing.T) {
		_, err := e.psql(t, rootKey, "not-the-secret-at-all", "-c", "SELECT 1")
		require.Error(t, err)
	})
	t.Run("writes refused", func(t *testing.T) {
		_, err := e.psql(t, rootKey, rootSecret, "-c", "DELETE FROM prod")
		require.Error(t, err)
	})
}
