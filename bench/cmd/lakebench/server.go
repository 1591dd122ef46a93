package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudtraildata"
	"github.com/jackc/pgx/v5"

	"github.com/auditlake/auditlake/bench/harness"
)

// The administrator key every served bench lake gets: serve creates it
// from these variables the first time it opens the lake.
const (
	benchKey    = "AKIALAKEBENCH0000001"
	benchSecret = "lakebench-secret-lakebench-secret-000001"
)

// server is a running `auditlake serve` on loopback ports the kernel chose,
// with API clients signed by the bench key.
type server struct {
	cmd     *exec.Cmd
	url     string // http://127.0.0.1:port
	pgAddr  string // host:port of the Postgres port
	account string
	done    chan error
	ct      *cloudtrail.Client
	dt      *cloudtraildata.Client
	logFile *os.File
	refused atomic.Int64 // StartQuery calls refused with MaxConcurrentQueriesException
}

var (
	httpLineRE = regexp.MustCompile(`on (http://[0-9.:]+) \(account (\d+)`)
	pgLineRE   = regexp.MustCompile(`Postgres wire protocol on ([0-9.:]+)`)
)

// startServer runs `auditlake serve` on lakeDir with the Postgres port
// (plain connections allowed on loopback) and without self-audit (the
// bench's own API calls would otherwise land in the bench store as
// management events and change its row counts). extra are more serve
// flags. Its log goes to serve.log beside the lake.
func startServer(ctx context.Context, bin, lakeDir string, extra ...string) (*server, error) {
	args := append([]string{"--lake", lakeDir, "serve", "--http-addr", "127.0.0.1:0", "--pg-addr", "127.0.0.1:0", "--pg-allow-plain", "--no-self-audit"}, extra...)
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "AUDITLAKE_ROOT_ACCESS_KEY_ID="+benchKey, "AUDITLAKE_ROOT_SECRET_ACCESS_KEY="+benchSecret)
	logFile, err := os.Create(lakeDir + "-serve.log")
	if err != nil {
		return nil, err
	}
	cmd.Stderr = logFile
	out, err := cmd.StdoutPipe()
	if err != nil {
		logFile.Close()
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, err
	}
	s := &server{cmd: cmd, done: make(chan error, 1), logFile: logFile}
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if m := pgLineRE.FindStringSubmatch(sc.Text()); m != nil {
				s.pgAddr = m[1]
			}
			if m := httpLineRE.FindStringSubmatch(sc.Text()); m != nil {
				s.url, s.account = m[1], m[2]
				close(ready) // the Postgres line comes first
			}
		}
		s.done <- cmd.Wait()
	}()
	select {
	case <-ready:
	case err := <-s.done:
		logFile.Close()
		return nil, fmt.Errorf("serve exited before it served: %v (log: %s)", err, logFile.Name())
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		<-s.done
		logFile.Close()
		return nil, errors.New("serve did not start within 60 s")
	case <-ctx.Done():
		_ = cmd.Process.Kill()
		<-s.done
		logFile.Close()
		return nil, ctx.Err()
	}
	hc := sdkBodyFix{awshttp.NewBuildableClient().WithTransportOptions(func(t *http.Transport) {
		t.MaxIdleConns, t.MaxIdleConnsPerHost = 256, 256 // up to 16 query clients and the put clients keep their connections
	})}
	creds := credentials.NewStaticCredentialsProvider(benchKey, benchSecret, "")
	s.ct = cloudtrail.New(cloudtrail.Options{Region: "us-east-1", BaseEndpoint: aws.String(s.url), Credentials: creds, HTTPClient: hc})
	s.dt = cloudtraildata.New(cloudtraildata.Options{Region: "us-east-1", BaseEndpoint: aws.String(s.url), Credentials: creds, HTTPClient: hc})
	return s, nil
}

// sdkBodyFix sends the SDK's requests with their bodies hidden behind a
// plain io.ReadCloser. smithy-go (v1.28.8 and before) closes a request's
// body as soon as the response arrives, and its closed body's WriteTo
// returns io.EOF as an error. net/http's transport, after writing a body of
// known length, copies what is left of it to io.Discard to check that
// nothing is (through WriteTo): when a fast server answered in between,
// that copy fails, the transport closes the connection, and the response
// being read fails with "use of closed network connection". On loopback it
// was 2% of GetQueryResults calls, each retried after up to a second of
// backoff: Q5's 92 pages took 3-4 s instead of 0.4 s. Without WriteTo the
// closed body reads as io.EOF, which ends the copy cleanly. The SDK's
// retryer stays on, as in any client.
type sdkBodyFix struct{ c *awshttp.BuildableClient }

func (f sdkBodyFix) Do(req *http.Request) (*http.Response, error) {
	if req.Body != nil && req.Body != http.NoBody {
		req.Body = struct{ io.ReadCloser }{req.Body}
	}
	return f.c.Do(req)
}

// stop ends the server with SIGTERM (it flushes accepted events and writes
// profiles on the way out) and returns its rusage: peak RSS and CPU.
func (s *server) stop() (harness.Proc, error) {
	defer s.logFile.Close()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return harness.Proc{}, err
	}
	var err error
	select {
	case err = <-s.done:
	case <-time.After(2 * time.Minute):
		_ = s.cmd.Process.Kill()
		err = errors.Join(errors.New("serve did not stop within 2 minutes of SIGTERM"), <-s.done)
	}
	var res harness.Proc
	if ps := s.cmd.ProcessState; ps != nil {
		if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
			res.MaxRSS = ru.Maxrss * 1024
		}
		res.UserSys = ps.UserTime() + ps.SystemTime()
	}
	if err != nil {
		return res, fmt.Errorf("serve: %w (log: %s)", err, s.logFile.Name())
	}
	return res, nil
}

// cpu returns the server's user+system CPU time so far, from /proc.
func (s *server) cpu() (time.Duration, error) {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(s.cmd.Process.Pid), "stat"))
	if err != nil {
		return 0, err
	}
	// Fields after the command name in parentheses: state is field 3,
	// utime 14 and stime 15 (man 5 proc).
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("short /proc stat: %q", b)
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	const ticks = 100 // USER_HZ on Linux
	return time.Duration(u+st) * time.Second / ticks, nil
}

// apiQuery runs sql through the API as a client would: StartQuery, then
// DescribeQuery until the query ends (after 0, 2, 4, 8, 16, 16, ... ms),
// then GetQueryResults page by page (1,000 rows a page) to the last. It
// returns the rows read.
func (s *server) apiQuery(ctx context.Context, sql string) (int, error) {
	q, err := s.startQuery(ctx, sql)
	if err != nil {
		return 0, err
	}
	for wait := time.Duration(0); ; wait = min(max(2*wait, 2*time.Millisecond), 16*time.Millisecond) {
		if wait > 0 {
			select {
			case <-ctx.Done():
				return 0, ctx.Err()
			case <-time.After(wait):
			}
		}
		d, err := s.ct.DescribeQuery(ctx, &cloudtrail.DescribeQueryInput{QueryId: q.QueryId})
		if err != nil {
			return 0, fmt.Errorf("DescribeQuery: %w", err)
		}
		if d.QueryStatus == cttypes.QueryStatusFinished {
			break
		}
		if d.QueryStatus != cttypes.QueryStatusQueued && d.QueryStatus != cttypes.QueryStatusRunning {
			return 0, fmt.Errorf("query %s: %s", d.QueryStatus, aws.ToString(d.ErrorMessage))
		}
	}
	rows := 0
	in := &cloudtrail.GetQueryResultsInput{QueryId: q.QueryId, MaxQueryResults: aws.Int32(1000)}
	for {
		page, err := s.ct.GetQueryResults(ctx, in)
		if err != nil {
			return rows, fmt.Errorf("GetQueryResults: %w", err)
		}
		rows += len(page.QueryResultRows)
		if page.NextToken == nil || *page.NextToken == "" {
			return rows, nil
		}
		in.NextToken = page.NextToken
	}
}

// startQuery calls StartQuery, and while the server refuses it with
// MaxConcurrentQueriesException (10 queries queued or running, CloudTrail
// Lake's quota) waits and tries again, as a client of CloudTrail Lake has
// to: 5 ms, then up to 50 ms between tries. It counts the refusals.
func (s *server) startQuery(ctx context.Context, sql string) (*cloudtrail.StartQueryOutput, error) {
	for wait := 5 * time.Millisecond; ; wait = min(2*wait, 50*time.Millisecond) {
		q, err := s.ct.StartQuery(ctx, &cloudtrail.StartQueryInput{QueryStatement: aws.String(sql)})
		var busy *cttypes.MaxConcurrentQueriesException
		if !errors.As(err, &busy) {
			if err != nil {
				return nil, fmt.Errorf("StartQuery: %w", err)
			}
			return q, nil
		}
		s.refused.Add(1)
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(wait):
		}
	}
}

// roundTrip times one cheap signed API call: the round trip the API's
// goal allows on top of the query.
func (s *server) roundTrip(ctx context.Context) (time.Duration, error) {
	start := time.Now()
	_, err := s.ct.ListEventDataStores(ctx, &cloudtrail.ListEventDataStoresInput{})
	return time.Since(start), err
}

// pgConnect opens a Postgres connection to the server as the bench key,
// with the simple query protocol: one round trip per statement, as psql.
func (s *server) pgConnect(ctx context.Context) (*pgx.Conn, error) {
	host, port, ok := strings.Cut(s.pgAddr, ":")
	if !ok {
		return nil, fmt.Errorf("postgres address %q", s.pgAddr)
	}
	cfg, err := pgx.ParseConfig(fmt.Sprintf("host=%s port=%s user=%s password=%s dbname=auditlake sslmode=disable", host, port, benchKey, benchSecret))
	if err != nil {
		return nil, err
	}
	cfg.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
	return pgx.ConnectConfig(ctx, cfg)
}

// pgQuery runs sql on conn and reads every row (as raw bytes: the client's
// decoding is not what is measured), returning the row count.
func pgQuery(ctx context.Context, conn *pgx.Conn, sql string) (int, error) {
	rows, err := conn.Query(ctx, sql)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		_ = rows.RawValues()
		n++
	}
	return n, rows.Err()
}

// createChannel creates an ActivityAuditLog store and a channel into it
// through the API, and returns the channel ARN and the store's ID.
func (s *server) createChannel(ctx context.Context, name string) (string, string, error) {
	st, err := s.ct.CreateEventDataStore(ctx, &cloudtrail.CreateEventDataStoreInput{Name: aws.String(name),
		AdvancedEventSelectors: []cttypes.AdvancedEventSelector{{FieldSelectors: []cttypes.AdvancedFieldSelector{
			{Field: aws.String("eventCategory"), Equals: []string{"ActivityAuditLog"}}}}}})
	if err != nil {
		return "", "", fmt.Errorf("CreateEventDataStore: %w", err)
	}
	ch, err := s.ct.CreateChannel(ctx, &cloudtrail.CreateChannelInput{Name: aws.String(name + "-channel"), Source: aws.String("Custom"),
		Destinations: []cttypes.Destination{{Type: cttypes.DestinationTypeEventDataStore, Location: st.EventDataStoreArn}}})
	if err != nil {
		return "", "", fmt.Errorf("CreateChannel: %w", err)
	}
	return aws.ToString(ch.ChannelArn), storeIDOf(aws.ToString(st.EventDataStoreArn)), nil
}

// storeIDOf returns the store ID at the end of an event data store ARN.
func storeIDOf(arn string) string { return arn[strings.LastIndexByte(arn, '/')+1:] }
