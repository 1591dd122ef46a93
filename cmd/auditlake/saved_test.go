package main_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// trailFile writes a CloudTrail log file with one management event per
// name, in the last hour.
func trailFile(t *testing.T, names ...string) string {
	t.Helper()
	var recs []map[string]any
	for i, n := range names {
		recs = append(recs, map[string]any{
			"eventVersion": "1.08", "eventID": fmt.Sprintf("saved-%d", i), "eventName": n, "eventSource": "iam.amazonaws.com",
			"eventTime": time.Now().UTC().Add(-time.Duration(i+1) * time.Minute).Format(time.RFC3339), "awsRegion": "us-east-1",
			"managementEvent": true, "eventCategory": "Management", "readOnly": false, "eventType": "AwsApiCall",
			"userIdentity": map[string]any{"type": "Root", "accountId": "123456789012"},
		})
	}
	data, err := json.Marshal(map[string]any{"Records": recs})
	require.NoError(t, err)
	file := filepath.Join(t.TempDir(), "trail.json")
	require.NoError(t, os.WriteFile(file, data, 0o644))
	return file
}

type savedOut struct {
	SavedQueryId, Name, Description, QueryStatement string
	EventDataStores                                 []string
	CreatedBy, UpdatedBy                            struct{ AccessKeyId, UserName string }
}

// newKey creates an access key on the lake and returns its ID.
func newKey(t *testing.T, lake string, args ...string) string {
	t.Helper()
	var k struct{ AccessKey struct{ AccessKeyId string } }
	require.NoError(t, json.Unmarshal([]byte(mustRun(t, lake, append([]string{"keys", "create"}, args...)...)), &k))
	return k.AccessKey.AccessKeyId
}

func storeARN(t *testing.T, lake, name string) string {
	t.Helper()
	var s storeOut
	require.NoError(t, json.Unmarshal([]byte(mustRun(t, lake, "eds", "get", name)), &s))
	return s.EventDataStoreArn
}

func TestSavedQueriesOnTheCommandLine(t *testing.T) {
	lake := t.TempDir()
	_, errOut, code := run(t, lake, "saved", "create", "--name", "early", "SELECT 1")
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "no administrator key yet")
	root := newKey(t, lake, "--user", "root", "--admin")
	mustRun(t, lake, "eds", "create", "--name", "audit")
	mustRun(t, lake, "eds", "create", "--name", "other")
	mustRun(t, lake, "ingest", "--eds", "audit", trailFile(t, "CreateUser", "CreateUser", "DeleteUser"))

	sql := "SELECT eventName, count(*) AS n FROM audit WHERE eventTime > '2000-01-01' GROUP BY 1 ORDER BY 1"
	file := filepath.Join(t.TempDir(), "users.sql")
	require.NoError(t, os.WriteFile(file, []byte(sql+"\n"), 0o644))
	var q savedOut
	require.NoError(t, json.Unmarshal([]byte(mustRun(t, lake, "saved", "create", "--name", "Users", "--description", "who", "--file", file)), &q))
	require.Equal(t, sql, q.QueryStatement)
	require.Len(t, q.EventDataStores, 1)
	require.Equal(t, root, q.CreatedBy.AccessKeyId, "written with the administrator key by default")
	require.Contains(t, mustRun(t, lake, "saved", "create", "--name", "one", "SELECT 1 AS x"), `"QueryStatement": "SELECT 1 AS x"`)

	var list struct{ SavedQueries []savedOut }
	require.NoError(t, json.Unmarshal([]byte(mustRun(t, lake, "saved", "list")), &list))
	require.Len(t, list.SavedQueries, 2)
	require.Equal(t, "one", list.SavedQueries[0].Name, "by name")
	var got savedOut
	require.NoError(t, json.Unmarshal([]byte(mustRun(t, lake, "saved", "get", "users")), &got))
	require.Equal(t, q.SavedQueryId, got.SavedQueryId)

	// saved run prints what query prints, in each format.
	for _, format := range []string{"csv", "json", "table"} {
		require.Equal(t, mustRun(t, lake, "query", "--format", format, sql), mustRun(t, lake, "saved", "run", "--format", format, q.SavedQueryId), format)
	}
	require.Equal(t, [][]string{{"eventName", "n"}, {"CreateUser", "2"}, {"DeleteUser", "1"}}, readCSV(t, mustRun(t, lake, "saved", "run", "--format", "csv", "Users")))

	bob := newKey(t, lake, "--user", "bob", "--policy", fmt.Sprintf(`{"Statement":[{"Effect":"Allow","Action":"cloudtrail:StartQuery","Resource":%q}]}`, storeARN(t, lake, "other")))
	require.NoError(t, json.Unmarshal([]byte(mustRun(t, lake, "saved", "update", "users", "--description", "who came and went", "--as", root)), &got))
	require.Equal(t, "who came and went", got.Description)
	require.Equal(t, sql, got.QueryStatement, "the SQL stays")

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"saved", "create", "--name", "users", "SELECT 2"}, "InvalidParameterException: invalid parameter: a saved query named \"users\" exists already"},
		{[]string{"saved", "create", "--name", "x"}, "InvalidParameterException: invalid parameter: QueryStatement must have"},
		{[]string{"saved", "create", "--name", "x", "--file", file, "SELECT 1"}, "not both"},
		{[]string{"saved", "create", "--name", "x", "SELECT * FROM nope"}, "EventDataStoreNotFoundException"},
		{[]string{"saved", "create", "--name", "x", "DELETE FROM audit"}, "InvalidQueryStatementException"},
		{[]string{"saved", "create", "--name", "x", "--as", "AKIANOSUCHKEY", "SELECT 1"}, "InvalidParameterException: invalid parameter: --as AKIANOSUCHKEY: no such access key"},
		{[]string{"saved", "create", "--name", "x", "--as", bob, "SELECT count(*) FROM audit"}, "AccessDeniedException: access denied: User: arn:aws:iam::123456789012:user/bob is not authorized to perform: cloudtrail:StartQuery"},
		{[]string{"saved", "update", "users", "--as", bob}, "AccessDeniedException"},
		{[]string{"saved", "get", "nope"}, "ResourceNotFoundException: no such saved query, report or run: saved query nope"},
		{[]string{"saved", "run", "nope"}, "ResourceNotFoundException"},
		{[]string{"saved", "run", "--format", "xml", "users"}, "InvalidParameterException"},
		{[]string{"saved", "delete", "nope"}, "ResourceNotFoundException"},
	} {
		_, errOut, code := run(t, lake, tc.args...)
		require.Equal(t, 1, code, "%v", tc.args)
		require.Contains(t, errOut, tc.want, "%v", tc.args)
	}
	mustRun(t, lake, "saved", "delete", "one")
	require.NoError(t, json.Unmarshal([]byte(mustRun(t, lake, "saved", "list")), &list))
	require.Len(t, list.SavedQueries, 1)
}

type reportOut struct {
	ReportId, Name, Schedule, TimeZone, Window, Destination, CatchUp string
	Enabled                                                          bool
	CreatedBy                                                        struct{ AccessKeyId string }
}

type runOut struct {
	Status, Location, SignFileLocation, Error string
	Rows                                      int
}

// TestSavedReportsRunUnderServe schedules two reports on the command line,
// one written with a key that is deleted before the server starts, lets
// `auditlake serve` run them, and reads their runs back.
func TestSavedReportsRunUnderServe(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	lake := t.TempDir()
	newKey(t, lake, "--user", "root", "--admin")
	mustRun(t, lake, "eds", "create", "--name", "audit")
	mustRun(t, lake, "ingest", "--eds", "audit", trailFile(t, "CreateUser", "DeleteUser"))
	carol := newKey(t, lake, "--user", "carol", "--policy", fmt.Sprintf(`{"Statement":[{"Effect":"Allow","Action":"cloudtrail:StartQuery","Resource":%q}]}`, storeARN(t, lake, "audit")))
	mustRun(t, lake, "saved", "create", "--name", "recent", "SELECT eventName FROM audit WHERE eventTime >= {{start}} AND eventTime < {{end}} ORDER BY eventName")
	mustRun(t, lake, "saved", "create", "--name", "carols", "--as", carol, "SELECT count(*) AS n FROM audit")

	for _, tc := range []struct {
		flags []string
		want  string
	}{
		{[]string{"--schedule", "61 * * * *"}, `InvalidParameterException: invalid parameter: Schedule "61 * * * *"`},
		{[]string{"--schedule", "@daily", "--time-zone", "Mars/Base"}, "TimeZone"},
		{[]string{"--schedule", "@daily", "--window", "soon"}, "--window"},
		{[]string{"--schedule", "@daily", "--catch-up", "sometimes"}, "CatchUp must be"},
		{[]string{"--schedule", "@daily", "--destination", "../x"}, "Destination"},
		{[]string{"--schedule", "@daily", "--webhook", "ftp://x"}, "WebhookUrl"},
	} {
		_, errOut, code := run(t, lake, append([]string{"saved", "reports", "create", "--name", "bad", "--saved-query", "recent"}, tc.flags...)...)
		require.Equal(t, 1, code, "%v", tc.flags)
		require.Contains(t, errOut, tc.want, "%v", tc.flags)
	}
	_, errOut, _ := run(t, lake, "saved", "reports", "create", "--name", "x", "--saved-query", "nope", "--schedule", "@daily")
	require.Contains(t, errOut, "ResourceNotFoundException")

	var rep, carols reportOut
	require.NoError(t, json.Unmarshal([]byte(mustRun(t, lake, "saved", "reports", "create", "--name", "every second", "--saved-query", "recent",
		"--schedule", "@every 1s", "--window", "1h", "--time-zone", "Europe/Paris", "--catch-up", "latest", "--destination", "audit/recent")), &rep))
	require.Equal(t, "1h0m0s", rep.Window)
	require.Equal(t, "LATEST", rep.CatchUp)
	require.True(t, rep.Enabled)
	require.NoError(t, json.Unmarshal([]byte(mustRun(t, lake, "saved", "reports", "create", "--name", "carol's", "--saved-query", "carols",
		"--schedule", "@every 1s", "--as", carol)), &carols))
	require.Equal(t, carol, carols.CreatedBy.AccessKeyId)
	var reports struct{ Reports []reportOut }
	require.NoError(t, json.Unmarshal([]byte(mustRun(t, lake, "saved", "reports", "list")), &reports))
	require.Len(t, reports.Reports, 2)
	require.Contains(t, mustRun(t, lake, "saved", "reports", "runs", "every second"), "FIRE TIME", "no runs yet, a header")
	_, errOut, _ = run(t, lake, "saved", "delete", "recent")
	require.Contains(t, errOut, "delete the report first")
	mustRun(t, lake, "keys", "delete", carol)

	srv := startServe(t, lake)
	dir := filepath.Join(lake, "objects", "audit", "recent")
	deadline := time.Now().Add(30 * time.Second)
	for {
		// Both reports fire every second: wait for a run of each (carol's
		// fails, and says so in the log) before stopping the server.
		m, _ := filepath.Glob(filepath.Join(dir, "*_sign.json"))
		if len(m) > 0 && strings.Contains(srv.logs.String(), carols.ReportId) {
			break
		}
		require.True(t, time.Now().Before(deadline), "no report ran: %s", srv.logs.String())
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond) // the run's record follows its files
	srv.stop(t)

	var runs struct{ Runs []runOut }
	require.NoError(t, json.Unmarshal([]byte(mustRun(t, lake, "saved", "reports", "runs", "every second", "--format", "json")), &runs))
	require.NotEmpty(t, runs.Runs)
	var ok *runOut
	for i, r := range runs.Runs {
		if r.Status == "SUCCEEDED" {
			ok = &runs.Runs[i]
			break
		}
	}
	require.NotNil(t, ok, "%+v", runs.Runs)
	require.Equal(t, 2, ok.Rows)
	require.True(t, strings.HasPrefix(ok.Location, "audit/recent/"), ok.Location)
	data, err := os.ReadFile(filepath.Join(lake, "objects", filepath.FromSlash(ok.Location)))
	require.NoError(t, err)
	require.Equal(t, "eventName\nCreateUser\nDeleteUser\n", string(data))
	var sign struct {
		Files []struct{ FileHashValue, FileName string }
	}
	raw, err := os.ReadFile(filepath.Join(lake, "objects", filepath.FromSlash(ok.SignFileLocation)))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(raw, &sign))
	sum := sha256.Sum256(data)
	require.Equal(t, hex.EncodeToString(sum[:]), sign.Files[0].FileHashValue)
	require.Equal(t, filepath.Base(ok.Location), sign.Files[0].FileName)
	table := mustRun(t, lake, "saved", "reports", "runs", "every second")
	require.Contains(t, table, "SUCCEEDED")
	require.Contains(t, table, ok.Location)

	require.NoError(t, json.Unmarshal([]byte(mustRun(t, lake, "saved", "reports", "runs", carols.ReportId, "--format", "json")), &runs))
	failed := 0
	for _, r := range runs.Runs {
		if r.Status == "SKIPPED" { // fire times before the server started
			continue
		}
		failed++
		require.Equal(t, "FAILED", r.Status)
		require.Contains(t, r.Error, "runs with the authority of carol ("+carol+")")
		require.Contains(t, r.Error, "no longer exists")
	}
	require.Positive(t, failed, "%+v", runs.Runs)
	_, err = os.Stat(filepath.Join(lake, "objects", "reports", carols.ReportId))
	require.ErrorIs(t, err, os.ErrNotExist, "carol's report wrote nothing")

	mustRun(t, lake, "saved", "reports", "delete", "carol's")
	mustRun(t, lake, "saved", "reports", "delete", rep.ReportId)
	require.NoError(t, json.Unmarshal([]byte(mustRun(t, lake, "saved", "reports", "list")), &reports))
	require.Empty(t, reports.Reports)
	_, errOut, _ = run(t, lake, "saved", "reports", "runs", rep.ReportId)
	require.Contains(t, errOut, "ResourceNotFoundException")
	mustRun(t, lake, "saved", "delete", "recent")
}
