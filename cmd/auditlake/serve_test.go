package main_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudtraildata"
	dtypes "github.com/aws/aws-sdk-go-v2/service/cloudtraildata/types"
	"github.com/stretchr/testify/require"
)

const (
	serveKey    = "AKIASERVETEST0000001"
	serveSecret = "serve-test-secret-serve-test-secret-0123"
)

// server is a running `auditlake serve`.
type server struct {
	cmd  *exec.Cmd
	url  string
	done chan error
	logs *lockedBuffer // its standard error: the log
}

// lockedBuffer is a bytes.Buffer a process writes while a test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func startServe(t *testing.T, lake string, args ...string) *server {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"--lake", lake, "serve", "--http-addr", "127.0.0.1:0"}, args...)...)
	cmd.Env = append(os.Environ(), "AUDITLAKE_ROOT_ACCESS_KEY_ID="+serveKey, "AUDITLAKE_ROOT_SECRET_ACCESS_KEY="+serveSecret)
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	logs := &lockedBuffer{}
	cmd.Stderr = logs
	require.NoError(t, cmd.Start())
	s := &server{cmd: cmd, done: make(chan error, 1), logs: logs}
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		re := regexp.MustCompile(`http://[0-9.:]+`)
		for sc.Scan() {
			if u := re.FindString(sc.Text()); u != "" {
				select {
				case urls <- u:
				default:
				}
			}
		}
		s.done <- cmd.Wait()
	}()
	select {
	case s.url = <-urls:
	case err := <-s.done:
		t.Fatalf("serve exited: %v", err)
	case <-time.After(20 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("serve did not start")
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		select {
		case <-s.done:
		case <-time.After(5 * time.Second):
		}
	})
	return s
}

func (s *server) stop(t *testing.T) {
	t.Helper()
	require.NoError(t, s.cmd.Process.Signal(syscall.SIGTERM))
	select {
	case err := <-s.done:
		require.NoError(t, err, "serve exits 0 on SIGTERM")
		s.done <- nil
	case <-time.After(60 * time.Second):
		t.Fatal("serve did not stop on SIGTERM")
	}
}

func (s *server) clients() (*cloudtrail.Client, *cloudtraildata.Client) {
	creds := credentials.NewStaticCredentialsProvider(serveKey, serveSecret, "")
	return cloudtrail.New(cloudtrail.Options{Region: "us-east-1", BaseEndpoint: aws.String(s.url), Credentials: creds, RetryMaxAttempts: 1}),
		cloudtraildata.New(cloudtraildata.Options{Region: "us-east-1", BaseEndpoint: aws.String(s.url), Credentials: creds, RetryMaxAttempts: 1})
}

// TestServeSIGTERM stops a real server with SIGTERM while a query runs and
// PutAuditEvents calls are in flight: it exits cleanly, every event it
// acknowledged is there after a restart, and the query has ended in a
// defined state (FAILED, saying the server shut down).
func TestServeSIGTERM(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	ctx := context.Background()
	lake := t.TempDir()
	mustRun(t, lake, "eds", "create", "--name", "trail")
	rec := map[string]any{"eventVersion": "1.09", "eventID": "t1", "eventName": "RunInstances", "eventTime": time.Now().UTC().Format(time.RFC3339),
		"eventSource": "ec2.amazonaws.com", "managementEvent": true, "eventCategory": "Management"}
	data, err := json.Marshal(map[string]any{"Records": []any{rec}})
	require.NoError(t, err)
	file := filepath.Join(t.TempDir(), "one.json")
	require.NoError(t, os.WriteFile(file, data, 0o644))
	mustRun(t, lake, "ingest", "--eds", "trail", file)

	// A long flush age keeps the accepted events in the write-ahead log
	// only: the restart has to replay them.
	srv := startServe(t, lake, "--shutdown-timeout", "3s", "--wal-flush-age", "1h")
	ct, dt := srv.clients()
	ext, err := ct.CreateEventDataStore(ctx, &cloudtrail.CreateEventDataStoreInput{Name: aws.String("external"),
		AdvancedEventSelectors: []cttypes.AdvancedEventSelector{{FieldSelectors: []cttypes.AdvancedFieldSelector{
			{Field: aws.String("eventCategory"), Equals: []string{"ActivityAuditLog"}}}}}})
	require.NoError(t, err)
	ch, err := ct.CreateChannel(ctx, &cloudtrail.CreateChannelInput{Name: aws.String("ci-channel"), Source: aws.String("Custom"),
		Destinations: []cttypes.Destination{{Type: cttypes.DestinationTypeEventDataStore, Location: ext.EventDataStoreArn}}})
	require.NoError(t, err)
	list, err := ct.ListEventDataStores(ctx, &cloudtrail.ListEventDataStoresInput{})
	require.NoError(t, err)
	trailID := ""
	for _, s := range list.EventDataStores {
		if aws.ToString(s.Name) == "trail" {
			arn := aws.ToString(s.EventDataStoreArn)
			trailID = arn[strings.LastIndex(arn, "/")+1:]
		}
	}
	require.NotEmpty(t, trailID)
	slow := "SELECT count(*) FROM " + trailID + " CROSS JOIN UNNEST(sequence(1, 100000)) AS a(x) CROSS JOIN UNNEST(sequence(1, 100000)) AS b(y) WHERE (x + y) % 7 = 3"
	q, err := ct.StartQuery(ctx, &cloudtrail.StartQueryInput{QueryStatement: aws.String(slow)})
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		d, err := ct.DescribeQuery(ctx, &cloudtrail.DescribeQueryInput{QueryId: q.QueryId})
		return err == nil && d.QueryStatus == cttypes.QueryStatusRunning
	}, 20*time.Second, 20*time.Millisecond)

	var mu sync.Mutex
	acked := map[string]bool{}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				var evs []dtypes.AuditEvent
				for j := range 5 {
					uid := fmt.Sprintf("w%d-%d-%d", w, i, j)
					evs = append(evs, dtypes.AuditEvent{Id: aws.String(uid), EventData: aws.String(fmt.Sprintf(
						`{"version":"1.0","userIdentity":{"type":"CustomUser","principalId":"ci"},"eventSource":"ci.example.com","eventName":"Deploy","eventTime":"%s","UID":"%s","recipientAccountId":"123456789012"}`,
						time.Now().UTC().Format(time.RFC3339), uid))})
				}
				out, err := dt.PutAuditEvents(ctx, &cloudtraildata.PutAuditEventsInput{ChannelArn: ch.ChannelArn, AuditEvents: evs})
				if err != nil {
					continue // refused or cut off by the shutdown: not acknowledged
				}
				mu.Lock()
				for _, s := range out.Successful {
					acked[aws.ToString(s.Id)] = true
				}
				mu.Unlock()
			}
		}()
	}
	require.Eventually(t, func() bool { mu.Lock(); defer mu.Unlock(); return len(acked) >= 100 }, 20*time.Second, 10*time.Millisecond)
	srv.stop(t) // puts are still being sent
	close(stop)
	wg.Wait()
	mu.Lock()
	n := len(acked)
	mu.Unlock()
	require.GreaterOrEqual(t, n, 100)

	srv = startServe(t, lake)
	ct, _ = srv.clients()
	d, err := ct.DescribeQuery(ctx, &cloudtrail.DescribeQueryInput{QueryId: q.QueryId})
	require.NoError(t, err)
	require.Equal(t, cttypes.QueryStatusFailed, d.QueryStatus)
	require.Contains(t, aws.ToString(d.ErrorMessage), "shut down")

	extARN := aws.ToString(ext.EventDataStoreArn)
	extID := extARN[strings.LastIndex(extARN, "/")+1:]
	got, err := ct.StartQuery(ctx, &cloudtrail.StartQueryInput{QueryStatement: aws.String("SELECT eventData.uid FROM " + extID)})
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		d, err := ct.DescribeQuery(ctx, &cloudtrail.DescribeQueryInput{QueryId: got.QueryId})
		return err == nil && d.QueryStatus == cttypes.QueryStatusFinished
	}, 30*time.Second, 50*time.Millisecond)
	seen := map[string]bool{}
	for p := cloudtrail.NewGetQueryResultsPaginator(ct, &cloudtrail.GetQueryResultsInput{QueryId: got.QueryId}); p.HasMorePages(); {
		page, err := p.NextPage(ctx)
		require.NoError(t, err)
		for _, row := range page.QueryResultRows {
			for _, v := range row[0] {
				seen[v] = true
			}
		}
	}
	for uid := range acked {
		require.True(t, seen[uid], "acknowledged event %s is missing after the restart", uid)
	}
	srv.stop(t)
}
