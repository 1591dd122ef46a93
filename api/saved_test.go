package api_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/auditlake/auditlake/api"
	"github.com/auditlake/auditlake/api/iam"
	"github.com/auditlake/auditlake/ingest"
	"github.com/auditlake/auditlake/lake"
	"github.com/auditlake/auditlake/query"
	"github.com/auditlake/auditlake/query/jobs"
	"github.com/auditlake/auditlake/query/saved"
)

// savedEnv is a server with saved queries and reports: two stores, a
// (three events: two CreateUser, one DeleteUser) and b (one event), and
// the query manager that runs and signs reports.
type savedEnv struct {
	url  string
	l    *lake.Lake
	keys *iam.Keys
	mgr  *jobs.Manager
	a, b lake.StoreInfo
}

type cred struct{ key, secret string }

var rootCred = cred{rootKey, rootSecret}

func newSavedEnv(t *testing.T) *savedEnv {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	l, err := lake.Open(ctx, dir, lake.Options{Region: region})
	require.NoError(t, err)
	keys, err := iam.Open(l, iam.Options{})
	require.NoError(t, err)
	admin, err := iam.ParsePolicy([]byte(iam.AdminPolicy))
	require.NoError(t, err)
	_, _, err = keys.Create(ctx, iam.RootUserName, admin, rootKey, rootSecret)
	require.NoError(t, err)
	e := &savedEnv{l: l, keys: keys}
	e.a = e.store(t, "store-a", "CreateUser", "CreateUser", "DeleteUser")
	e.b = e.store(t, "store-b", "StopLogging")
	eng, err := query.NewEngine(l, query.Options{TempDir: filepath.Join(dir, "tmp"), Threads: 1})
	require.NoError(t, err)
	e.mgr, err = jobs.New(l, eng, jobs.Options{FlushInterval: 20 * time.Millisecond, Workers: 1})
	require.NoError(t, err)
	st := saved.NewStore(l, saved.StoreOptions{Authorize: api.ReadAuthorizer{Keys: keys}, Analyze: saved.EngineAnalyzer(eng)})
	sch, err := saved.NewScheduler(st, saved.Options{Runner: saved.JobRunner{Queries: e.mgr, Poll: 10 * time.Millisecond}, Signer: e.mgr})
	require.NoError(t, err)
	srv, err := api.New(api.Options{Lake: l, Keys: keys, Queries: e.mgr, Saved: st, Reports: sch})
	require.NoError(t, err)
	hs := httptest.NewServer(srv.Handler())
	e.url = hs.URL
	t.Cleanup(func() {
		hs.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		require.NoError(t, srv.Close(ctx))
		require.NoError(t, sch.Close())
		require.NoError(t, e.mgr.Close(ctx))
		require.NoError(t, eng.Close())
		require.NoError(t, l.Close())
	})
	return e
}

// store creates a store holding one management event per name, from a
// trail file, through the ingest path.
func (e *savedEnv) store(t *testing.T, name string, events ...string) lake.StoreInfo {
	t.Helper()
	ctx := context.Background()
	s, err := e.l.CreateStore(ctx, lake.CreateStoreInput{Name: name})
	require.NoError(t, err)
	var recs []map[string]any
	for i, ev := range events {
		recs = append(recs, map[string]any{
			"eventVersion": "1.08", "eventTime": time.Now().UTC().Add(-time.Duration(i+1) * time.Minute).Format(time.RFC3339),
			"eventSource": "iam.amazonaws.com", "eventName": ev, "awsRegion": region, "sourceIPAddress": "192.0.2.1",
			"userAgent": "test", "eventID": uuid.NewString(), "eventType": "AwsApiCall", "managementEvent": true,
			"eventCategory": "Management", "recipientAccountId": "123456789012", "readOnly": false,
			"userIdentity": map[string]any{"type": "Root", "accountId": "123456789012"},
		})
	}
	data, err := json.Marshal(map[string]any{"Records": recs})
	require.NoError(t, err)
	file := filepath.Join(t.TempDir(), name+".json")
	require.NoError(t, os.WriteFile(file, data, 0o644))
	sum, err := ingest.Paths(ctx, e.l, s.ID, []string{file}, ingest.Options{}, func(ingest.SourceResult) {})
	require.NoError(t, err)
	require.EqualValues(t, len(events), sum.Events, "%+v", sum)
	return s
}

// user creates a key with the policy.
func (e *savedEnv) user(t *testing.T, name, policy string) cred {
	t.Helper()
	p, err := iam.ParsePolicy([]byte(policy))
	require.NoError(t, err)
	id, sec, err := e.keys.Create(context.Background(), name, p, "", "")
	require.NoError(t, err)
	return cred{id.AccessKeyID, sec}
}

// call sends POST /api/<op> signed with c (unsigned when c.key is "") and
// returns the status and the decoded answer.
func (e *savedEnv) call(t *testing.T, c cred, method, op string, in any) (int, map[string]any) {
	t.Helper()
	body, err := json.Marshal(in)
	require.NoError(t, err)
	if s, ok := in.(string); ok {
		body = []byte(s)
	}
	req, err := http.NewRequest(method, e.url+"/api/"+op, bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	sum := sha256.Sum256(body)
	require.NoError(t, v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: c.key, SecretAccessKey: c.secret},
		req, hex.EncodeToString(sum[:]), "cloudtrail", region, time.Now()))
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var out map[string]any
	require.NoError(t, json.Unmarshal(data, &out), string(data))
	return resp.StatusCode, out
}

// ok calls op and requires success.
func (e *savedEnv) ok(t *testing.T, c cred, op string, in any) map[string]any {
	t.Helper()
	st, out := e.call(t, c, http.MethodPost, op, in)
	require.Equal(t, http.StatusOK, st, "%s: %v", op, out)
	return out
}

// fails calls op and requires the error code; it returns the message.
func (e *savedEnv) fails(t *testing.T, c cred, op string, in any, code string) string {
	t.Helper()
	st, out := e.call(t, c, http.MethodPost, op, in)
	require.Equal(t, code, out["__type"], "%s: %v", op, out)
	require.Equal(t, http.StatusBadRequest, st)
	return out["message"].(string)
}

func (e *savedEnv) objects(t *testing.T, prefix string) []string {
	t.Helper()
	objs, err := e.l.Bucket().List(context.Background(), prefix)
	require.NoError(t, err)
	var keys []string
	for _, o := range objs {
		keys = append(keys, o.Key)
	}
	return keys
}

func storePolicy(actions, storeARN string) string {
	return fmt.Sprintf(`{"Statement":[{"Effect":"Allow","Action":%s,"Resource":"*"},{"Effect":"Allow","Action":"cloudtrail:StartQuery","Resource":%q}]}`, actions, storeARN)
}

// TestSavedQueryAndReportOperations goes through every operation with a
// key that may read store a only, and checks a report run's CSV and its
// sign file.
func TestSavedQueryAndReportOperations(t *testing.T) {
	e := newSavedEnv(t)
	alice := e.user(t, "alice", storePolicy(`"auditlake:*"`, e.a.ARN))
	sql := fmt.Sprintf("SELECT eventName, count(*) AS n FROM %s WHERE eventTime >= {{start}} AND eventTime < {{end}} GROUP BY 1 ORDER BY 1", e.a.ID)

	q := e.ok(t, alice, "CreateSavedQuery", map[string]any{"Name": "users", "QueryStatement": sql,
		"CreatedBy": map[string]string{"AccessKeyId": rootKey}})
	qid := q["SavedQueryId"].(string)
	require.Equal(t, []any{e.a.ID}, q["EventDataStores"])
	require.Equal(t, alice.key, q["CreatedBy"].(map[string]any)["AccessKeyId"], "the writer is the signer, whatever the input says")
	require.Equal(t, "arn:aws:iam::123456789012:user/alice", q["CreatedBy"].(map[string]any)["Arn"])

	got := e.ok(t, alice, "GetSavedQuery", map[string]any{"SavedQueryId": qid})
	require.Equal(t, sql, got["QueryStatement"])
	up := e.ok(t, alice, "UpdateSavedQuery", map[string]any{"SavedQueryId": qid, "Name": "users", "Description": "who came and went", "QueryStatement": sql})
	require.Equal(t, "who came and went", up["Description"])
	list := e.ok(t, alice, "ListSavedQueries", nil)["SavedQueries"].([]any)
	require.Len(t, list, 1)
	require.Equal(t, qid, list[0].(map[string]any)["SavedQueryId"])

	r := e.ok(t, alice, "CreateReport", map[string]any{"Name": "weekly users", "SavedQueryId": qid, "Schedule": "0 6 * * 1",
		"TimeZone": "Europe/Paris", "Window": "7d", "Enabled": true})
	rid := r["ReportId"].(string)
	require.Equal(t, "168h0m0s", r["Window"])
	require.Equal(t, "reports/"+rid, r["Destination"])
	require.Equal(t, alice.key, r["CreatedBy"].(map[string]any)["AccessKeyId"])
	r["Schedule"], r["CatchUp"] = "@daily", "LATEST"
	r2 := e.ok(t, alice, "UpdateReport", r)
	require.Equal(t, "@daily", r2["Schedule"])
	require.Equal(t, "LATEST", e.ok(t, alice, "GetReport", map[string]any{"ReportId": rid})["CatchUp"])
	require.Len(t, e.ok(t, alice, "ListReports", nil)["Reports"], 1)

	run := e.ok(t, alice, "StartReportRun", map[string]any{"ReportId": rid})
	require.Equal(t, "SUCCEEDED", run["Status"], run["Error"])
	require.EqualValues(t, 2, run["Rows"])
	require.Equal(t, alice.key, run["StartedBy"].(map[string]any)["AccessKeyId"])
	csvKey, signKey := run["Location"].(string), run["SignFileLocation"].(string)
	require.ElementsMatch(t, []string{csvKey, signKey}, e.objects(t, "reports/"+rid+"/"))
	ctx := context.Background()
	data, err := e.l.Bucket().ReadAll(ctx, csvKey)
	require.NoError(t, err)
	require.Equal(t, "eventName,n\nCreateUser,2\nDeleteUser,1\n", string(data))

	// The sign file verifies with the key ListPublicKeys returns; a changed
	// CSV does not.
	raw, err := e.l.Bucket().ReadAll(ctx, signKey)
	require.NoError(t, err)
	var sign jobs.SignFile
	require.NoError(t, json.Unmarshal(raw, &sign))
	keys, err := e.mgr.PublicKeys(ctx)
	require.NoError(t, err)
	pub, err := x509.ParsePKCS1PublicKey(keys[0].Value)
	require.NoError(t, err)
	name := path.Base(csvKey)
	require.NoError(t, jobs.VerifySignFile(sign, map[string][]byte{name: data}, pub))
	forged := bytes.Replace(data, []byte("CreateUser,2"), []byte("CreateUser,1"), 1)
	require.ErrorContains(t, jobs.VerifySignFile(sign, map[string][]byte{name: forged}, pub), "does not match its hash")

	runs := e.ok(t, alice, "ListReportRuns", map[string]any{"ReportId": rid, "MaxResults": 1})["Runs"].([]any)
	require.Len(t, runs, 1)
	require.Equal(t, csvKey, runs[0].(map[string]any)["Location"])

	e.fails(t, alice, "DeleteSavedQuery", map[string]any{"SavedQueryId": qid}, "InvalidParameterException")
	e.ok(t, alice, "DeleteReport", map[string]any{"ReportId": rid})
	e.ok(t, alice, "DeleteSavedQuery", map[string]any{"SavedQueryId": qid})
	e.fails(t, alice, "GetSavedQuery", map[string]any{"SavedQueryId": qid}, "ResourceNotFoundException")
	e.fails(t, alice, "ListReportRuns", map[string]any{"ReportId": rid}, "ResourceNotFoundException")
	require.Empty(t, e.ok(t, alice, "ListReports", nil)["Reports"])
}

func TestSavedAPIErrors(t *testing.T) {
	e := newSavedEnv(t)
	st, out := e.call(t, rootCred, http.MethodPost, "Frobnicate", map[string]any{})
	require.Equal(t, http.StatusBadRequest, st)
	require.Equal(t, "UnknownOperationException", out["__type"])
	_, out = e.call(t, rootCred, http.MethodGet, "ListReports", nil)
	require.Equal(t, "UnknownOperationException", out["__type"], "operations are POST")
	_, out = e.call(t, cred{"AKIANOSUCHKEY0000000", "secretsecretsecretsecret"}, http.MethodPost, "ListReports", nil)
	require.Equal(t, "UnrecognizedClientException", out["__type"])

	q := e.ok(t, rootCred, "CreateSavedQuery", map[string]any{"Name": "q", "QueryStatement": "SELECT count(*) FROM " + e.a.ID})
	for _, tc := range []struct {
		op, field string
		in        any
		code      string
	}{
		{"CreateSavedQuery", "Name", map[string]any{"QueryStatement": "SELECT 1"}, "InvalidParameterException"},
		{"CreateSavedQuery", "Name", map[string]any{"Name": 5, "QueryStatement": "SELECT 1"}, "InvalidParameterException"},
		{"CreateSavedQuery", "QueryStatement", map[string]any{"Name": "x"}, "InvalidParameterException"},
		{"CreateSavedQuery", "a saved query named", map[string]any{"Name": "Q", "QueryStatement": "SELECT 1"}, "InvalidParameterException"},
		{"CreateSavedQuery", "nope", map[string]any{"Name": "x", "QueryStatement": "SELECT * FROM nope"}, "EventDataStoreNotFoundException"},
		{"CreateSavedQuery", "", map[string]any{"Name": "x", "QueryStatement": "DELETE FROM x"}, "InvalidQueryStatementException"},
		{"CreateSavedQuery", "", `{"Name":`, "SerializationException"},
		{"UpdateSavedQuery", "SavedQueryId", map[string]any{"Name": "x", "QueryStatement": "SELECT 1"}, "InvalidParameterException"},
		{"GetSavedQuery", "SavedQueryId", map[string]any{}, "InvalidParameterException"},
		{"GetSavedQuery", "nope", map[string]any{"SavedQueryId": "nope"}, "ResourceNotFoundException"},
		{"DeleteSavedQuery", "nope", map[string]any{"SavedQueryId": "nope"}, "ResourceNotFoundException"},
		{"CreateReport", "SavedQueryId", map[string]any{"Name": "r", "Schedule": "@daily"}, "InvalidParameterException"},
		{"CreateReport", "Schedule", map[string]any{"Name": "r", "SavedQueryId": q["SavedQueryId"], "Schedule": "61 * * * *"}, "InvalidParameterException"},
		{"CreateReport", "TimeZone", map[string]any{"Name": "r", "SavedQueryId": q["SavedQueryId"], "Schedule": "@daily", "TimeZone": "Mars/Base"}, "InvalidParameterException"},
		{"CreateReport", "Window", map[string]any{"Name": "r", "SavedQueryId": q["SavedQueryId"], "Schedule": "@daily", "Window": "soon"}, "InvalidParameterException"},
		{"CreateReport", "Window", map[string]any{"Name": "r", "SavedQueryId": q["SavedQueryId"], "Schedule": "@daily", "Window": 7}, "InvalidParameterException"},
		{"CreateReport", "CatchUp", map[string]any{"Name": "r", "SavedQueryId": q["SavedQueryId"], "Schedule": "@daily", "CatchUp": "MAYBE"}, "InvalidParameterException"},
		{"CreateReport", "Destination", map[string]any{"Name": "r", "SavedQueryId": q["SavedQueryId"], "Schedule": "@daily", "Destination": "stores/x"}, "InvalidParameterException"},
		{"CreateReport", "WebhookUrl", map[string]any{"Name": "r", "SavedQueryId": q["SavedQueryId"], "Schedule": "@daily", "WebhookUrl": "file:///x"}, "InvalidParameterException"},
		{"CreateReport", "Enabled", map[string]any{"Name": "r", "SavedQueryId": q["SavedQueryId"], "Schedule": "@daily", "Enabled": "yes"}, "InvalidParameterException"},
		{"CreateReport", "nope", map[string]any{"Name": "r", "SavedQueryId": "nope", "Schedule": "@daily"}, "ResourceNotFoundException"},
		{"UpdateReport", "ReportId", map[string]any{"Name": "r", "SavedQueryId": q["SavedQueryId"], "Schedule": "@daily"}, "InvalidParameterException"},
		{"UpdateReport", "nope", map[string]any{"ReportId": "nope", "Name": "r", "SavedQueryId": q["SavedQueryId"], "Schedule": "@daily"}, "ResourceNotFoundException"},
		{"GetReport", "ReportId", map[string]any{}, "InvalidParameterException"},
		{"GetReport", "nope", map[string]any{"ReportId": "nope"}, "ResourceNotFoundException"},
		{"DeleteReport", "nope", map[string]any{"ReportId": "nope"}, "ResourceNotFoundException"},
		{"StartReportRun", "nope", map[string]any{"ReportId": "nope"}, "ResourceNotFoundException"},
		{"ListReportRuns", "MaxResults", map[string]any{"ReportId": "nope", "MaxResults": 5000}, "InvalidMaxResultsException"},
	} {
		t.Run(tc.op+" "+tc.field, func(t *testing.T) {
			msg := e.fails(t, rootCred, tc.op, tc.in, tc.code)
			require.Contains(t, msg, tc.field)
		})
	}
	require.Len(t, e.ok(t, rootCred, "ListSavedQueries", nil)["SavedQueries"], 1, "no failed call saved anything")
	require.Empty(t, e.ok(t, rootCred, "ListReports", nil)["Reports"])
}
