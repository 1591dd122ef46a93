package pgwire_test

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/auditlake/auditlake/api/iam"
	"github.com/auditlake/auditlake/ingest"
	"github.com/auditlake/auditlake/lake"
	"github.com/auditlake/auditlake/query"
	"github.com/auditlake/auditlake/query/pgwire"
)

// Keys of the test lake: root may read every store, reader only "prod".
const (
	rootKey      = "AKIAPGWIREROOT000001"
	rootSecret   = "root-secret-0123456789abcdef"
	readerKey    = "AKIAPGWIREREADER0001"
	readerSecret = "reader-secret-0123456789abcdef"
	testEvents   = 50
)

// env is a lake with two stores ("prod" with testEvents events, "other"
// with 5) served on a loopback port.
type env struct {
	lake       *lake.Lake
	prod       lake.StoreInfo
	other      lake.StoreInfo
	addr, host string
	port       int
}

func newEnv(t *testing.T, opts pgwire.Options) *env {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	l, err := lake.Open(ctx, dir, lake.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, l.Close()) })
	e := &env{lake: l}
	e.prod = createStore(t, l, "prod", testEvents)
	e.other = createStore(t, l, "other", 5)

	keys, err := iam.Open(l, iam.Options{})
	require.NoError(t, err)
	admin, err := iam.ParsePolicy([]byte(iam.AdminPolicy))
	require.NoError(t, err)
	_, _, err = keys.Create(ctx, "admin", admin, rootKey, rootSecret)
	require.NoError(t, err)
	reader, err := iam.ParsePolicy(fmt.Appendf(nil, `{"Statement":[{"Effect":"Allow","Action":"cloudtrail:StartQuery","Resource":%q}]}`, e.prod.ARN))
	require.NoError(t, err)
	_, _, err = keys.Create(ctx, "reader", reader, readerKey, readerSecret)
	require.NoError(t, err)

	eng, err := query.NewEngine(l, query.Options{TempDir: t.TempDir(), Threads: 1})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, eng.Close()) })
	opts.Engine, opts.Stores, opts.Keys = eng, l, keys
	if opts.TLS == nil {
		opts.AllowPlain = true
	}
	srv, err := pgwire.New(opts)
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(context.Background(), ln) }()
	t.Cleanup(func() {
		require.NoError(t, srv.Close())
		require.NoError(t, <-done)
	})
	e.addr = ln.Addr().String()
	e.host = "127.0.0.1"
	e.port = ln.Addr().(*net.TCPAddr).Port
	return e
}

// dsn is a libpq connection string for a key.
func (e *env) dsn(key, secret string) string {
	return fmt.Sprintf("host=%s port=%d user=%s password=%s dbname=auditlake sslmode=disable", e.host, e.port, key, secret)
}

// createStore makes a store and ingests n events: event i is GetObject
// (even i) or PutObject, at 2024-01-01 00:00 + i minutes, by user-(i%3).
func createStore(t *testing.T, l *lake.Lake, name string, n int) lake.StoreInfo {
	t.Helper()
	ctx := context.Background()
	st, err := l.CreateStore(ctx, lake.CreateStoreInput{Name: name})
	require.NoError(t, err)
	var recs []map[string]any
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		ev := "PutObject"
		if i%2 == 0 {
			ev = "GetObject"
		}
		recs = append(recs, map[string]any{
			"eventVersion": "1.08", "eventTime": base.Add(time.Duration(i) * time.Minute).Format(time.RFC3339),
			"eventSource": "s3.amazonaws.com", "eventName": ev, "awsRegion": "us-east-1",
			"sourceIPAddress": "10.0.0.1", "userAgent": "aws-cli/2",
			"userIdentity":      map[string]any{"type": "IAMUser", "userName": fmt.Sprintf("user-%d", i%3), "accountId": "111122223333"},
			"requestParameters": map[string]any{"bucketName": "b", "key": fmt.Sprintf("k%d", i)},
			"eventID":           fmt.Sprintf("00000000-0000-4000-8000-%012d", i), "requestID": fmt.Sprintf("R%d", i),
			"readOnly": i%2 == 0, "eventType": "AwsApiCall", "managementEvent": true, "recipientAccountId": "111122223333",
			"eventCategory": "Management",
		})
	}
	path := filepath.Join(t.TempDir(), name+".json.gz")
	f, err := os.Create(path)
	require.NoError(t, err)
	zw := gzip.NewWriter(f)
	require.NoError(t, json.NewEncoder(zw).Encode(map[string]any{"Records": recs}))
	require.NoError(t, zw.Close())
	require.NoError(t, f.Close())
	sum, err := ingest.Paths(ctx, l, st.ID, []string{path}, ingest.Options{}, nil)
	require.NoError(t, err)
	t.Logf("ingest summary: %+v", sum)
	return st
}
