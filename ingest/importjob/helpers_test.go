package importjob_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/stretchr/testify/require"
	"gocloud.dev/blob"
	_ "gocloud.dev/blob/s3blob"

	"github.com/auditlake/auditlake/lake"
)

// trail is a generated trail bucket: files by key, and what a full import
// of it must store.
type trail struct {
	files  map[string][]byte
	events map[string]trailEvent // by eventID, good events only
}

type trailEvent struct {
	time time.Time
	data bool // an S3 data event; else a management event
}

var trailDay = time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)

// newTrail builds two accounts in two regions and an organization trail
// account, over three days, two files a day each of ten events (every
// fourth a data event); a digest folder and an Insights folder; and one of
// each kind of broken file on the second day.
func newTrail(t *testing.T) *trail {
	t.Helper()
	tr := &trail{files: map[string][]byte{}, events: map[string]trailEvent{}}
	roots := []string{"AWSLogs/111111111111", "AWSLogs/222222222222", "AWSLogs/o-exampleorg/333333333333"}
	for ri, root := range roots {
		acct := root[strings.LastIndexByte(root, '/')+1:]
		for _, region := range []string{"us-east-1", "eu-west-1"} {
			for d := range 3 {
				day := trailDay.AddDate(0, 0, d)
				for f := range 2 {
					hour := 2 + f*10 // files at 02:xx and 12:xx
					var recs []string
					for i := range 10 {
						id := fmt.Sprintf("r%d-%s-d%d-f%d-e%d", ri, region, d, f, i)
						ts := day.Add(time.Duration(hour)*time.Hour + time.Duration(i)*time.Minute)
						data := i%4 == 3
						tr.events[id] = trailEvent{time: ts, data: data}
						recs = append(recs, record(id, ts, data))
					}
					delivered := day.Add(time.Duration(hour)*time.Hour + 15*time.Minute)
					key := fmt.Sprintf("%s/CloudTrail/%s/%s/%s_CloudTrail_%s_%s_f%d.json.gz", root, region, day.Format("2006/01/02"),
						acct, region, delivered.Format("20060102T1504Z"), f)
					tr.files[key] = gz(`{"Records":[` + strings.Join(recs, ",") + `]}`)
				}
			}
		}
	}
	tr.files["AWSLogs/111111111111/CloudTrail-Digest/us-east-1/2025/03/01/111111111111_CloudTrail-Digest_us-east-1_x_20250301T0300Z.json.gz"] = gz(`{"awsAccountId":"111111111111"}`)
	tr.files["AWSLogs/111111111111/CloudTrail-Insight/us-east-1/2025/03/01/111111111111_CloudTrail-Insight_us-east-1_20250301T0300Z_i.json.gz"] = gz(`{"Records":[]}`)
	broken := "AWSLogs/111111111111/CloudTrail/us-east-1/2025/03/02/"
	full := gz(`{"Records":[` + record("never", trailDay, false) + `]}`)
	tr.files[broken+"truncated.json.gz"] = full[:len(full)/2]
	tr.files[broken+"notgzip.json.gz"] = []byte("this is not a log file\n")
	tr.files[broken+"invalid.json.gz"] = gz(`{"Records":[{"eventTime":"2025-03-02T01:00:00Z", "eventID": }]}`)
	tr.files[broken+"norecords.json.gz"] = gz(`{"Items":[1,2,3]}`)
	tr.files[broken+"empty.json.gz"] = nil
	badTime := trailDay.AddDate(0, 0, 1).Add(5 * time.Hour)
	tr.files[broken+"badtime.json.gz"] = gz(`{"Records":[` + record("bt-good-1", badTime, false) + `,` +
		strings.Replace(record("bt-bad", badTime, false), badTime.Format(time.RFC3339), "2025-13-45T99:00:00Z", 1) + `,` +
		record("bt-good-2", badTime, false) + `]}`)
	tr.events["bt-good-1"] = trailEvent{time: badTime}
	tr.events["bt-good-2"] = trailEvent{time: badTime}
	return tr
}

// brokenKinds are the failure types the trail's broken files must produce.
var brokenKinds = []string{"CorruptGzip", "NotJSON", "InvalidJSON", "MissingRecords", "EmptyFile", "InvalidEventTime"}

func record(id string, ts time.Time, data bool) string {
	if data {
		return fmt.Sprintf(`{"eventVersion":"1.09","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111111111111:user/u"},"eventTime":%q,"eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"us-east-1","sourceIPAddress":"192.0.2.1","requestParameters":{"bucketName":"b","key":"k"},"eventID":%q,"readOnly":true,"resources":[{"type":"AWS::S3::Object","ARN":"arn:aws:s3:::b/k"}],"eventType":"AwsApiCall","managementEvent":false,"recipientAccountId":"111111111111","eventCategory":"Data"}`, ts.Format(time.RFC3339), id)
	}
	return fmt.Sprintf(`{"eventVersion":"1.09","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111111111111:user/u"},"eventTime":%q,"eventSource":"iam.amazonaws.com","eventName":"GetUser","awsRegion":"us-east-1","sourceIPAddress":"192.0.2.1","requestParameters":{"userName":"u"},"eventID":%q,"readOnly":true,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111111111111","eventCategory":"Management"}`, ts.Format(time.RFC3339), id)
}

func gz(s string) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	_, _ = w.Write([]byte(s))
	_ = w.Close()
	return b.Bytes()
}

// want returns the IDs of the trail's events in [start, end] (zero: open)
// that a store with or without data events takes.
func (tr *trail) want(data bool, start, end time.Time) map[string]int {
	out := map[string]int{}
	for id, ev := range tr.events {
		if ev.data != data || (!start.IsZero() && ev.time.Before(start)) || (!end.IsZero() && ev.time.After(end)) {
			continue
		}
		out[id] = 1
	}
	return out
}

// writeDir writes the trail into a folder and returns its file:// URL.
func (tr *trail) writeDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for k, v := range tr.files {
		p := filepath.Join(dir, filepath.FromSlash(k))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, v, 0o644))
	}
	return "file://" + filepath.ToSlash(dir)
}

// upload puts the trail under prefix in the S3 server's bucket and returns
// the import source URL.
func (tr *trail) upload(t *testing.T, s3 *s3Server, prefix string) string {
	t.Helper()
	ctx := context.Background()
	b, err := blob.OpenBucket(ctx, s3.bucketURL())
	require.NoError(t, err)
	defer b.Close()
	for k, v := range tr.files {
		require.NoError(t, b.WriteAll(ctx, prefix+k, v, nil))
	}
	return s3.sourceURL(prefix)
}

// s3Server is a versitygw process serving a posix folder on loopback.
type s3Server struct {
	endpoint string
	bucket   string
}

func (s *s3Server) query() string {
	return "endpoint=" + s.endpoint + "&use_path_style=true&region=us-east-1"
}
func (s *s3Server) bucketURL() string { return "s3://" + s.bucket + "?" + s.query() }
func (s *s3Server) sourceURL(prefix string) string {
	return "s3://" + s.bucket + "/" + prefix + "?" + s.query()
}

// startS3 starts versitygw on a free port. Without versitygw the test is
// skipped, except under CI=true, where it fails.
func startS3(t *testing.T) *s3Server {
	t.Helper()
	bin, err := exec.LookPath("versitygw")
	if err != nil {
		gopath := os.Getenv("GOPATH")
		if gopath == "" {
			home, _ := os.UserHomeDir()
			gopath = filepath.Join(home, "go")
		}
		bin = filepath.Join(gopath, "bin", "versitygw")
		if _, err := os.Stat(bin); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatal("versitygw is not installed: go install github.com/versity/versitygw/cmd/versitygw@v1.8.0")
			}
			t.Skip("versitygw is not installed (go install github.com/versity/versitygw/cmd/versitygw@v1.8.0)")
		}
	}
	root := t.TempDir()
	require.NoError(t, os.Mkdir(filepath.Join(root, "trails"), 0o755))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	cmd := exec.Command(bin, "--access", "testkey", "--secret", "testsecret", "--port", addr, "--quiet", "posix", root)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			break
		}
		require.True(t, time.Now().Before(deadline), "versitygw did not start")
		time.Sleep(50 * time.Millisecond)
	}
	t.Setenv("AWS_ACCESS_KEY_ID", "testkey")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "testsecret")
	return &s3Server{endpoint: "http://" + addr, bucket: "trails"}
}

// storedIDs counts each event ID in the store's segments.
func storedIDs(t *testing.T, l *lake.Lake, storeRef string) map[string]int {
	t.Helper()
	ctx := context.Background()
	s, err := l.GetStore(ctx, storeRef)
	require.NoError(t, err)
	paths, release, err := l.Segments(ctx, s.ID, time.Time{}, time.Time{})
	require.NoError(t, err)
	defer release()
	got := map[string]int{}
	for _, p := range paths {
		rows, err := parquet.ReadFile[lake.Event](p)
		require.NoError(t, err)
		for _, ev := range rows {
			got[*ev.EventID]++
		}
	}
	return got
}

// historyIDs counts the events the event history shows, by event ID: those
// of the history store and the management events of the segments other
// stores share with it.
func historyIDs(t *testing.T, l *lake.Lake) map[string]int {
	t.Helper()
	paths, release, err := l.HistorySegments(context.Background(), time.Time{}, time.Time{})
	require.NoError(t, err)
	defer release()
	got := map[string]int{}
	for _, p := range paths {
		rows, err := parquet.ReadFile[lake.Event](p)
		require.NoError(t, err)
		for _, ev := range rows {
			if lake.InHistory(&ev) {
				got[*ev.EventID]++
			}
		}
	}
	return got
}

// newLake opens a lake with a management-events store "mgmt" and an S3
// data-events store "data".
func newLake(t *testing.T, dir string) *lake.Lake {
	t.Helper()
	ctx := context.Background()
	l, err := lake.Open(ctx, dir, lake.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = l.Close() })
	_, err = l.CreateStore(ctx, lake.CreateStoreInput{Name: "mgmt"})
	require.NoError(t, err)
	_, err = l.CreateStore(ctx, lake.CreateStoreInput{Name: "data", AdvancedEventSelectors: []lake.AdvancedEventSelector{{
		Name: "S3 objects",
		FieldSelectors: []lake.AdvancedFieldSelector{
			{Field: "eventCategory", Equals: []string{"Data"}},
			{Field: "resources.type", Equals: []string{"AWS::S3::Object"}},
		},
	}}})
	require.NoError(t, err)
	return l
}
