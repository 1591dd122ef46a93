package main_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// lookupPages returns the pages LookupEvents answers for one attribute
// and a time range.
func lookupPages(t *testing.T, srv *server, key, value string, start, end time.Time) [][]types.Event {
	t.Helper()
	ct := apiClient(srv)
	in := &cloudtrail.LookupEventsInput{StartTime: aws.Time(start), EndTime: aws.Time(end)}
	if key != "" {
		in.LookupAttributes = []types.LookupAttribute{{AttributeKey: types.LookupAttributeKey(key), AttributeValue: aws.String(value)}}
	}
	var pages [][]types.Event
	for {
		out, err := ct.LookupEvents(context.Background(), in)
		require.NoError(t, err)
		pages = append(pages, out.Events)
		if out.NextToken == nil {
			return pages
		}
		in.NextToken = out.NextToken
	}
}

// historyRow is a row of the console's event history table, as the
// console should show an event of the API.
func historyRow(e types.Event) []string {
	var typ, name []string
	for _, r := range e.Resources {
		typ, name = append(typ, aws.ToString(r.ResourceType)), append(name, aws.ToString(r.ResourceName))
	}
	return []string{aws.ToString(e.EventId), e.EventTime.UTC().Format("2006-01-02 15:04:05") + " UTC", aws.ToString(e.EventName),
		aws.ToString(e.Username), aws.ToString(e.EventSource), strings.Join(typ, ", "), strings.Join(name, ", ")}
}

// setField sets an input's value as typing would. Unlike chromedp.SetValue
// it accepts the browser's normal form of the value (a datetime-local
// input drops ":00" seconds).
func setField(sel, value string) chromedp.Action[chromedp.Void] {
	v, _ := json.Marshal(value)
	return js(`(() => { const e = document.querySelector('` + sel + `'); e.value = ` + string(v) + `; e.dispatchEvent(new Event('input', {bubbles: true})); e.dispatchEvent(new Event('change', {bubbles: true})); })()`)
}

const historyTable = `[...document.querySelectorAll('#ev-table tbody tr[data-event-id]')].map(tr => [tr.dataset.eventId, ...[...tr.cells].slice(1).map(c => c.textContent)])`

// TestConsoleEventHistoryInChromium drives the event history screen:
// filter by one lookup attribute and a time range, page with NextToken,
// expand an event to its record, and download the result as CSV and
// JSON; every step is compared with what LookupEvents answers, and the
// downloads with `auditlake lookup` over the same lake.
func TestConsoleEventHistoryInChromium(t *testing.T) {
	f := newConsoleFixture(t)
	ctx := f.ctx
	f.signIn(t)

	// The generated events end before today (UTC); self-audit events of
	// this test come later and stay out of the range.
	end := time.Now().UTC().Truncate(24 * time.Hour).Add(-time.Second)
	start := end.Add(-5 * 24 * time.Hour).Add(time.Second)
	all := lookupPages(t, f.srv, "", "", start, end)
	require.NotEmpty(t, all[0])
	counts := map[string]int{}
	for _, p := range all {
		for _, e := range p {
			counts[aws.ToString(e.EventName)]++
		}
	}
	name := ""
	for n, c := range counts {
		if c > counts[name] || (c == counts[name] && n < name) {
			name = n
		}
	}
	require.Greater(t, counts[name], 50, "the most frequent management event fills more than a page")
	want := lookupPages(t, f.srv, "EventName", name, start, end)

	// Filter by EventName over the range: page 1, page 2 and back.
	do(t, ctx,
		chromedp.Click(css("#tab-events")),
		waitJS(`!document.querySelector('#events').hidden && document.querySelector('#ev-status').dataset.status === 'DONE'`),
		chromedp.SetValue(css("#ev-key"), "EventName"),
		chromedp.SetValue(css("#ev-value"), name),
		setField("#ev-start", start.Format("2006-01-02T15:04:05")),
		setField("#ev-end", end.Format("2006-01-02T15:04:05")),
		chromedp.Click(css("#ev-lookup")),
		waitJS(`document.querySelector('#ev-status').textContent.startsWith('page 1') && document.querySelector('#ev-table tbody tr[data-event-id]').cells[2].textContent === '`+name+`'`),
	)
	page := func(n int) [][]string {
		var rows [][]string
		for _, e := range want[n] {
			rows = append(rows, historyRow(e))
		}
		return rows
	}
	require.Equal(t, page(0), eval[[][]string](t, ctx, historyTable))
	require.Equal(t, "none", eval[string](t, ctx, `getComputedStyle(document.querySelector('#app')).display`), "one screen at a time")
	do(t, ctx,
		chromedp.Click(css("#ev-next")),
		waitJS(`document.querySelector('#ev-status').textContent.startsWith('page 2')`),
	)
	require.Equal(t, page(1), eval[[][]string](t, ctx, historyTable))
	do(t, ctx,
		chromedp.Click(css("#ev-prev")),
		waitJS(`document.querySelector('#ev-status').textContent.startsWith('page 1')`),
	)
	require.Equal(t, page(0), eval[[][]string](t, ctx, historyTable))

	// Expand the first event: its full record, pretty-printed.
	do(t, ctx,
		chromedp.Click(css("#ev-table tbody button.expand")),
		waitJS(`document.querySelector('#ev-table tr.detail pre.record') !== null`),
	)
	record := eval[string](t, ctx, `document.querySelector('#ev-table tr.detail pre.record').textContent`)
	require.JSONEq(t, aws.ToString(want[0][0].CloudTrailEvent), record)
	require.Contains(t, record, "\n  \"eventName\": ", "indented")
	require.Equal(t, "true", eval[string](t, ctx, `document.querySelector('#ev-table button.expand').getAttribute('aria-expanded')`))
	shot(t, ctx, "history")

	// Download the whole result as CSV and as JSON.
	do(t, ctx, chromedp.Click(css("#ev-csv")), waitJS(`document.querySelector('#ev-status').textContent.startsWith('downloaded')`))
	_, csvData := f.download(t, "event-history-*.csv")
	recs, err := csv.NewReader(strings.NewReader(string(csvData))).ReadAll()
	require.NoError(t, err)
	var ids []string
	for _, p := range want {
		for _, e := range p {
			ids = append(ids, aws.ToString(e.EventId))
		}
	}
	require.Len(t, recs, len(ids)+1)
	for i, id := range ids {
		require.Equal(t, id, recs[i+1][0])
		require.Equal(t, name, recs[i+1][3])
	}
	do(t, ctx, chromedp.Click(css("#ev-json")), waitJS(`document.querySelector('#ev-status').textContent.endsWith('.json')`))
	_, jsonData := f.download(t, "event-history-*.json")
	var doc struct{ Records []json.RawMessage }
	require.NoError(t, json.Unmarshal(jsonData, &doc))
	require.Len(t, doc.Records, len(ids))
	require.JSONEq(t, aws.ToString(want[0][0].CloudTrailEvent), string(doc.Records[0]))

	// A second attribute: Username.
	user := aws.ToString(want[0][0].Username)
	do(t, ctx,
		chromedp.SetValue(css("#ev-key"), "Username"),
		chromedp.SetValue(css("#ev-value"), user),
		chromedp.Click(css("#ev-lookup")),
		waitJS(`document.querySelector('#ev-status').dataset.status === 'DONE' && [...document.querySelectorAll('#ev-table tbody tr[data-event-id]')].every(tr => tr.cells[3].textContent === '`+user+`')`),
	)
	byUser := lookupPages(t, f.srv, "Username", user, start, end)
	var rows [][]string
	for _, e := range byUser[0] {
		rows = append(rows, historyRow(e))
	}
	require.Equal(t, rows, eval[[][]string](t, ctx, historyTable))

	// The downloads are byte for byte what `auditlake lookup` writes.
	f.srv.stop(t)
	args := []string{"lookup", "--attribute", "EventName=" + name, "--start", start.Format(time.RFC3339), "--end", end.Format(time.RFC3339)}
	require.Equal(t, mustRun(t, f.lake, args...), string(csvData))
	require.Equal(t, mustRun(t, f.lake, append(args, "--format", "json")...), string(jsonData))
}
