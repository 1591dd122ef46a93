package query

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/stretchr/testify/require"

	"github.com/auditlake/auditlake/lake"
)

// Store IDs and names of the test lake.
const (
	prodID   = "0b5e1c2a-7d3f-4e8a-9c1b-2f4d6e8a0b1c"
	prodName = "prod-trail"
	backupID = "6f1d2e3c-4b5a-4978-8a6b-5c4d3e2f1a0b"
	backupNm = "audit.backup"
	emptyID  = "9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d"
	emptyNm  = "empty_store"
)

// fakeCatalog is a Catalog over Parquet files laid out like the lake:
// <root>/stores/<id>/data/date=YYYY-MM-DD/<ulid>.parquet.
type fakeCatalog struct {
	root   string
	stores []lake.StoreInfo

	mu    sync.Mutex
	segs  map[string][]fakeSegment
	held  int
	calls []TimeRange // the ranges Segments was asked for, in order
	seq   int
}

type fakeSegment struct {
	path     string
	min, max time.Time
}

var _ Catalog = (*fakeCatalog)(nil)

func newFakeCatalog(t testing.TB) *fakeCatalog {
	return &fakeCatalog{root: t.TempDir(), segs: map[string][]fakeSegment{}}
}

func (c *fakeCatalog) Store(_ context.Context, ref string) (lake.StoreInfo, error) {
	for _, s := range c.stores {
		if strings.EqualFold(s.ID, ref) || s.Name == ref {
			return s, nil
		}
	}
	return lake.StoreInfo{}, fmt.Errorf("store %q: %w", ref, lake.ErrStoreNotFound)
}

func (c *fakeCatalog) Segments(_ context.Context, id string, from, to time.Time) ([]string, func(), error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls = append(c.calls, TimeRange{From: from, To: to})
	var paths []string
	for _, s := range c.segs[id] {
		if (from.IsZero() || !s.max.Before(from)) && (to.IsZero() || !s.min.After(to)) {
			paths = append(paths, s.path)
		}
	}
	c.held++
	var once sync.Once
	return paths, func() {
		once.Do(func() {
			c.mu.Lock()
			c.held--
			c.mu.Unlock()
		})
	}, nil
}

func (c *fakeCatalog) holds() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.held
}

func (c *fakeCatalog) addStore(id, name string) {
	c.stores = append(c.stores, lake.StoreInfo{ID: id, Name: name, Status: lake.StatusEnabled})
}

// writeSegment writes events (sorted, all of one day) as one segment.
func (c *fakeCatalog) writeSegment(t testing.TB, id string, events []lake.Event) string {
	t.Helper()
	c.mu.Lock()
	c.seq++
	seq := c.seq
	c.mu.Unlock()
	day := events[0].EventTime.UTC().Format("2006-01-02")
	dir := filepath.Join(c.root, "stores", id, "data", "date="+day)
	require.NoError(t, os.MkdirAll(dir, 0o755))
	path := filepath.Join(dir, fmt.Sprintf("01HQ%022d.parquet", seq))
	f, err := os.Create(path)
	require.NoError(t, err)
	w := parquet.NewGenericWriter[lake.Event](f)
	_, err = w.Write(events)
	require.NoError(t, err)
	require.NoError(t, w.Close())
	require.NoError(t, f.Close())
	seg := fakeSegment{path: path, min: events[0].EventTime, max: events[0].EventTime}
	for _, e := range events {
		if e.EventTime.Before(seg.min) {
			seg.min = e.EventTime
		}
		if e.EventTime.After(seg.max) {
			seg.max = e.EventTime
		}
	}
	c.mu.Lock()
	c.segs[id] = append(c.segs[id], seg)
	c.mu.Unlock()
	return path
}

func ptr[T any](v T) *T { return &v }

func ts(s string) time.Time {
	t, err := time.Parse("2006-01-02 15:04:05.000", s)
	if err != nil {
		panic(err)
	}
	return t
}

// event builds a test event.
func event(at, name, arn string, params map[string]string, resources ...string) lake.Event {
	e := lake.Event{
		EventVersion:      ptr("1.08"),
		EventTime:         ts(at),
		EventName:         ptr(name),
		EventSource:       ptr("s3.amazonaws.com"),
		AWSRegion:         ptr("us-east-1"),
		RequestParameters: params,
		ReadOnly:          ptr(strings.HasPrefix(name, "Get") || strings.HasPrefix(name, "List")),
		EventID:           ptr(fmt.Sprintf("%s-%s", name, at)),
		EventJSON:         `{"eventName":"` + name + `"}`,
	}
	if arn != "" {
		e.UserIdentity = &lake.UserIdentity{Type: ptr("IAMUser"), ARN: ptr(arn), AccountID: ptr("123456789012")}
	}
	for _, r := range resources {
		e.Resources = append(e.Resources, lake.Resource{ARN: ptr(r), Type: ptr("AWS::S3::Object")})
	}
	return e
}

const (
	alice = "arn:aws:iam::123456789012:user/alice"
	bob   = "arn:aws:iam::123456789012:user/bob"
)

// testLake builds the lake used by most tests: prod-trail with three
// daily segments, audit.backup with one, and empty_store with none.
func testLake(t testing.TB) *fakeCatalog {
	c := newFakeCatalog(t)
	c.addStore(prodID, prodName)
	c.addStore(backupID, backupNm)
	c.addStore(emptyID, emptyNm)
	c.writeSegment(t, prodID, []lake.Event{
		event("2024-01-01 08:00:00.000", "GetObject", alice, map[string]string{"bucketName": "logs", "key": "a.txt"}, "arn:aws:s3:::logs/a.txt"),
		event("2024-01-01 09:30:00.250", "PutObject", bob, map[string]string{"bucketName": "logs", "key": "b.txt"}, "arn:aws:s3:::logs/b.txt"),
		event("2024-01-01 23:59:59.999", "ListBuckets", alice, nil),
	})
	c.writeSegment(t, prodID, []lake.Event{
		event("2024-01-02 10:00:00.000", "GetObject", bob, map[string]string{"bucketName": "data", "key": "c.csv"}, "arn:aws:s3:::data/c.csv", "arn:aws:s3:::data"),
		event("2024-01-02 11:00:00.000", "DeleteObject", alice, map[string]string{"bucketName": "data", "key": "c.csv"}, "arn:aws:s3:::data/c.csv"),
	})
	c.writeSegment(t, prodID, []lake.Event{
		event("2024-01-03 12:00:00.000", "GetObject", alice, map[string]string{"bucketName": "logs", "key": "d.txt"}, "arn:aws:s3:::logs/d.txt"),
	})
	c.writeSegment(t, backupID, []lake.Event{
		event("2024-01-02 10:00:00.000", "GetObject", bob, map[string]string{"bucketName": "data", "key": "c.csv"}, "arn:aws:s3:::data/c.csv"),
		event("2024-01-02 15:00:00.000", "CreateBucket", "", map[string]string{"bucketName": "new"}),
	})
	return c
}

func newTestEngine(t testing.TB, cat Catalog, opts Options) *Engine {
	t.Helper()
	if opts.Threads == 0 {
		opts.Threads = 1
	}
	if opts.MemoryLimit == "" {
		opts.MemoryLimit = "256MB"
	}
	opts.TempDir = t.TempDir()
	e, err := NewEngine(cat, opts)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, e.Close()) })
	return e
}

// queryStrings runs a query and returns its rows as CSV cell text.
func queryStrings(t testing.TB, e *Engine, q string) [][]string {
	t.Helper()
	out, err := queryCells(e, q)
	require.NoError(t, err, q)
	return out
}

// queryCells is queryStrings for a query that may fail.
func queryCells(e *Engine, q string) (out [][]string, err error) {
	rows, err := e.Query(context.Background(), q)
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, rows.Close()) }()
	for rows.Next() {
		row := make([]string, len(rows.Columns()))
		for i, v := range rows.Values() {
			row[i] = csvCell(v, parseType(rows.Columns()[i].DuckDBType))
		}
		out = append(out, row)
	}
	return out, rows.Err()
}

// queryCSV runs a query through WriteCSV and reads the records back.
func queryCSV(t *testing.T, e *Engine, q string) [][]string {
	t.Helper()
	rows, err := e.Query(context.Background(), q)
	require.NoError(t, err)
	var buf bytes.Buffer
	require.NoError(t, WriteCSV(&buf, rows))
	require.NoError(t, rows.Close())
	recs, err := csv.NewReader(&buf).ReadAll()
	require.NoError(t, err)
	return recs
}
