package main_test

import (
	"context"
	"encoding/csv"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

var screenshots = flag.Bool("screenshots", false, "write the console screenshots into docs/img/")

// chromium finds Debian's chromium; without it the browser tests skip,
// except under CI=true, where they fail.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium is not installed (apt-get install chromium); CI runs the browser tests")
	}
	t.Skip("chromium is not installed (apt-get install chromium)")
	return ""
}

func newBrowser(t *testing.T) context.Context {
	t.Helper()
	exe := chromium(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe), chromedp.NoSandbox,
		chromedp.Headless, chromedp.DisableGPU, chromedp.WindowSize(1440, 900))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	ctx, cancelTime := context.WithTimeout(ctx, 80*time.Second)
	t.Cleanup(func() { cancelTime(); cancel(); cancelAlloc() })
	return ctx
}

// do runs steps and, when one fails, reports what the page shows.
func do(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		state, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`['status', 'error', 'login-error', 'page'].map(id => id + ': ' + document.getElementById(id).textContent).join('\n') + ' next.disabled=' + document.getElementById('next').disabled + ' current=' + JSON.stringify(window.auditlakeConsole.current())`))
		t.Fatalf("%v\npage state:\n%s", err, state)
	}
}

// js runs a statement in the page.
func js(stmt string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := chromedp.Evaluate[bool]("("+stmt+", true)")(ctx, tg)
		return err
	})
}

// jsClick clicks an element from script, as a keyboard user's Enter does.
func jsClick(sel string) chromedp.Action[chromedp.Void] {
	return js(`document.querySelector('` + sel + `').click()`)
}

func css(s string) chromedp.CSS { return chromedp.CSS(s) }

// setSQL puts sql in the editor and runs it with Ctrl+Enter... by the Run
// button, which is what the shortcut calls.
func setSQL(sql string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(chromedp.SetValue(css("#editor"), sql), chromedp.Click(css("#run")))
}

func waitJS(expr string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := chromedp.Poll[bool](expr, chromedp.WithPollingInterval(100*time.Millisecond))(ctx, tg)
		return err
	})
}

func eval[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	require.NoError(t, err, expr)
	return v
}

func shot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	if !*screenshots {
		return
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(90))
	require.NoError(t, err)
	require.NoError(t, os.MkdirAll(filepath.Join("..", "..", "docs", "img"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join("..", "..", "docs", "img", "console-"+name+".png"), png, 0o644))
}

// TestConsoleInChromium drives the console of a real `auditlake serve` in
// headless Chromium: sign in, browse stores, run a query and page its
// results, download the CSV and compare it with the API's answer, see an
// error at its position, cancel a long query, save a query and schedule
// it as a report that runs.
func TestConsoleInChromium(t *testing.T) {
	ctx := newBrowser(t)
	lk := t.TempDir()
	mustRun(t, lk, "eds", "create", "--name", "trail", "--advanced-event-selectors", allEvents)
	gen := t.TempDir()
	mustRun(t, lk, "generate", "--events", "3000", "--days", "3", "--out", gen)
	mustRun(t, lk, "ingest", "--eds", "trail", gen)
	srv := startServe(t, lk)
	downloads := t.TempDir()
	_, err := chromedp.CallBrowser(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: downloads})
	require.NoError(t, err)

	// Sign in: a wrong secret is refused, the right one opens the console.
	do(t, ctx,
		chromedp.Navigate(srv.url+"/"),
		chromedp.WaitVisible(css("#login-akid")),
		chromedp.SetValue(css("#login-akid"), serveKey),
		chromedp.SetValue(css("#login-secret"), "wrong"),
		chromedp.Click(css("#login-btn")),
		waitJS(`document.querySelector('#login-error').textContent.includes('InvalidSignatureException')`),
		chromedp.SetValue(css("#login-secret"), serveSecret),
		chromedp.Click(css("#login-btn")),
		waitJS(`document.querySelectorAll('#stores li').length === 1`),
	)
	require.Contains(t, eval[string](t, ctx, `document.querySelector('#stores').textContent`), "trail")
	require.Equal(t, "", eval[string](t, ctx, `sessionStorage.getItem('auditlake.creds').includes('`+serveSecret+`') ? '' : 'missing'`),
		"the secret stays in the tab's session storage")
	shot(t, ctx, "signed-in")

	// A query, its status and its rows; then a paged one.
	do(t, ctx,
		setSQL("SELECT eventName, count(*) AS n FROM trail GROUP BY 1 ORDER BY 2 DESC, 1"),
		waitJS(`document.querySelector('#status').dataset.status === 'FINISHED' && document.querySelectorAll('#results tbody tr').length > 0`),
	)
	require.Contains(t, eval[string](t, ctx, `document.querySelector('#status').textContent`), "events scanned")
	shot(t, ctx, "results")
	do(t, ctx,
		setSQL("SELECT eventID, eventTime FROM trail ORDER BY eventID LIMIT 120"),
		waitJS(`document.querySelector('#status').dataset.status === 'FINISHED' && document.querySelectorAll('#results tbody tr').length === 50 && document.querySelector('#page').textContent.endsWith('of 120')`),
	)
	first := eval[string](t, ctx, `document.querySelector('#results tbody td').textContent`)
	do(t, ctx,
		chromedp.Click(css("#next")),
		waitJS(`document.querySelector('#page').textContent.startsWith('page 2')`),
		chromedp.Click(css("#next")),
		waitJS(`document.querySelector('#page').textContent.startsWith('page 3') && document.querySelectorAll('#results tbody tr').length === 20`),
	)
	require.True(t, eval[bool](t, ctx, `document.querySelector('#next').disabled`), "the last page has no next")

	// Download the CSV and compare it with GetQueryResults.
	do(t, ctx, chromedp.Click(css("#download")))
	var file string
	require.Eventually(t, func() bool {
		m, _ := filepath.Glob(filepath.Join(downloads, "*.csv"))
		if len(m) == 1 {
			file = m[0]
		}
		return file != ""
	}, 20*time.Second, 100*time.Millisecond)
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	got, err := csv.NewReader(strings.NewReader(string(data))).ReadAll()
	require.NoError(t, err)
	require.Equal(t, apiRows(t, srv, strings.TrimSuffix(filepath.Base(file), ".csv")), got)
	require.Equal(t, first, got[1][0])

	// An error is shown with its position, and the editor selects it.
	do(t, ctx,
		setSQL("SELECT eventName\nFROM trail\nWHERE (eventName = 'x'"),
		waitJS(`document.querySelector('#error').textContent.includes('Line ')`),
	)
	msg := eval[string](t, ctx, `document.querySelector('#error').textContent`)
	require.Contains(t, msg, "InvalidQueryStatementException")
	require.Regexp(t, `^Line 3, column \d+`, msg)
	require.Greater(t, eval[int](t, ctx, `document.querySelector('#editor').selectionStart`), len("SELECT eventName\nFROM trail\n")-1)
	shot(t, ctx, "error")

	// A long query is cancelled.
	do(t, ctx,
		setSQL("SELECT count(*) FROM trail a, trail b, trail c WHERE a.eventID <> b.eventID || c.eventID"),
		waitJS(`document.querySelector('#status').dataset.status === 'RUNNING'`),
		chromedp.Click(css("#cancel")),
		waitJS(`document.querySelector('#status').dataset.status === 'CANCELLED'`),
	)

	// Save a query, load it back, schedule it and run the report.
	do(t, ctx,
		chromedp.Click(css("#samples li:nth-child(7) button")),
		chromedp.SetValue(css("#save-name"), "events per day"),
		chromedp.Click(css("#save")),
		waitJS(`document.querySelector('#saved').textContent.includes('events per day')`),
		js(`document.querySelector('#editor').value = ''`),
		chromedp.Click(css("#saved li button")),
		waitJS(`document.querySelector('#editor').value.includes('date_trunc')`),
		chromedp.SetValue(css("#report-name"), "daily counts"),
		chromedp.SetValue(css("#report-cron"), "0 6 * * *"),
		chromedp.SetValue(css("#report-tz"), "Europe/Paris"),
		chromedp.Click(css("#report-create")),
		waitJS(`document.querySelector('#reports').textContent.includes('daily counts')`),
		chromedp.Click(css("#reports tbody button")),
		waitJS(`document.querySelector('#reports').textContent.includes('SUCCEEDED')`),
	)
	require.Contains(t, eval[string](t, ctx, `document.querySelector('#reports').textContent`), ".csv")
	shot(t, ctx, "reports")
}

// apiRows reads a finished query's rows through the API, as CSV records
// with a header.
func apiRows(t *testing.T, srv *server, id string) [][]string {
	t.Helper()
	ct, _ := srv.clients()
	var out [][]string
	var tok *string
	for {
		page, err := ct.GetQueryResults(context.Background(), &cloudtrail.GetQueryResultsInput{QueryId: aws.String(id), NextToken: tok})
		require.NoError(t, err)
		for _, row := range page.QueryResultRows {
			var head, rec []string
			for _, cell := range row {
				for k, v := range cell {
					head, rec = append(head, k), append(rec, v)
				}
			}
			if out == nil {
				out = append(out, head)
			}
			out = append(out, rec)
		}
		if page.NextToken == nil {
			return out
		}
		tok = page.NextToken
	}
}
