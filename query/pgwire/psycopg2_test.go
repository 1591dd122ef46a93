package pgwire_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/auditlake/auditlake/query/pgwire"
)

// psycopg2Script connects, reads a store with a client-side parameter,
// decodes a json column into a dict and reads the catalog.
const psycopg2Script = `
import sys, psycopg2
conn = psycopg2.connect(sys.argv[1])
conn.set_session(readonly=True)
cur = conn.cursor()
cur.execute("SELECT eventName, count(*) FROM prod WHERE eventName = %s GROUP BY eventName", ("PutObject",))
print(cur.fetchall())
cur.execute("SELECT userIdentity, eventTime FROM prod ORDER BY eventTime LIMIT 1")
ui, ts = cur.fetchone()
print(ui["userName"], ts.isoformat())
cur.execute("SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'prod' AND column_name IN ('eventTime', 'readOnly') ORDER BY 1")
print(cur.fetchall())
conn.rollback()
conn.close()
`

func TestPsycopg2(t *testing.T) {
	py := "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import psycopg2").Run(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("python3-psycopg2 is not installed (CI needs it: see .ci/run)")
		}
		t.Skip("python3-psycopg2 is not installed")
	}
	e := newEnv(t, pgwire.Options{})
	out, err := exec.Command(py, "-c", psycopg2Script, e.dsn(rootKey, rootSecret)).CombinedOutput()
	require.NoError(t, err, string(out))
	require.Equal(t, []string{
		"[('PutObject', 25)]",
		"user-0 2024-01-01T00:00:00",
		"[('eventTime', 'timestamp without time zone'), ('readOnly', 'boolean')]",
	}, strings.Split(strings.TrimSpace(string(out)), "\n"))
}
