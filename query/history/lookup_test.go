package history_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/auditlake/auditlake/ingest"
	"github.com/auditlake/auditlake/lake"
	"github.com/auditlake/auditlake/query/history"
)

var t0 = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)

// clock is a settable fake clock.
type clock struct{ ns atomic.Int64 }

func newClock(t time.Time) *clock { c := &clock{}; c.set(t); return c }
func (c *clock) set(t time.Time)  { c.ns.Store(t.UnixNano()) }
func (c *clock) now() time.Time   { return time.Unix(0, c.ns.Load()).UTC() }

type fixture struct {
	l     *lake.Lake
	s     *history.Searcher
	clk   *clock
	store string
	dir   string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	clk := newClock(t0)
	dir := t.TempDir()
	l, err := lake.Open(ctx, filepath.Join(dir, "lake"), lake.Options{Now: clk.now})
	require.NoError(t, err)
	st, err := l.CreateStore(ctx, lake.CreateStoreInput{Name: "trail"})
	require.NoError(t, err)
	s, err := history.New(l, history.Options{Now: clk.now})
	require.NoError(t, err)
	t.Cleanup(func() {
		require.NoError(t, s.Close())
		require.NoError(t, l.Close())
	})
	return &fixture{l: l, s: s, clk: clk, store: st.ID, dir: dir}
}

// record is a CloudTrail record; identity is one of the identity kinds.
func record(id, name string, at time.Time, identity string, extra map[string]any) map[string]any {
	r := map[string]any{
		"eventVersion": "1.09", "eventID": id, "eventName": name, "eventTime": at.Format(time.RFC3339),
		"eventSource": "ec2.amazonaws.com", "awsRegion": "us-east-1", "sourceIPAddress": "192.0.2.1",
		"eventType": "AwsApiCall", "managementEvent": true, "eventCategory": "Management", "readOnly": false,
		"recipientAccountId": "123456789012",
	}
	switch identity {
	case "alice":
		r["userIdentity"] = map[string]any{"type": "IAMUser", "userName": "alice", "arn": "arn:aws:iam::123456789012:user/alice", "accessKeyId": "AKIAALICE"}
	case "role":
		r["userIdentity"] = map[string]any{"type": "AssumedRole", "arn": "arn:aws:sts::123456789012:assumed-role/admin/bob-session", "accessKeyId": "ASIAROLE",
			"sessionContext": map[string]any{"sessionIssuer": map[string]any{"type": "Role", "userName": "admin"}}}
	case "root":
		r["userIdentity"] = map[string]any{"type": "Root", "arn": "arn:aws:iam::123456789012:root", "accessKeyId": "AKIAROOT"}
	case "service":
		r["userIdentity"] = map[string]any{"type": "AWSService", "invokedBy": "autoscaling.amazonaws.com"}
	}
	for k, v := range extra {
		r[k] = v
	}
	return r
}

func writeTrail(t *testing.T, dir, name string, recs ...map[string]any) string {
	t.Helper()
	data, err := json.Marshal(map[string]any{"Records": recs})
	require.NoError(t, err)
	p := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(p, data, 0o644))
	return p
}

func (f *fixture) ingest(t *testing.T, paths ...string) ingest.Summary {
	t.Helper()
	sum, err := ingest.Paths(context.Background(), f.l, f.store, paths, ingest.Options{}, nil)
	require.NoError(t, err)
	return sum
}

func ids(p history.Page) []string {
	var out []string
	for _, e := range p.Events {
		out = append(out, e.EventID)
	}
	return out
}

func (f *fixture) lookup(t *testing.T, in history.Input) history.Page {
	t.Helper()
	p, err := f.s.Lookup(context.Background(), in)
	require.NoError(t, err)
	return p
}

func attr(k, v string) []history.Attribute { return []history.Attribute{{Key: k, Value: v}} }

// TestLookupReturnsWholeRecord: CloudTrailEvent is the record as it was
// ingested, including the eventID and requestID text that segments store
// apart from eventJson (lake/idcut.go), and the history answers every
// attribute from its own columns.
func TestLookupReturnsWholeRecord(t *testing.T) {
	f := newFixture(t)
	const id = "0f2a5a7e-1111-4c2b-9d9e-123456789abc"
	rec := record(id, "CreateUser", t0.Add(-time.Hour), "role", map[string]any{
		"requestID":         "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
		"requestParameters": map[string]any{"userName": "mallory", "tags": []any{map[string]any{"key": "k", "value": "é✓"}}},
		"eventSource":       "iam.amazonaws.com",
	})
	f.ingest(t, writeTrail(t, f.dir, "a.json", rec))
	want, err := json.Marshal(rec)
	require.NoError(t, err)

	for _, in := range []history.Input{{}, {Attributes: attr(history.KeyEventID, id)}, {Attributes: attr(history.KeyUsername, "bob-session")},
		{Attributes: attr(history.KeyAccessKeyID, "ASIAROLE")}, {Attributes: attr(history.KeyEventSource, "iam.amazonaws.com")}} {
		got := f.lookup(t, in)
		require.Equal(t, []string{id}, ids(got), "%+v", in)
		require.JSONEq(t, string(want), got.Events[0].CloudTrailEvent)
	}
}

// TestLookupByEveryAttribute ingests trail files and looks events up by
// each attribute of the model.
func TestLookupByEveryAttribute(t *testing.T) {
	f := newFixture(t)
	h := func(n int) time.Time { return t0.Add(-time.Duration(n) * time.Hour) }
	p := writeTrail(t, f.dir, "a.json",
		record("e1", "RunInstances", h(5), "alice", map[string]any{
			"resources": []any{map[string]any{"type": "AWS::EC2::Instance", "ARN": "arn:aws:ec2:us-east-1:123456789012:instance/i-0abc"}}}),
		record("e2", "DescribeInstances", h(4), "role", map[string]any{"readOnly": true}),
		record("e3", "ConsoleLogin", h(3), "root", map[string]any{"eventSource": "signin.amazonaws.com", "eventType": "AwsConsoleSignIn"}),
		record("e4", "CreateBucket", h(2), "service", map[string]any{"eventSource": "s3.amazonaws.com",
			"resources": []any{map[string]any{"type": "AWS::S3::Bucket", "ARN": "arn:aws:s3:::logs-bucket"}}}),
		record("e5", "GetObject", h(1), "alice", map[string]any{"eventCategory": "Data", "managementEvent": false, "eventSource": "s3.amazonaws.com"}),
		record("e6", "RunInstances", h(1), "alice", map[string]any{"eventType": "AwsCloudTrailInsight", "eventCategory": "Insight"}),
	)
	f.ingest(t, p)

	all := f.lookup(t, history.Input{})
	require.Equal(t, []string{"e4", "e3", "e2", "e1"}, ids(all), "management events only, newest first")
	require.Equal(t, "autoscaling.amazonaws.com", all.Events[0].Username)
	require.Equal(t, "root", all.Events[1].Username)
	require.Equal(t, "bob-session", all.Events[2].Username)
	require.Equal(t, "alice", all.Events[3].Username)
	require.Equal(t, []history.Resource{{Type: "AWS::EC2::Instance", Name: "i-0abc"}}, all.Events[3].Resources)
	require.Equal(t, "false", all.Events[3].ReadOnly)
	require.Equal(t, "AKIAALICE", all.Events[3].AccessKeyID)
	require.Equal(t, h(5), all.Events[3].EventTime)
	require.Contains(t, all.Events[3].CloudTrailEvent, `"eventID":"e1"`)

	for _, c := range []struct {
		key, value string
		want       []string
	}{
		{history.KeyEventID, "e3", []string{"e3"}},
		{history.KeyEventName, "RunInstances", []string{"e1"}},
		{history.KeyReadOnly, "true", []string{"e2"}},
		{history.KeyReadOnly, "false", []string{"e4", "e3", "e1"}},
		{history.KeyReadOnly, "yes", nil},
		{history.KeyUsername, "alice", []string{"e1"}},
		{history.KeyUsername, "bob-session", []string{"e2"}},
		{history.KeyUsername, "root", []string{"e3"}},
		{history.KeyResourceType, "AWS::S3::Bucket", []string{"e4"}},
		{history.KeyResourceName, "logs-bucket", []string{"e4"}},
		{history.KeyResourceName, "arn:aws:ec2:us-east-1:123456789012:instance/i-0abc", []string{"e1"}},
		{history.KeyResourceName, "i-0ab", nil}, // exact, not a prefix
		{history.KeyEventSource, "signin.amazonaws.com", []string{"e3"}},
		{history.KeyAccessKeyID, "ASIAROLE", []string{"e2"}},
	} {
		t.Run(c.key+"="+c.value, func(t *testing.T) {
			require.Equal(t, c.want, ids(f.lookup(t, history.Input{Attributes: attr(c.key, c.value)})))
		})
	}
	ins := f.lookup(t, history.Input{Category: history.CategoryInsight})
	require.Equal(t, []string{"e6"}, ids(ins))
}

// TestLookupPagingAndTimeRange pages through 120 events and checks the
// time range, the 90-day cutoff and the errors.
func TestLookupPagingAndTimeRange(t *testing.T) {
	f := newFixture(t)
	var recs []map[string]any
	for i := range 120 {
		recs = append(recs, record(fmt.Sprintf("ev-%03d", i), "PutRule", t0.Add(-time.Duration(i)*time.Minute), "alice", nil))
	}
	old := record("old", "PutRule", t0.Add(-91*24*time.Hour), "alice", nil)
	f.ingest(t, writeTrail(t, f.dir, "b.json", append(recs, old)...))

	in := history.Input{Attributes: attr(history.KeyEventName, "PutRule")}
	var got []string
	pages := 0
	for {
		p := f.lookup(t, in)
		pages++
		require.LessOrEqual(t, len(p.Events), 50)
		got = append(got, ids(p)...)
		if p.NextToken == "" {
			break
		}
		in.NextToken = p.NextToken
	}
	require.Equal(t, 3, pages)
	require.Len(t, got, 120, "the 91-day-old event is past the window")
	require.Equal(t, "ev-000", got[0])
	require.Equal(t, "ev-119", got[119])

	p := f.lookup(t, history.Input{MaxResults: 7, Start: t0.Add(-10 * time.Minute), End: t0.Add(-5 * time.Minute)})
	require.Equal(t, []string{"ev-005", "ev-006", "ev-007", "ev-008", "ev-009", "ev-010"}, ids(p))
	require.Empty(t, p.NextToken)

	// The window follows the clock: 90 days on, only the newest remain.
	f.clk.set(t0.Add(90*24*time.Hour - 30*time.Minute))
	require.Len(t, ids(f.lookup(t, history.Input{})), 31) // ev-000 to ev-030: the cutoff is inclusive
	f.clk.set(t0)

	ctx := context.Background()
	for name, c := range map[string]struct {
		in   history.Input
		want error
	}{
		"two attributes": {history.Input{Attributes: append(attr("EventName", "a"), attr("EventId", "b")...)}, history.ErrInvalidLookupAttributes},
		"bad key":        {history.Input{Attributes: attr("Region", "a")}, history.ErrInvalidLookupAttributes},
		"empty value":    {history.Input{Attributes: attr("EventName", "")}, history.ErrInvalidLookupAttributes},
		"long value":     {history.Input{Attributes: attr("EventName", strings.Repeat("_", 1001))}, history.ErrInvalidLookupAttributes},
		"start > end":    {history.Input{Start: t0, End: t0.Add(-time.Hour)}, history.ErrInvalidTimeRange},
		"max 51":         {history.Input{MaxResults: 51}, history.ErrInvalidMaxResults},
		"category":       {history.Input{Category: "management"}, history.ErrInvalidEventCategory},
		"garbage token":  {history.Input{NextToken: "not-a-token"}, history.ErrInvalidNextToken},
		"other request":  {history.Input{NextToken: firstToken(t, f.s)}, history.ErrInvalidNextToken},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := f.s.Lookup(ctx, c.in)
			require.ErrorIs(t, err, c.want)
		})
	}
}

func firstToken(t *testing.T, s *history.Searcher) string {
	p, err := s.Lookup(context.Background(), history.Input{MaxResults: 1, Attributes: attr("EventName", "PutRule")})
	require.NoError(t, err)
	require.NotEmpty(t, p.NextToken)
	return p.NextToken
}

// TestHistoryExactlyOnce ingests the same file twice, into two stores, and
// the same events in another file, and appends through the Sink: each
// event appears once.
func TestHistoryExactlyOnce(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	a := writeTrail(t, f.dir, "a.json", record("x1", "StopInstances", t0.Add(-time.Hour), "alice", nil))
	f.ingest(t, a)
	f.ingest(t, a)
	other, err := f.l.CreateStore(ctx, lake.CreateStoreInput{Name: "other"})
	require.NoError(t, err)
	_, err = ingest.Paths(ctx, f.l, other.ID, []string{a}, ingest.Options{}, nil)
	require.NoError(t, err)
	// The same record in another file: the ledger cannot tell, the lookup
	// drops the repeat.
	f.ingest(t, writeTrail(t, f.dir, "copy.json", record("x1", "StopInstances", t0.Add(-time.Hour), "alice", nil)))
	require.Equal(t, []string{"x1"}, ids(f.lookup(t, history.Input{})))

	// The history store is hidden: not a query target, not counted.
	_, err = f.l.Store(ctx, lake.HistoryStoreID)
	require.ErrorIs(t, err, lake.ErrStoreNotFound)
	_, err = ingest.Paths(ctx, f.l, lake.HistoryStoreID, []string{a}, ingest.Options{}, nil)
	require.ErrorIs(t, err, lake.ErrStoreNotFound)

	// The write-ahead log Sink feeds the history too, with no store named.
	sink, err := ingest.OpenSink(ctx, f.l, ingest.SinkOptions{})
	require.NoError(t, err)
	ev := decodeOne(t, record("s1", "DeleteTrail", t0.Add(-time.Minute), "role", nil))
	require.NoError(t, sink.Append(ctx, nil, []lake.Event{ev}))
	require.NoError(t, sink.Close(ctx))
	sink, err = ingest.OpenSink(ctx, f.l, ingest.SinkOptions{}) // replays nothing twice
	require.NoError(t, err)
	require.NoError(t, sink.Close(ctx))
	require.Equal(t, []string{"s1", "x1"}, ids(f.lookup(t, history.Input{})))
}

func decodeOne(t *testing.T, rec map[string]any) lake.Event {
	t.Helper()
	data, err := json.Marshal(map[string]any{"Records": []any{rec}})
	require.NoError(t, err)
	var out []lake.Event
	_, err = ingest.NewDecoder().Decode("test", bytes.NewReader(data), func(e *lake.Event) error {
		out = append(out, *e)
		return nil
	})
	require.NoError(t, err)
	require.Len(t, out, 1)
	return out[0]
}

// TestDownload writes CSV and JSON as the console's download does.
func TestDownload(t *testing.T) {
	f := newFixture(t)
	var recs []map[string]any
	for i := range 3 {
		recs = append(recs, record(fmt.Sprintf("d%d", i), "ConsoleLogin", t0.Add(-time.Duration(i)*time.Hour), "alice", map[string]any{
			"resources": []any{map[string]any{"type": "AWS::IAM::User", "ARN": "arn:aws:iam::123456789012:user/alice"}}}))
	}
	f.ingest(t, writeTrail(t, f.dir, "d.json", recs...))
	in := history.Input{Attributes: attr("EventName", "ConsoleLogin")}
	var buf bytes.Buffer
	n, err := f.s.Download(context.Background(), in, history.FormatCSV, &buf)
	require.NoError(t, err)
	require.Equal(t, 3, n)
	rows, err := csv.NewReader(&buf).ReadAll()
	require.NoError(t, err)
	require.Len(t, rows, 4)
	require.Equal(t, []string{"Event ID", "Event time", "User name", "Event name", "Resource type", "Resource name",
		"AWS access key", "AWS region", "Error code", "Source IP address", "Resources"}, rows[0])
	require.Equal(t, []string{"d0", "2026-11-20T12:00:00Z", "alice", "ConsoleLogin", "AWS::IAM::User", "alice",
		"AKIAALICE", "us-east-1", "", "192.0.2.1", `[{"resourceType":"AWS::IAM::User","resourceName":"alice"}]`}, rows[1])

	buf.Reset()
	_, err = f.s.Download(context.Background(), in, history.FormatJSON, &buf)
	require.NoError(t, err)
	var doc struct{ Records []map[string]any }
	require.NoError(t, json.Unmarshal(buf.Bytes(), &doc))
	require.Len(t, doc.Records, 3)
	require.Equal(t, "d2", doc.Records[2]["eventID"])
}

// TestHistoryCompletesAfterCut plants the state a crash between the
// store's commit and the history's leaves (the store's ledger has the file,
// the history's does not): the next ingest skips the file for the store and
// completes the history, once.
func TestHistoryCompletesAfterCut(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	p := writeTrail(t, f.dir, "cut.json", record("c1", "AttachRolePolicy", t0.Add(-time.Hour), "alice", nil))
	data, err := os.ReadFile(p)
	require.NoError(t, err)
	sum := sha256.Sum256(data)
	batch, err := f.l.BeginBatch(ctx, f.store, []lake.Source{{Digest: hex.EncodeToString(sum[:]), Name: p}})
	require.NoError(t, err)
	require.NoError(t, f.l.FinishBatch(ctx, batch))
	require.Empty(t, ids(f.lookup(t, history.Input{})))

	s := f.ingest(t, p)
	require.Equal(t, 1, s.Skipped, "the store had the file")
	require.Equal(t, []string{"c1"}, ids(f.lookup(t, history.Input{})))
	f.ingest(t, p)
	require.Equal(t, []string{"c1"}, ids(f.lookup(t, history.Input{})))
	m, err := f.l.Manifest(ctx, lake.HistoryStoreID)
	require.NoError(t, err)
	require.EqualValues(t, 1, m.Rows(), "one row in the history, not one per run")
}
