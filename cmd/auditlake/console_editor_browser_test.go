package main_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/stretchr/testify/require"
)

// typeKeys types text into the focused element key by key, as a person
// does: each character is a keydown, an input event and a keyup.
func typeKeys(text string, mods ...chromedp.Modifier) chromedp.Action[chromedp.Void] {
	if len(mods) > 0 {
		return chromedp.KeyEvent(text, chromedp.KeyModifiers(mods...))
	}
	return chromedp.KeyEvent(text)
}

const popupOpen = `!document.querySelector('#complete').hidden`

// popupItems lists the completion popup as "kind:label" entries.
const popupItems = `[...document.querySelectorAll('#complete li')].map(li => li.dataset.kind + ':' + li.querySelector('.label').textContent)`

// TestConsoleEditorInChromium checks the editor: SQL highlighting kept in
// line with the text (strings, comments and quoted names across lines),
// completion of functions, nested columns and store IDs typed key by key
// and run with Ctrl+Enter (the rows are the API's), and charts of the
// results that suit one; and that the console fits a laptop screen.
func TestConsoleEditorInChromium(t *testing.T) {
	f := newConsoleFixture(t)
	ctx := f.ctx
	f.signIn(t)

	// Highlighting: each token kind, quotes and comments across lines.
	sql := "SELECT \"event\"\"Name\", count(*) AS n -- per 'name'\nFROM trail /* a comment\nover two lines, with 'quotes' */\n" +
		"WHERE eventName <> 'it''s\ntwo lines' AND 1.5e3 > 2\n"
	do(t, ctx, chromedp.SetValue(css("#editor"), sql))
	spans := eval[[]string](t, ctx, `[...document.querySelectorAll('#highlight span')].map(s => s.className + ' ' + s.textContent)`)
	require.Equal(t, []string{
		"t-kw SELECT", `t-qid "event""Name"`, "t-fn count", "t-kw AS", "t-com -- per 'name'",
		"t-kw FROM", "t-com /* a comment\nover two lines, with 'quotes' */",
		"t-kw WHERE", "t-str 'it''s\ntwo lines'", "t-kw AND", "t-num 1.5e3", "t-num 2",
	}, spans)
	require.Equal(t, sql+" ", eval[string](t, ctx, `document.querySelector('#highlight').textContent`),
		"the highlighted copy holds the same text (and a last empty line)")
	shot(t, ctx, "highlight")

	// The copy scrolls and resizes with the textarea.
	long := ""
	for i := range 60 {
		long += "SELECT " + strconv.Itoa(i) + " -- " + strings.Repeat("a long line to scroll sideways, ", 10) + "\n"
	}
	do(t, ctx,
		chromedp.SetValue(css("#editor"), long),
		js(`(() => { const ta = document.querySelector('#editor'); ta.scrollTop = 400; ta.scrollLeft = 120; })()`),
		waitJS(`(() => { const ta = document.querySelector('#editor'), hl = document.querySelector('#highlight');
			return ta.scrollTop > 0 && ta.scrollLeft > 0 && hl.scrollTop === ta.scrollTop && hl.scrollLeft === ta.scrollLeft; })()`),
		js(`document.querySelector('#editor').style.height = '420px'`),
		waitJS(`(() => { const ta = document.querySelector('#editor'), hl = document.querySelector('#highlight');
			return hl.offsetHeight === ta.clientHeight + 2 * ta.clientTop && hl.offsetWidth === ta.clientWidth + 2 * ta.clientLeft; })()`),
		js(`document.querySelector('#editor').style.height = ''`),
	)

	// The column tree inserts a nested field's path at the cursor.
	do(t, ctx,
		clearEditor(),
		jsClick(`#columns button[title="Insert userIdentity.sessionContext.sessionIssuer.arn"]`),
		waitJS(`document.querySelector('#editor').value === 'userIdentity.sessionContext.sessionIssuer.arn'`),
	)

	// Completion, typed key by key: a function (Tab), a nested column
	// (arrows, Enter), the store ID after FROM (Ctrl+Space), Esc.
	prefix := f.storeID[:6]
	do(t, ctx,
		clearEditor(),
		chromedp.Focus(css("#editor")),
		typeKeys("SELECT approx_dis"),
		waitJS(popupOpen),
	)
	require.Equal(t, "function:approx_distinct", eval[[]string](t, ctx, popupItems)[0])
	do(t, ctx, typeKeys(kb.Tab), waitJS(`!(`+popupOpen+`)`))
	require.Equal(t, "SELECT approx_distinct()", eval[string](t, ctx, `document.querySelector('#editor').value`))
	require.Equal(t, len("SELECT approx_distinct("), eval[int](t, ctx, `document.querySelector('#editor').selectionStart`),
		"the cursor is between the parentheses")
	do(t, ctx, typeKeys("userIdentity.a"), waitJS(popupOpen))
	items := eval[[]string](t, ctx, popupItems)
	require.Equal(t, []string{"column:userIdentity.arn", "column:userIdentity.accountId", "column:userIdentity.accessKeyId"}, items[:3])
	do(t, ctx,
		typeKeys(kb.ArrowDown),
		waitJS(`document.querySelector('#complete li[aria-selected=true] .label').textContent === 'userIdentity.accountId'`),
		typeKeys(kb.ArrowUp),
		waitJS(`document.querySelector('#editor').getAttribute('aria-activedescendant') === 'complete-0'`),
		typeKeys(kb.Enter),
		waitJS(`!(`+popupOpen+`)`),
		typeKeys(kb.ArrowRight+" AS principals, eventName FROM "),
		typeKeys(" ", chromedp.ModifierCtrl),
		waitJS(popupOpen),
	)
	require.ElementsMatch(t, []string{"store:trail", "store:" + f.storeID}, eval[[]string](t, ctx, popupItems)[:2], "after FROM the stores come first")
	do(t, ctx, typeKeys(prefix), waitJS(`document.querySelectorAll('#complete li').length >= 1`))
	shot(t, ctx, "editor")
	do(t, ctx,
		typeKeys(kb.Enter),
		typeKeys(" GROUP BY 2 ORDER BY 1 DESC, 2 LIM"),
		waitJS(popupOpen),
		typeKeys(kb.Escape),
		waitJS(`!(`+popupOpen+`)`),
		typeKeys("IT 10 -- n"),
	)
	require.False(t, eval[bool](t, ctx, popupOpen), "no completion inside a comment")
	want := "SELECT approx_distinct(userIdentity.arn) AS principals, eventName FROM " + f.storeID + " GROUP BY 2 ORDER BY 1 DESC, 2 LIMIT 10 -- n"
	require.Equal(t, want, eval[string](t, ctx, `document.querySelector('#editor').value`))

	// Ctrl+Enter runs it; the table is the API's answer.
	do(t, ctx,
		typeKeys(kb.Enter, chromedp.ModifierCtrl),
		waitJS(`document.querySelector('#status').dataset.status === 'FINISHED' && document.querySelectorAll('#results tbody tr').length > 0`),
	)
	_, _, rows := apiQuery(t, f.srv, want)
	require.Equal(t, rows, tableRows(t, f))

	// A bar chart: one bar per row, with the row's label and value.
	do(t, ctx,
		setSQL("SELECT eventName, count(*) AS n FROM trail GROUP BY 1 ORDER BY 2 DESC, 1"),
		waitJS(`document.querySelector('#status').dataset.status === 'FINISHED' && !document.querySelector('#views').hidden`),
		chromedp.Click(css("#view-chart")),
		waitJS(`document.querySelectorAll('#chart svg.bar-chart rect.bar').length > 0`),
	)
	_, _, rows = apiQuery(t, f.srv, "SELECT eventName, count(*) AS n FROM trail GROUP BY 1 ORDER BY 2 DESC, 1")
	bars := eval[[]string](t, ctx, `[...document.querySelectorAll('#chart rect.bar title')].map(t => t.textContent)`)
	require.Len(t, bars, min(len(rows)-1, 100))
	for i, b := range bars {
		require.Equal(t, rows[i+1][0]+": "+rows[i+1][1], b)
	}
	require.True(t, eval[bool](t, ctx, `document.querySelector('#results').closest('.results').hidden`), "the chart replaces the table")
	shot(t, ctx, "chart-bar")

	// A line over time: one point per hour, in time order.
	perHour := "SELECT date_trunc('hour', eventTime) AS hour, count(*) AS events FROM trail GROUP BY 1 ORDER BY 1"
	do(t, ctx,
		setSQL(perHour),
		waitJS(`document.querySelector('#status').dataset.status === 'FINISHED' && !document.querySelector('#views').hidden`),
		waitJS(`!document.querySelector('#table-view').hidden`), // a new result opens as a table
		chromedp.Click(css("#view-chart")),
		waitJS(`document.querySelectorAll('#chart svg.line-chart circle.point').length > 0`),
	)
	_, _, rows = apiQuery(t, f.srv, perHour)
	points := eval[[]string](t, ctx, `[...document.querySelectorAll('#chart circle.point title')].map(t => t.textContent)`)
	require.Len(t, points, len(rows)-1)
	for i, p := range points {
		require.Equal(t, rows[i+1][0]+": "+rows[i+1][1], p)
	}
	shot(t, ctx, "chart")
	do(t, ctx, chromedp.Click(css("#view-table")), waitJS(`!document.querySelector('#table-view').hidden && document.querySelector('#chart').hidden`))

	// Results that do not suit a chart offer none.
	for _, q := range []string{
		"SELECT eventID, eventTime FROM trail ORDER BY eventID LIMIT 5", // no number
		"SELECT count(*) AS n FROM trail",                               // one column
		"SELECT eventName FROM trail WHERE eventName = 'NoSuchEvent'",   // no rows
	} {
		do(t, ctx,
			setSQL(q),
			waitJS(`document.querySelector('#status').dataset.status === 'FINISHED' && document.querySelector('#page').textContent !== ''`),
		)
		require.True(t, eval[bool](t, ctx, `document.querySelector('#views').hidden`), q)
	}

	// A laptop screen: nothing wider than the window, the editor and its
	// buttons in view.
	do(t, ctx, chromedp.EmulateViewport(1366, 768), chromedp.Sleep(300*time.Millisecond))
	require.LessOrEqual(t, eval[int](t, ctx, `document.documentElement.scrollWidth`), 1366)
	require.True(t, eval[bool](t, ctx, `(() => { const r = document.querySelector('#run').getBoundingClientRect(); return r.bottom < 768 && r.right < 1366; })()`))
	do(t, ctx, chromedp.EmulateViewport(1440, 900))
}

// clearEditor empties the editor (chromedp.SetValue refuses "").
func clearEditor() chromedp.Action[chromedp.Void] {
	return js(`(() => { const ta = document.querySelector('#editor'); ta.value = ''; ta.dispatchEvent(new Event('input')); })()`)
}

// tableRows reads the results table as CSV records with a header.
func tableRows(t *testing.T, f *consoleFixture) [][]string {
	t.Helper()
	return eval[[][]string](t, f.ctx, `[...document.querySelectorAll('#results tr')].map(tr => [...tr.cells].map(c => c.textContent))`)
}

// TestConsoleFunctionList checks that the console completes every
// function the dialect translates (query/functions.go has no exported
// list, so the console keeps its own in functions.js) and none that the
// dialect refuses.
func TestConsoleFunctionList(t *testing.T) {
	js, err := os.ReadFile(filepath.Join("..", "..", "api", "console", "web", "functions.js"))
	require.NoError(t, err)
	listed := map[string]bool{}
	for _, m := range regexp.MustCompile(`"([a-z0-9_]+)"`).FindAllStringSubmatch(string(js), -1) {
		listed[m[1]] = true
	}
	tables := goMapKeys(t, filepath.Join("..", "..", "query", "functions.go"), "functions", "unsupported")
	require.NotEmpty(t, tables["functions"])
	require.NotEmpty(t, tables["unsupported"])
	for _, name := range tables["functions"] {
		if name == "__trino_if" {
			name = "if" // SQL writes if(); the translator renames it
		}
		require.True(t, listed[name], "function %s is translated but not completed: add it to api/console/web/functions.js", name)
	}
	for _, name := range tables["unsupported"] {
		require.False(t, listed[name], "function %s is not supported but completed", name)
	}
}

// goMapKeys returns the string keys of the map literals assigned to the
// named package-level variables of a Go file.
func goMapKeys(t *testing.T, file string, vars ...string) map[string][]string {
	t.Helper()
	parsed, err := parser.ParseFile(token.NewFileSet(), file, nil, 0)
	require.NoError(t, err)
	out := map[string][]string{}
	ast.Inspect(parsed, func(n ast.Node) bool {
		vs, ok := n.(*ast.ValueSpec)
		if !ok || len(vs.Names) != 1 || len(vs.Values) != 1 {
			return true
		}
		lit, ok := vs.Values[0].(*ast.CompositeLit)
		if !ok {
			return true
		}
		for _, v := range vars {
			if vs.Names[0].Name != v {
				continue
			}
			for _, e := range lit.Elts {
				if kv, ok := e.(*ast.KeyValueExpr); ok {
					if bl, ok := kv.Key.(*ast.BasicLit); ok && bl.Kind == token.STRING {
						s, err := strconv.Unquote(bl.Value)
						require.NoError(t, err)
						out[v] = append(out[v], s)
					}
				}
			}
		}
		return true
	})
	return out
}
