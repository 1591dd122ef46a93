package main_test

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "auditlake-cli-")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "auditlake")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		panic("build auditlake: " + err.Error() + "\n" + string(out))
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// run runs the binary on lake and returns stdout, stderr and the exit code.
func run(t *testing.T, lake string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"--lake", lake}, args...)...)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else {
		require.NoError(t, err)
	}
	return out.String(), errb.String(), code
}

func mustRun(t *testing.T, lake string, args ...string) string {
	t.Helper()
	out, errOut, code := run(t, lake, args...)
	require.Equal(t, 0, code, "auditlake %v: %s", args, errOut)
	return out
}

type storeOut struct {
	EventDataStoreArn            string
	Name                         string
	Status                       string
	RetentionPeriod              int
	TerminationProtectionEnabled bool
	BillingMode                  string
	AdvancedEventSelectors       []map[string]any
	CreatedTimestamp             string
}

func TestStoreCommands(t *testing.T) {
	lake := t.TempDir()
	var s storeOut
	require.NoError(t, json.Unmarshal([]byte(mustRun(t, lake, "eds", "create", "--name", "audit", "--retention-days", "2557")), &s))
	require.Regexp(t, `^arn:aws:cloudtrail:us-east-1:123456789012:eventdatastore/[0-9a-f-]{36}$`, s.EventDataStoreArn)
	require.Equal(t, "ENABLED", s.Status)
	require.Equal(t, 2557, s.RetentionPeriod)
	require.True(t, s.TerminationProtectionEnabled)
	require.Equal(t, "EXTENDABLE_RETENTION_PRICING", s.BillingMode)
	require.Len(t, s.AdvancedEventSelectors, 1)
	id := s.EventDataStoreArn[strings.LastIndex(s.EventDataStoreArn, "/")+1:]

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"eds", "create", "--name", "audit"}, "EventDataStoreAlreadyExistsException"},
		{[]string{"eds", "create", "--name", "x"}, "InvalidParameterException"},
		{[]string{"eds", "create", "--name", "old", "--retention-days", "4000"}, "InvalidParameterException"},
		{[]string{"eds", "create", "--name", "sel", "--advanced-event-selectors", `[{"FieldSelectors":[{"Field":"eventname","Equals":["x"]}]}]`}, "InvalidEventSelectorsException"},
		{[]string{"eds", "get", "nope"}, "EventDataStoreNotFoundException"},
		{[]string{"eds", "delete", id}, "EventDataStoreTerminationProtectedException"},
	} {
		_, errOut, code := run(t, lake, tc.args...)
		require.Equal(t, 1, code, "%v", tc.args)
		require.Contains(t, errOut, tc.want, "%v", tc.args)
	}

	for _, ref := range []string{id, "audit", s.EventDataStoreArn} {
		var got storeOut
		require.NoError(t, json.Unmarshal([]byte(mustRun(t, lake, "eds", "get", ref)), &got))
		require.Equal(t, s.EventDataStoreArn, got.EventDataStoreArn)
	}
	mustRun(t, lake, "eds", "update", id, "--termination-protection=false")
	require.NoError(t, json.Unmarshal([]byte(mustRun(t, lake, "eds", "delete", "audit")), &s))
	require.Equal(t, "PENDING_DELETION", s.Status)
	_, errOut, code := run(t, lake, "query", "SELECT count(*) FROM audit")
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "InactiveEventDataStoreException")
	require.NoError(t, json.Unmarshal([]byte(mustRun(t, lake, "eds", "restore", id)), &s))
	require.Equal(t, "ENABLED", s.Status)

	var list struct{ EventDataStores []storeOut }
	require.NoError(t, json.Unmarshal([]byte(mustRun(t, lake, "eds", "list")), &list))
	require.Len(t, list.EventDataStores, 1)
}

// allEvents selects every CloudTrail event category the samples hold.
const allEvents = `[
 {"Name":"management","FieldSelectors":[{"Field":"eventCategory","Equals":["Management"]}]},
 {"Name":"s3","FieldSelectors":[{"Field":"eventCategory","Equals":["Data"]},{"Field":"resources.type","Equals":["AWS::S3::Object"]}]},
 {"Name":"lambda","FieldSelectors":[{"Field":"eventCategory","Equals":["Data"]},{"Field":"resources.type","Equals":["AWS::Lambda::Function"]}]},
 {"Name":"dynamodb","FieldSelectors":[{"Field":"eventCategory","Equals":["Data"]},{"Field":"resources.type","Equals":["AWS::DynamoDB::Table"]}]},
 {"Name":"network","FieldSelectors":[{"Field":"eventCategory","Equals":["NetworkActivity"]},{"Field":"eventSource","Equals":["s3.amazonaws.com"]}]}]`

func TestIngestAndQueryTheSamples(t *testing.T) {
	samples := filepath.Join("..", "..", "..", "shared", "data", "cloudtrail-samples")
	if _, err := os.Stat(samples); err != nil {
		t.Fatalf("the sample corpus is expected beside the checkout at %s: %v", samples, err)
	}
	lake := t.TempDir()
	mustRun(t, lake, "eds", "create", "--name", "samples", "--advanced-event-selectors", allEvents)

	out, errOut, code := run(t, lake, "ingest", "--acks", "--eds", "samples", samples)
	require.Equal(t, 1, code, "refused records make the exit status 1: %s", errOut)
	require.Contains(t, errOut, "refused: ")
	require.Contains(t, errOut, "SerializerTestFileBadJsonFormat.json: record 0")
	acked := strings.Count(out, "acked ")
	require.Positive(t, acked)
	var taken int
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.Fields(line)
		n, err := strconv.Atoi(f[2])
		require.NoError(t, err, line)
		taken += n
	}
	require.Greater(t, taken, 1000, "most of the ~1,250 sample events are management events")

	count := func() int {
		rows := readCSV(t, mustRun(t, lake, "query", "--format", "csv", "SELECT count(*) AS n FROM samples"))
		n, err := strconv.Atoi(rows[1][0])
		require.NoError(t, err)
		return n
	}
	require.Equal(t, taken, count(), "every acknowledged event is queryable")

	out, _, _ = run(t, lake, "ingest", "--acks", "--eds", "samples", samples)
	require.Equal(t, acked, strings.Count(out, "skipped "), "a second ingest skips every input")
	require.Equal(t, taken, count(), "and adds nothing")

	rows := readCSV(t, mustRun(t, lake, "query", "--format", "csv",
		`SELECT eventTime, readOnly, userIdentity.type AS type FROM samples WHERE eventName = 'ConsoleLogin' AND eventTime > '2000-01-01' ORDER BY eventTime LIMIT 1`))
	require.Equal(t, []string{"eventTime", "readOnly", "type"}, rows[0])
	require.Regexp(t, `^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}$`, rows[1][0], "CloudTrail Lake's timestamp format")
	require.Contains(t, []string{"true", "false", ""}, rows[1][1])

	js := mustRun(t, lake, "query", "--format", "json", "SELECT eventName, count(*) AS n FROM samples GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 3")
	sc := bufio.NewScanner(strings.NewReader(js))
	lines := 0
	for sc.Scan() {
		var row map[string]any
		require.NoError(t, json.Unmarshal(sc.Bytes(), &row), sc.Text())
		require.Contains(t, row, "eventName")
		lines++
	}
	require.Equal(t, 3, lines)

	table := mustRun(t, lake, "query", "SELECT eventSource, count(*) AS n FROM samples GROUP BY 1 ORDER BY 2 DESC LIMIT 2")
	require.Contains(t, table, "eventSource")
	require.Contains(t, table, "(2 rows)")

	dst := filepath.Join(t.TempDir(), "results", "top.csv")
	_, errOut, code = run(t, lake, "query", "--out", "file://"+dst, "SELECT eventName FROM samples ORDER BY eventTime LIMIT 5")
	require.Equal(t, 0, code, errOut)
	data, err := os.ReadFile(dst)
	require.NoError(t, err)
	require.Len(t, readCSV(t, string(data)), 6, "a header and five rows")

	_, errOut, code = run(t, lake, "query", "SELECT * FROM read_csv('/etc/passwd')")
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "InvalidQueryStatementException")
}

func readCSV(t *testing.T, s string) [][]string {
	t.Helper()
	rows, err := csv.NewReader(strings.NewReader(s)).ReadAll()
	require.NoError(t, err)
	return rows
}

func TestServeHoldsTheLake(t *testing.T) {
	lake := t.TempDir()
	cmd := exec.Command(binary, "--lake", lake, "serve", "--http-addr", "127.0.0.1:0")
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	require.NoError(t, err)
	i := strings.Index(line, "http://")
	require.Positive(t, i, line)
	base := strings.Fields(line[i:])[0]

	resp, err := (&http.Client{Timeout: 5 * time.Second}).Get(base + "/healthz")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	resp, err = http.Get(base + "/metrics")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)

	_, errOut, code := run(t, lake, "eds", "list")
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "in use by another process")
	require.Contains(t, errOut, "pid "+strconv.Itoa(cmd.Process.Pid))
}

// maintenance run --compact-min-age 0 merges segments of any age: 0 means
// no minimum, not the default of five minutes.
func TestMaintenanceCompactsAtMinAgeZero(t *testing.T) {
	lake := t.TempDir()
	mustRun(t, lake, "eds", "create", "--name", "audit")
	dir := t.TempDir()
	day := time.Now().UTC().AddDate(0, 0, -1).Format(time.DateOnly) // inside the store's retention
	for i, id := range []string{"a", "b"} {
		rec := `{"Records":[{"eventVersion":"1.08","eventTime":"` + day + `T1` + strconv.Itoa(i) + `:00:00Z",` +
			`"eventSource":"iam.amazonaws.com","eventName":"ListUsers","awsRegion":"us-east-1","eventID":"` + id + `",` +
			`"eventType":"AwsApiCall","managementEvent":true,"eventCategory":"Management","recipientAccountId":"123456789012"}]}`
		p := filepath.Join(dir, id+".json")
		require.NoError(t, os.WriteFile(p, []byte(rec), 0o644))
		mustRun(t, lake, "ingest", "--eds", "audit", p)
	}
	files := func() string {
		_, errOut, code := run(t, lake, "query", "--stats", "SELECT count(*) FROM audit")
		require.Equal(t, 0, code, errOut)
		return errOut
	}
	require.Contains(t, files(), "2 segment files")
	mustRun(t, lake, "maintenance", "run", "--compact-min-age", "0", "--retire-grace", "0")
	require.Contains(t, files(), "1 segment files")
	require.Equal(t, "_col0\n2\n", mustRun(t, lake, "query", "--format", "csv", "SELECT count(*) FROM audit"))
}
