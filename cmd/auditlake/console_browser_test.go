package main_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/stretchr/testify/require"
)

var screenshots = flag.Bool("screenshots", false, "write the console screenshots into docs/img/ (or set AUDITLAKE_SCREENSHOTS=1)")

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

// shot writes docs/img/console-<name>.png when screenshots are asked for
// (-args -screenshots, or AUDITLAKE_SCREENSHOTS=1), so that an ordinary
// test run leaves the tree as it was.
func shot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	if !*screenshots && os.Getenv("AUDITLAKE_SCREENSHOTS") != "1" {
		return
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // 100: PNG; less is JPEG
	require.NoError(t, err)
	require.NoError(t, os.MkdirAll(filepath.Join("..", "..", "docs", "img"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join("..", "..", "docs", "img", "console-"+name+".png"), png, 0o644))
}

// consoleFixture is a real `auditlake serve` over a lake with one store,
// "trail", holding 3000 generated events of the last 3 days, and a
// headless Chromium that saves downloads into downloads.
type consoleFixture struct {
	ctx       context.Context
	srv       *server
	lake      string
	downloads string
	storeID   string
}

func newConsoleFixture(t *testing.T) *consoleFixture {
	t.Helper()
	f := &consoleFixture{ctx: newBrowser(t), lake: t.TempDir(), downloads: t.TempDir()}
	var created storeOut
	require.NoError(t, json.Unmarshal([]byte(mustRun(t, f.lake, "eds", "create", "--name", "trail", "--advanced-event-selectors", allEvents)), &created))
	f.storeID = created.EventDataStoreArn[strings.LastIndex(created.EventDataStoreArn, "/")+1:]
	gen := t.TempDir()
	mustRun(t, f.lake, "generate", "--events", "3000", "--days", "3", "--out", gen)
	mustRun(t, f.lake, "ingest", "--eds", "trail", gen)
	f.srv = startServe(t, f.lake)
	_, err := chromedp.CallBrowser(f.ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: f.downloads})
	require.NoError(t, err)
	return f
}

// signIn opens the console and signs in with the server's key.
func (f *consoleFixture) signIn(t *testing.T) {
	t.Helper()
	do(t, f.ctx,
		chromedp.Navigate(f.srv.url+"/"),
		chromedp.WaitVisible(css("#login-akid")),
		chromedp.SetValue(css("#login-akid"), serveKey),
		chromedp.SetValue(css("#login-secret"), serveSecret),
		chromedp.Click(css("#login-btn")),
		waitJS(`document.querySelectorAll('#stores li').length === 1`),
	)
}

// download waits for the one file matching pattern in the download
// folder and returns its content.
func (f *consoleFixture) download(t *testing.T, pattern string) (string, []byte) {
	t.Helper()
	var file string
	require.Eventually(t, func() bool {
		m, _ := filepath.Glob(filepath.Join(f.downloads, pattern))
		if len(m) == 1 {
			file = m[0]
		}
		return file != ""
	}, 20*time.Second, 100*time.Millisecond, "no download %s", pattern)
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	return file, data
}

// apiQuery runs sql through the API to its end and returns the query's
// ID, its statistics and its rows (a header first).
func apiQuery(t *testing.T, srv *server, sql string) (string, *cloudtrail.DescribeQueryOutput, [][]string) {
	t.Helper()
	ct := apiClient(srv)
	ctx := context.Background()
	start, err := ct.StartQuery(ctx, &cloudtrail.StartQueryInput{QueryStatement: aws.String(sql)})
	require.NoError(t, err)
	var desc *cloudtrail.DescribeQueryOutput
	require.Eventually(t, func() bool {
		desc, err = ct.DescribeQuery(ctx, &cloudtrail.DescribeQueryInput{QueryId: start.QueryId})
		require.NoError(t, err)
		s := desc.QueryStatus
		require.NotContains(t, []string{"FAILED", "CANCELLED", "TIMED_OUT"}, string(s), aws.ToString(desc.ErrorMessage))
		return s == "FINISHED"
	}, 30*time.Second, 100*time.Millisecond)
	return *start.QueryId, desc, apiRows(t, srv, *start.QueryId)
}

// TestConsoleInChromium drives the console of a real `auditlake serve` in
// headless Chromium: sign in, browse stores, run a query and page its
// results, download the CSV and compare it with the API's answer, see an
// error at its position, cancel a long query, save a query and schedule
// it as a report that runs.
func TestConsoleInChromium(t *testing.T) {
	f := newConsoleFixture(t)
	ctx, srv := f.ctx, f.srv

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

	// The store browser: the store's events, size and time range are the
	// API's answer to the same question.
	do(t, ctx, waitJS(`document.querySelector('#stores .figures').dataset.bytes > 0`))
	shown := eval[map[string]string](t, ctx, `(() => { const f = document.querySelector('#stores .figures'); return {text: f.textContent, events: f.dataset.events, bytes: f.dataset.bytes}; })()`)
	_, desc, rows := apiQuery(t, srv, "SELECT count(*), min(eventTime), max(eventTime) FROM "+f.storeID)
	require.Equal(t, rows[1][0], shown["events"])
	require.Equal(t, fmt.Sprint(*desc.QueryStatistics.BytesScanned), shown["bytes"])
	events, _ := strconv.Atoi(rows[1][0])
	require.Contains(t, shown["text"], fmt.Sprintf("%s events", humanize(events)))
	require.Contains(t, shown["text"], rows[1][1][:16]+" → "+rows[1][2][:16]+" UTC")
	require.Contains(t, eval[string](t, ctx, `document.querySelector('#stores').textContent`), f.storeID)
	require.Contains(t, eval[string](t, ctx, `document.querySelector('#columns').textContent`), "sessionIssuer", "nested fields in the tree")
	shot(t, ctx, "signed-in")

	// The store's latest events, newest first.
	do(t, ctx,
		chromedp.Click(css("#stores li.store button.small")),
		waitJS(`document.querySelector('#status').dataset.status === 'FINISHED' && document.querySelectorAll('#results tbody tr').length === 50`),
	)
	_, _, latest := apiQuery(t, srv, "SELECT max(eventTime) FROM "+f.storeID)
	require.Equal(t, latest[1][0], eval[string](t, ctx, `document.querySelector('#results tbody td').textContent`))

	// A query, its status and its rows; then a paged one.
	do(t, ctx,
		setSQL("SELECT eventName, count(*) AS n FROM trail GROUP BY 1 ORDER BY 2 DESC, 1"),
		waitJS(`document.querySelector('#status').dataset.status === 'FINISHED' && document.querySelectorAll('#results tbody tr').length > 0`),
	)
	require.Contains(t, eval[string](t, ctx, `document.querySelector('#status').textContent`), "events scanned")
	shot(t, ctx, "results")

	// Sort and filter the page on screen: by keyboard on the header, and
	// the rows of the page that hold the text.
	const cells = `[...document.querySelectorAll('#results tbody tr')].map(tr => [...tr.cells].map(c => c.textContent))`
	page1 := eval[[][]string](t, ctx, cells)
	do(t, ctx,
		chromedp.Focus(css("#results th:nth-child(2)")),
		typeKeys(kb.Enter),
		waitJS(`document.querySelector('#results th:nth-child(2)').getAttribute('aria-sort') === 'ascending'`),
	)
	sorted := eval[[][]string](t, ctx, cells)
	require.ElementsMatch(t, page1, sorted)
	require.True(t, slices.IsSortedFunc(sorted, func(a, b []string) int { x, _ := strconv.Atoi(a[1]); y, _ := strconv.Atoi(b[1]); return x - y }))
	do(t, ctx, chromedp.SendKeys(css("#filter"), "object"))
	var want [][]string
	for _, r := range sorted {
		if strings.Contains(strings.ToLower(r[0]+" "+r[1]), "object") {
			want = append(want, r)
		}
	}
	require.NotEmpty(t, want)
	require.Equal(t, want, eval[[][]string](t, ctx, cells))
	do(t, ctx, setField("#filter", ""))
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
	file, data := f.download(t, "*.csv")
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
		clearEditor(),
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

// apiClient is srv's CloudTrail client with the SDK's standard retries.
// The console tests compare what the page shows with the API's answers;
// a first call on a fresh server now and then meets a reset connection
// ("use of closed network connection"), which the SDK retries by
// default (aws-sdk-go-v2 issue 2737) but srv.clients() does not.
func apiClient(srv *server) *cloudtrail.Client {
	ct, _ := srv.clients()
	return cloudtrail.New(ct.Options(), func(o *cloudtrail.Options) { o.RetryMaxAttempts = 3 })
}

// apiRows reads a finished query's rows through the API, as CSV records
// with a header.
func apiRows(t *testing.T, srv *server, id string) [][]string {
	t.Helper()
	ct := apiClient(srv)
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

// humanize writes n with thousands separators, as the console does.
func humanize(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
