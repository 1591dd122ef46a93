package ingest_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/stretchr/testify/require"

	"github.com/auditlake/auditlake/ingest"
	"github.com/auditlake/auditlake/lake"
)

func strp(s string) *string { return &s }

// auditSelectors select events from outside AWS.
func auditSelectors() []lake.AdvancedEventSelector {
	return []lake.AdvancedEventSelector{{Name: "channel events", FieldSelectors: []lake.AdvancedFieldSelector{
		{Field: lake.FieldEventCategory, Equals: []string{lake.CategoryActivityAuditLog}},
	}}}
}

// newSinkLake opens a lake in a temporary folder with a store of management
// events ("mgmt") and a store of events from outside AWS ("audit").
func newSinkLake(t *testing.T) (dir string, l *lake.Lake) {
	t.Helper()
	dir = t.TempDir()
	return dir, openSinkLake(t, dir, true)
}

func openSinkLake(t *testing.T, dir string, create bool) *lake.Lake {
	t.Helper()
	ctx := context.Background()
	l, err := lake.Open(ctx, dir, lake.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = l.Close() })
	if create {
		_, err = l.CreateStore(ctx, lake.CreateStoreInput{Name: "mgmt"})
		require.NoError(t, err)
		_, err = l.CreateStore(ctx, lake.CreateStoreInput{Name: "audit", AdvancedEventSelectors: auditSelectors()})
		require.NoError(t, err)
	}
	return l
}

func mgmtEvents(prefix string, n int, at time.Time) []lake.Event {
	out := make([]lake.Event, n)
	for i := range out {
		id := fmt.Sprintf("%s-%04d", prefix, i)
		out[i] = lake.Event{
			EventID: strp(id), EventTime: at.Add(time.Duration(i) * time.Minute),
			EventCategory: strp(lake.CategoryManagement), EventName: strp("GetUser"), EventSource: strp("iam.amazonaws.com"),
			EventJSON: fmt.Sprintf(`{"eventID":%q}`, id),
		}
	}
	return out
}

func storeEventIDs(t *testing.T, l *lake.Lake, store string) map[string]int {
	t.Helper()
	ctx := context.Background()
	st, err := l.GetStore(ctx, store)
	require.NoError(t, err)
	paths, release, err := l.Segments(ctx, st.ID, time.Time{}, time.Time{})
	require.NoError(t, err)
	defer release()
	got := map[string]int{}
	for _, p := range paths {
		if lake.RowKindOf(st) == lake.RowAuditEvent {
			rows, err := parquet.ReadFile[lake.AuditEvent](p)
			require.NoError(t, err)
			for _, r := range rows {
				got[r.EventID]++
			}
			continue
		}
		rows, err := parquet.ReadFile[lake.Event](p)
		require.NoError(t, err)
		for _, r := range rows {
			got[*r.EventID]++
		}
	}
	return got
}

func walFiles(t *testing.T, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "*.wal"))
	require.NoError(t, err)
	return m
}

var day = time.Date(2025, 3, 1, 23, 0, 0, 0, time.UTC)

func TestSinkAppendIsLoggedThenFlushedIntoSegments(t *testing.T) {
	ctx := context.Background()
	_, l := newSinkLake(t)
	s, err := ingest.OpenSink(ctx, l, ingest.SinkOptions{FlushAge: time.Hour})
	require.NoError(t, err)
	// 120 events spanning midnight: two days, two segments.
	require.NoError(t, s.Append(ctx, []string{"mgmt"}, mgmtEvents("a", 120, day)))
	require.Empty(t, storeEventIDs(t, l, "mgmt"), "not in segments before a flush")
	require.Positive(t, s.Pending())

	require.NoError(t, s.Flush(ctx))
	got := storeEventIDs(t, l, "mgmt")
	require.Len(t, got, 120)
	require.Zero(t, s.Pending())
	st, err := l.GetStore(ctx, "mgmt")
	require.NoError(t, err)
	m, err := l.Manifest(ctx, st.ID)
	require.NoError(t, err)
	require.Len(t, m.Segments, 2)
	for _, seg := range m.Segments {
		require.True(t, strings.HasPrefix(seg.Batch, "wal:"), "segment %s carries the log position it covers", seg.ID)
	}
	require.Len(t, walFiles(t, s.WALDir()), 1, "flushed log files are removed")
	require.NoError(t, s.Close(ctx))
	require.ErrorIs(t, s.Append(ctx, []string{"mgmt"}, mgmtEvents("b", 1, day)), lake.ErrClosed)
}

func TestSinkCloseFlushes(t *testing.T) {
	ctx := context.Background()
	_, l := newSinkLake(t)
	s, err := ingest.OpenSink(ctx, l, ingest.SinkOptions{FlushAge: time.Hour})
	require.NoError(t, err)
	require.NoError(t, s.Append(ctx, []string{"mgmt"}, mgmtEvents("a", 10, day)))
	require.NoError(t, s.Close(ctx))
	require.Len(t, storeEventIDs(t, l, "mgmt"), 10)
}

func TestSinkFlushesByAgeAndBySize(t *testing.T) {
	ctx := context.Background()
	_, l := newSinkLake(t)
	s, err := ingest.OpenSink(ctx, l, ingest.SinkOptions{FlushAge: 50 * time.Millisecond})
	require.NoError(t, err)
	require.NoError(t, s.Append(ctx, []string{"mgmt"}, mgmtEvents("age", 5, day)))
	require.Eventually(t, func() bool { return len(storeEventIDs(t, l, "mgmt")) == 5 }, 5*time.Second, 20*time.Millisecond)
	require.NoError(t, s.Close(ctx))

	s, err = ingest.OpenSink(ctx, l, ingest.SinkOptions{FlushAge: time.Hour, FlushBytes: 1})
	require.NoError(t, err)
	require.NoError(t, s.Append(ctx, []string{"mgmt"}, mgmtEvents("size", 5, day)))
	require.Eventually(t, func() bool { return len(storeEventIDs(t, l, "mgmt")) == 10 }, 5*time.Second, 20*time.Millisecond)
	require.NoError(t, s.Close(ctx))
}

func TestSinkReplaysTheLogOfACrashedProcess(t *testing.T) {
	ctx := context.Background()
	dir, l := newSinkLake(t)
	s, err := ingest.OpenSink(ctx, l, ingest.SinkOptions{FlushAge: time.Hour})
	require.NoError(t, err)
	require.NoError(t, s.Append(ctx, []string{"mgmt"}, mgmtEvents("a", 30, day)))
	require.NoError(t, s.Append(ctx, []string{"mgmt"}, mgmtEvents("b", 30, day)))
	s.Abandon()
	require.NoError(t, l.Close())

	l = openSinkLake(t, dir, false)
	require.Empty(t, storeEventIDs(t, l, "mgmt"))
	s, err = ingest.OpenSink(ctx, l, ingest.SinkOptions{FlushAge: time.Hour})
	require.NoError(t, err)
	require.Len(t, storeEventIDs(t, l, "mgmt"), 60, "OpenSink replays the log")
	require.NoError(t, s.Close(ctx))
}

// A flush that committed but died before removing its log must not be
// committed again: the replay skips what the manifest says is there.
func TestSinkReplayAfterCommitAddsNothingTwice(t *testing.T) {
	ctx := context.Background()
	dir, l := newSinkLake(t)
	s, err := ingest.OpenSink(ctx, l, ingest.SinkOptions{FlushAge: time.Hour})
	require.NoError(t, err)
	require.NoError(t, s.Append(ctx, []string{"mgmt"}, mgmtEvents("a", 20, day)))
	require.NoError(t, s.AppendAudit(ctx, []string{"audit"}, auditRows("x", 7)))
	saved := copyDir(t, s.WALDir())
	require.NoError(t, s.Close(ctx))
	require.NoError(t, l.Close())
	require.NoError(t, os.CopyFS(filepath.Join(dir, "wal"), os.DirFS(saved)))

	l = openSinkLake(t, dir, false)
	s, err = ingest.OpenSink(ctx, l, ingest.SinkOptions{FlushAge: time.Hour})
	require.NoError(t, err)
	require.NoError(t, s.Append(ctx, []string{"mgmt"}, mgmtEvents("b", 3, day)))
	require.NoError(t, s.Close(ctx))
	for id, n := range storeEventIDs(t, l, "mgmt") {
		require.Equal(t, 1, n, "event %s", id)
	}
	require.Len(t, storeEventIDs(t, l, "mgmt"), 23)
	require.Len(t, storeEventIDs(t, l, "audit"), 7)
}

func copyDir(t *testing.T, dir string) string {
	t.Helper()
	out := t.TempDir()
	require.NoError(t, os.CopyFS(out, os.DirFS(dir)))
	return out
}

func TestSinkDropsATornTail(t *testing.T) {
	ctx := context.Background()
	dir, l := newSinkLake(t)
	s, err := ingest.OpenSink(ctx, l, ingest.SinkOptions{FlushAge: time.Hour})
	require.NoError(t, err)
	require.NoError(t, s.Append(ctx, []string{"mgmt"}, mgmtEvents("a", 10, day)))
	files := walFiles(t, s.WALDir())
	s.Abandon()
	require.NoError(t, l.Close())
	require.Len(t, files, 1)
	fi, err := os.Stat(files[0])
	require.NoError(t, err)
	// A record whose write was cut short: a frame promising more bytes
	// than follow.
	f, err := os.OpenFile(files[0], os.O_WRONLY|os.O_APPEND, 0)
	require.NoError(t, err)
	_, err = f.Write([]byte{0xff, 0x00, 0x00, 0x00, 1, 2, 3, 4, 9, 0, 0, 0, 0, 0, 0, 0, '{', '"'})
	require.NoError(t, err)
	require.NoError(t, f.Close())

	l = openSinkLake(t, dir, false)
	s, err = ingest.OpenSink(ctx, l, ingest.SinkOptions{FlushAge: time.Hour})
	require.NoError(t, err)
	require.Len(t, storeEventIDs(t, l, "mgmt"), 10)
	require.NoError(t, s.Append(ctx, []string{"mgmt"}, mgmtEvents("b", 1, day)))
	require.NoError(t, s.Close(ctx))
	require.Len(t, storeEventIDs(t, l, "mgmt"), 11)
	_ = fi
}

func TestSinkRefusesDamageInsideTheLog(t *testing.T) {
	ctx := context.Background()
	dir, l := newSinkLake(t)
	s, err := ingest.OpenSink(ctx, l, ingest.SinkOptions{FlushAge: time.Hour})
	require.NoError(t, err)
	require.NoError(t, s.Append(ctx, []string{"mgmt"}, mgmtEvents("a", 10, day)))
	s.Abandon()
	files := walFiles(t, filepath.Join(dir, "wal"))
	require.Len(t, files, 1)
	// A newer file exists, so damage in the older one is not a torn tail.
	data, err := os.ReadFile(files[0])
	require.NoError(t, err)
	data[len(data)-3] ^= 0xff
	require.NoError(t, os.WriteFile(files[0], data, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "wal", "00000000000000000900.wal"), []byte("AUDITLAKE-WAL-1\n"), 0o644))
	require.NoError(t, l.Close())

	l = openSinkLake(t, dir, false)
	_, err = ingest.OpenSink(ctx, l, ingest.SinkOptions{})
	require.ErrorIs(t, err, lake.ErrCorrupt)
}

func TestSinkAppliesSelectorsAndSchemas(t *testing.T) {
	ctx := context.Background()
	_, l := newSinkLake(t)
	_, err := l.CreateStore(ctx, lake.CreateStoreInput{Name: "deletes", AdvancedEventSelectors: []lake.AdvancedEventSelector{{
		FieldSelectors: []lake.AdvancedFieldSelector{
			{Field: lake.FieldEventCategory, Equals: []string{lake.CategoryManagement}},
			{Field: lake.FieldEventName, StartsWith: []string{"Delete"}},
		},
	}}})
	require.NoError(t, err)
	s, err := ingest.OpenSink(ctx, l, ingest.SinkOptions{FlushAge: time.Hour})
	require.NoError(t, err)
	defer func() { require.NoError(t, s.Close(ctx)) }()
	evs := mgmtEvents("e", 4, day)
	evs[1].EventName = strp("DeleteUser")
	require.NoError(t, s.Append(ctx, []string{"mgmt", "deletes"}, evs))
	require.ErrorIs(t, s.Append(ctx, []string{"audit"}, evs), ingest.ErrChannelUnsupportedSchema)
	require.ErrorIs(t, s.AppendAudit(ctx, []string{"mgmt"}, auditRows("x", 1)), ingest.ErrChannelUnsupportedSchema)
	require.ErrorIs(t, s.Append(ctx, []string{"nope"}, evs), lake.ErrStoreNotFound)
	_, err = l.SetIngestion(ctx, "mgmt", false)
	require.NoError(t, err)
	require.NoError(t, s.Append(ctx, []string{"mgmt"}, mgmtEvents("stopped", 2, day)), "a stopped store takes nothing")
	require.NoError(t, s.Flush(ctx))
	require.Len(t, storeEventIDs(t, l, "mgmt"), 4)
	require.Equal(t, map[string]int{"e-0001": 1}, storeEventIDs(t, l, "deletes"))
}

func TestSinkConcurrentAppendsShareSyncs(t *testing.T) {
	ctx := context.Background()
	_, l := newSinkLake(t)
	s, err := ingest.OpenSink(ctx, l, ingest.SinkOptions{FlushAge: 20 * time.Millisecond})
	require.NoError(t, err)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for b := range 20 {
				require.NoError(t, s.Append(ctx, []string{"mgmt"}, mgmtEvents(fmt.Sprintf("g%d-b%02d", g, b), 5, day)))
			}
		})
	}
	wg.Wait()
	require.NoError(t, s.Close(ctx))
	got := storeEventIDs(t, l, "mgmt")
	require.Len(t, got, 8*20*5)
	for id, n := range got {
		require.Equal(t, 1, n, id)
	}
}

// auditRows builds valid rows of events from outside AWS.
func auditRows(prefix string, n int) []lake.AuditEvent {
	out := make([]lake.AuditEvent, n)
	for i := range out {
		data := fmt.Sprintf(`{"version":"1","userIdentity":{"type":"User","principalId":"p%d"},"eventSource":"app","eventName":"Login","eventTime":"2025-03-01T10:00:%02dZ","UID":"%s-%d","recipientAccountId":"%s"}`,
			i, i%60, prefix, i, lake.DefaultAccountID)
		ev, aerr := ingest.DecodeAuditEvent(data, ingest.AuditHeader{
			EventID: fmt.Sprintf("%s-%04d", prefix, i), Region: lake.DefaultRegion, AccountID: lake.DefaultAccountID,
			ChannelARN: "arn:aws:cloudtrail:us-east-1:123456789012:channel/test", IngestionTime: day,
		})
		if aerr != nil {
			panic(aerr)
		}
		out[i] = ev
	}
	return out
}
