package api_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestSavedAPIAccessDenied checks that the operations need their
// auditlake: action, that saved queries and reports are listed only as
// far as the caller may get them, and that a caller writes only what it
// may read.
func TestSavedAPIAccessDenied(t *testing.T) {
	e := newSavedEnv(t)
	nobody := e.user(t, "nobody", `{"Statement":[{"Effect":"Allow","Action":"cloudtrail:StartQuery","Resource":"*"}]}`)
	alice := e.user(t, "alice", storePolicy(`"auditlake:*"`, e.a.ARN))
	mine := e.ok(t, rootCred, "CreateSavedQuery", map[string]any{"Name": "mine", "QueryStatement": "SELECT count(*) FROM " + e.b.ID})
	theirs := e.ok(t, rootCred, "CreateSavedQuery", map[string]any{"Name": "theirs", "QueryStatement": "SELECT count(*) FROM " + e.a.ID})
	rep := e.ok(t, rootCred, "CreateReport", map[string]any{"Name": "r", "SavedQueryId": theirs["SavedQueryId"], "Schedule": "@daily", "Enabled": true})

	for op, in := range map[string]any{
		"CreateSavedQuery": map[string]any{"Name": "x", "QueryStatement": "SELECT 1"},
		"ListSavedQueries": nil,
		"GetSavedQuery":    map[string]any{"SavedQueryId": mine["SavedQueryId"]},
		"DeleteSavedQuery": map[string]any{"SavedQueryId": mine["SavedQueryId"]},
		"ListReports":      nil,
		"StartReportRun":   map[string]any{"ReportId": rep["ReportId"]},
		"ListReportRuns":   map[string]any{"ReportId": rep["ReportId"]},
		"DeleteReport":     map[string]any{"ReportId": rep["ReportId"]},
	} {
		msg := e.fails(t, nobody, op, in, "AccessDeniedException")
		require.Contains(t, msg, "User: arn:aws:iam::123456789012:user/nobody is not authorized to perform: auditlake:"+op)
	}

	// carol may list, and get one saved query and no report.
	carol := e.user(t, "carol", fmt.Sprintf(`{"Statement":[{"Effect":"Allow","Action":["auditlake:List*"],"Resource":"*"},
		{"Effect":"Allow","Action":"auditlake:GetSavedQuery","Resource":"arn:aws:cloudtrail:%s:123456789012:savedquery/%s"}]}`, region, mine["SavedQueryId"]))
	list := e.ok(t, carol, "ListSavedQueries", nil)["SavedQueries"].([]any)
	require.Len(t, list, 1, "carol sees only the saved query she may get")
	require.Equal(t, "mine", list[0].(map[string]any)["Name"])
	require.Empty(t, e.ok(t, carol, "ListReports", nil)["Reports"])
	e.fails(t, carol, "GetSavedQuery", map[string]any{"SavedQueryId": theirs["SavedQueryId"]}, "AccessDeniedException")
	require.Len(t, e.ok(t, rootCred, "ListSavedQueries", nil)["SavedQueries"], 2)

	// alice may read store a only: she cannot save or schedule a query
	// over store b, nor change one to read it.
	msg := e.fails(t, alice, "CreateSavedQuery", map[string]any{"Name": "b", "QueryStatement": "SELECT count(*) FROM " + e.b.ID}, "AccessDeniedException")
	require.Contains(t, msg, "cloudtrail:StartQuery on resource: "+e.b.ARN)
	e.fails(t, alice, "CreateReport", map[string]any{"Name": "rb", "SavedQueryId": mine["SavedQueryId"], "Schedule": "@daily"}, "AccessDeniedException")
	theirs["QueryStatement"] = "SELECT count(*) FROM " + e.b.ID
	e.fails(t, alice, "UpdateSavedQuery", theirs, "AccessDeniedException")
	got := e.ok(t, rootCred, "GetSavedQuery", map[string]any{"SavedQueryId": theirs["SavedQueryId"]})
	require.Equal(t, []any{e.a.ID}, got["EventDataStores"], "a refused update changes nothing")
	// A report needs auditlake:GetSavedQuery on the saved query it runs.
	dave := e.user(t, "dave", fmt.Sprintf(`{"Statement":[{"Effect":"Allow","Action":"auditlake:CreateReport","Resource":"*"},{"Effect":"Allow","Action":"cloudtrail:StartQuery","Resource":%q}]}`, e.a.ARN))
	msg = e.fails(t, dave, "CreateReport", map[string]any{"Name": "rd", "SavedQueryId": theirs["SavedQueryId"], "Schedule": "@daily"}, "AccessDeniedException")
	require.Contains(t, msg, "auditlake:GetSavedQuery")
}

// TestReportRunsWithItsCreatorsAuthority checks that a report whose
// creator's key was deleted, or who may no longer read its store, fails
// with the reason on the run and writes nothing, even when an
// administrator starts it.
func TestReportRunsWithItsCreatorsAuthority(t *testing.T) {
	e := newSavedEnv(t)
	ctx := context.Background()
	alice := e.user(t, "alice", storePolicy(`"auditlake:*"`, e.a.ARN))
	q := e.ok(t, alice, "CreateSavedQuery", map[string]any{"Name": "q", "QueryStatement": "SELECT count(*) AS n FROM " + e.a.ID})
	rep := e.ok(t, alice, "CreateReport", map[string]any{"Name": "alice's", "SavedQueryId": q["SavedQueryId"], "Schedule": "@daily", "Enabled": true})
	rid := rep["ReportId"].(string)
	run := e.ok(t, rootCred, "StartReportRun", map[string]any{"ReportId": rid})
	require.Equal(t, "SUCCEEDED", run["Status"], run["Error"])
	require.Len(t, e.objects(t, "reports/"+rid+"/"), 2, "the CSV and its sign file")

	require.NoError(t, e.keys.Delete(ctx, alice.key))
	run = e.ok(t, rootCred, "StartReportRun", map[string]any{"ReportId": rid})
	require.Equal(t, "FAILED", run["Status"])
	require.Contains(t, run["Error"], `report "alice's" runs with the authority of alice (`+alice.key+`)`)
	require.Contains(t, run["Error"], "no longer exists")
	require.Nil(t, run["Location"])
	require.Len(t, e.objects(t, "reports/"+rid+"/"), 2, "a refused run writes nothing")

	// A manual run needs its starter's access as well: bob may start
	// alice2's report but may not read store a.
	alice2 := e.user(t, "alice2", storePolicy(`"auditlake:*"`, e.a.ARN))
	q2 := e.ok(t, alice2, "CreateSavedQuery", map[string]any{"Name": "q2", "QueryStatement": "SELECT count(*) AS n FROM " + e.a.ID})
	rep2 := e.ok(t, alice2, "CreateReport", map[string]any{"Name": "r2", "SavedQueryId": q2["SavedQueryId"], "Schedule": "@daily", "Enabled": true})
	bob := e.user(t, "bob", storePolicy(`"auditlake:*"`, e.b.ARN))
	run = e.ok(t, bob, "StartReportRun", map[string]any{"ReportId": rep2["ReportId"]})
	require.Equal(t, "FAILED", run["Status"], "bob may start it but not read store a")
	require.Contains(t, run["Error"], "bob ("+bob.key+")")
	require.Contains(t, run["Error"], "cloudtrail:StartQuery on resource: "+e.a.ARN)
	runs := e.ok(t, alice2, "ListReportRuns", map[string]any{"ReportId": rep2["ReportId"]})["Runs"].([]any)
	require.Len(t, runs, 1)
	require.Equal(t, "FAILED", runs[0].(map[string]any)["Status"])
	require.Empty(t, e.objects(t, "reports/"+rep2["ReportId"].(string)+"/"))
	_, out := e.call(t, alice2, http.MethodPost, "StartReportRun", map[string]any{"ReportId": rep2["ReportId"]})
	require.Equal(t, "SUCCEEDED", out["Status"], out["Error"])
}
