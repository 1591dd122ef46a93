package api_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/cloudtraildata"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/require"

	"github.com/auditlake/auditlake/api"
	"github.com/auditlake/auditlake/api/iam"
	"github.com/auditlake/auditlake/ingest"
	"github.com/auditlake/auditlake/lake"
	"github.com/auditlake/auditlake/query"
	"github.com/auditlake/auditlake/query/history"
	"github.com/auditlake/auditlake/query/jobs"
)

const (
	rootKey    = "AKIAROOTTESTKEY00001"
	rootSecret = "rootsecretrootsecretrootsecret0123456789"
	region     = "us-east-1"
)

// env is a real server on loopback: a lake, its sink, query manager,
// channels and key store behind api.Server on httptest.
type env struct {
	url  string
	l    *lake.Lake
	eng  *query.Engine
	keys *iam.Keys
	srv  *api.Server
}

func newEnv(t *testing.T) *env {
	t.Helper()
	return newEnvWith(t, envOptions{audit: true})
}

// envOptions vary newEnv's server.
type envOptions struct {
	// audit records every API call as a management event, as serve does
	// by default; the query benchmarks leave it off, as lakebench does,
	// so that their own calls do not add events.
	audit bool
	// queryWait is the server's QueryWait; 0: its default.
	queryWait time.Duration
}

func newEnvWith(t testing.TB, o envOptions) *env {
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
	sink, err := ingest.OpenSink(ctx, l, ingest.SinkOptions{FlushAge: 50 * time.Millisecond})
	require.NoError(t, err)
	eng, err := query.NewEngine(l, query.Options{TempDir: filepath.Join(dir, "tmp")})
	require.NoError(t, err)
	mgr, err := jobs.New(l, eng, jobs.Options{FlushInterval: 50 * time.Millisecond})
	require.NoError(t, err)
	hist, err := history.New(l, history.Options{})
	require.NoError(t, err)
	opts := api.Options{
		Lake: l, Keys: keys, Queries: mgr, Channels: ingest.NewChannels(l, sink, ingest.ChannelOptions{}),
		History: hist, QueryWait: o.queryWait,
	}
	if o.audit {
		opts.Audit = api.SinkAudit{Lake: l, Sink: sink}
	}
	srv, err := api.New(opts)
	require.NoError(t, err)
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		hs.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		require.NoError(t, srv.Close(ctx))
		require.NoError(t, mgr.Close(ctx))
		require.NoError(t, eng.Close())
		require.NoError(t, hist.Close())
		require.NoError(t, sink.Close(ctx))
		require.NoError(t, l.Close())
	})
	return &env{url: hs.URL, l: l, eng: eng, keys: keys, srv: srv}
}

func (e *env) ct(key, secret string) *cloudtrail.Client {
	return cloudtrail.New(cloudtrail.Options{
		Region: region, BaseEndpoint: aws.String(e.url), RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider(key, secret, ""),
	})
}

func (e *env) root() *cloudtrail.Client { return e.ct(rootKey, rootSecret) }

func (e *env) data(key, secret string) *cloudtraildata.Client {
	return cloudtraildata.New(cloudtraildata.Options{
		Region: region, BaseEndpoint: aws.String(e.url), RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider(key, secret, ""),
	})
}

// user creates a key with the policy and returns a client signing with it.
func (e *env) user(t *testing.T, name, policy string) *cloudtrail.Client {
	t.Helper()
	p, err := iam.ParsePolicy([]byte(policy))
	require.NoError(t, err)
	id, sec, err := e.keys.Create(context.Background(), name, p, "", "")
	require.NoError(t, err)
	return e.ct(id.AccessKeyID, sec)
}

// requireCode checks that err is the API error code.
func requireCode(t *testing.T, err error, code string) smithy.APIError {
	t.Helper()
	require.Error(t, err)
	var ae smithy.APIError
	require.True(t, errors.As(err, &ae), "not an API error: %v", err)
	require.Equal(t, code, ae.ErrorCode(), ae.ErrorMessage())
	return ae
}

// testEvents makes n events spread evenly over days days from day, with a
// few event names, sources and addresses.
func testEvents(day time.Time, days, n int) []lake.Event {
	names := []string{"GetObject", "PutObject", "ListBuckets", "DeleteObject", "AssumeRole", "DescribeInstances"}
	sources := []string{"s3.amazonaws.com", "sts.amazonaws.com", "ec2.amazonaws.com"}
	step := time.Duration(days) * 24 * time.Hour / time.Duration(n)
	out := make([]lake.Event, n)
	for i := range out {
		id := fmt.Sprintf("bench-%08d", i)
		name, src := names[i%len(names)], sources[i%len(sources)]
		ip := fmt.Sprintf("10.0.%d.%d", i%200, i%250)
		arn := fmt.Sprintf("arn:aws:iam::123456789012:user/user-%d", i%40)
		out[i] = lake.Event{
			EventVersion: aws.String("1.08"), EventTime: day.Add(time.Duration(i) * step),
			EventName: aws.String(name), EventSource: aws.String(src), AWSRegion: aws.String("us-east-1"),
			SourceIPAddress: aws.String(ip), EventID: aws.String(id),
			UserIdentity: &lake.UserIdentity{Type: aws.String("IAMUser"), ARN: aws.String(arn)},
			EventJSON:    `{"eventID":"` + id + `","eventName":"` + name + `"}`,
		}
	}
	return out
}

// seedStore creates a store of n events over the four days from
// 2025-12-27, written to the lake directly.
func (e *env) seedStore(t testing.TB, n int) lake.StoreInfo {
	t.Helper()
	ctx := context.Background()
	st, err := e.l.CreateStore(ctx, lake.CreateStoreInput{Name: fmt.Sprintf("store-%d", n)})
	require.NoError(t, err)
	segs, err := e.l.WriteSegments(ctx, st.ID, "", testEvents(time.Date(2025, 12, 27, 0, 0, 0, 0, time.UTC), 4, n))
	require.NoError(t, err)
	_, err = e.l.Commit(ctx, st.ID, lake.Change{Add: segs})
	require.NoError(t, err)
	return st
}
