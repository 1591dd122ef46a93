package api_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/stretchr/testify/require"

	"github.com/auditlake/auditlake/api"
	"github.com/auditlake/auditlake/api/iam"
	"github.com/auditlake/auditlake/ingest/importjob"
	"github.com/auditlake/auditlake/lake"
)

// newImportEnv is a server with an import manager and nothing else.
func newImportEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	l, err := lake.Open(ctx, t.TempDir(), lake.Options{Region: region})
	require.NoError(t, err)
	keys, err := iam.Open(l, iam.Options{})
	require.NoError(t, err)
	admin, err := iam.ParsePolicy([]byte(iam.AdminPolicy))
	require.NoError(t, err)
	_, _, err = keys.Create(ctx, iam.RootUserName, admin, rootKey, rootSecret)
	require.NoError(t, err)
	imports := importjob.New(l, importjob.Options{Workers: 2})
	srv, err := api.New(api.Options{Lake: l, Keys: keys, Imports: imports})
	require.NoError(t, err)
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		hs.Close()
		require.NoError(t, imports.Close(ctx))
		require.NoError(t, srv.Close(ctx))
		require.NoError(t, l.Close())
	})
	return &env{url: hs.URL, l: l, keys: keys, srv: srv}
}

// writeImportTrail writes a day of a trail (two files of five events) and
// one file that is not gzip, and returns the folder.
func writeImportTrail(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	day := filepath.Join(dir, "AWSLogs", "111122223333", "CloudTrail", "us-east-1", "2025", "04", "01")
	require.NoError(t, os.MkdirAll(day, 0o755))
	for f := range 2 {
		var recs []string
		for i := range 5 {
			recs = append(recs, fmt.Sprintf(`{"eventVersion":"1.09","eventTime":"2025-04-01T0%d:0%d:00Z","eventSource":"iam.amazonaws.com","eventName":"GetUser","awsRegion":"us-east-1","eventID":"imp-%d-%d","eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management"}`, f, i, f, i))
		}
		var b bytes.Buffer
		w := gzip.NewWriter(&b)
		_, _ = w.Write([]byte(`{"Records":[` + strings.Join(recs, ",") + `]}`))
		require.NoError(t, w.Close())
		name := fmt.Sprintf("111122223333_CloudTrail_us-east-1_20250401T0%d10Z_f%d.json.gz", f, f)
		require.NoError(t, os.WriteFile(filepath.Join(day, name), b.Bytes(), 0o644))
	}
	require.NoError(t, os.WriteFile(filepath.Join(day, "broken.json.gz"), []byte("not gzip"), 0o644))
	return dir
}

// TestImportsSDK drives the import operations with the AWS SDK: start,
// watch, list, list failures, and the errors of the model.
func TestImportsSDK(t *testing.T) {
	e := newImportEnv(t)
	ctx := context.Background()
	ct := e.root()
	st, err := ct.CreateEventDataStore(ctx, &cloudtrail.CreateEventDataStoreInput{Name: aws.String("imported")})
	require.NoError(t, err)
	src := "file://" + filepath.ToSlash(writeImportTrail(t))

	started, err := ct.StartImport(ctx, &cloudtrail.StartImportInput{
		Destinations: []string{*st.EventDataStoreArn},
		ImportSource: &types.ImportSource{S3: &types.S3ImportSource{
			S3LocationUri: aws.String(src), S3BucketRegion: aws.String(region),
			S3BucketAccessRoleArn: aws.String("arn:aws:iam::111122223333:role/import"),
		}},
		StartEventTime: aws.Time(time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC)),
	})
	require.NoError(t, err)
	require.Len(t, *started.ImportId, 36)
	require.Equal(t, []string{*st.EventDataStoreArn}, started.Destinations)
	require.Equal(t, src, *started.ImportSource.S3.S3LocationUri)

	var got *cloudtrail.GetImportOutput
	require.Eventually(t, func() bool {
		got, err = ct.GetImport(ctx, &cloudtrail.GetImportInput{ImportId: started.ImportId})
		require.NoError(t, err)
		return got.ImportStatus == types.ImportStatusCompleted
	}, 20*time.Second, 20*time.Millisecond)
	stats := got.ImportStatistics
	require.EqualValues(t, 1, *stats.PrefixesFound)
	require.EqualValues(t, 1, *stats.PrefixesCompleted)
	require.EqualValues(t, 3, *stats.FilesCompleted)
	require.EqualValues(t, 10, *stats.EventsCompleted)
	require.EqualValues(t, 1, *stats.FailedEntries)

	failures, err := ct.ListImportFailures(ctx, &cloudtrail.ListImportFailuresInput{ImportId: started.ImportId})
	require.NoError(t, err)
	require.Len(t, failures.Failures, 1)
	f := failures.Failures[0]
	require.True(t, strings.HasSuffix(*f.Location, "/broken.json.gz"), *f.Location)
	require.Equal(t, types.ImportFailureStatusFailed, f.Status)
	require.Equal(t, "NotJSON", *f.ErrorType)

	list, err := ct.ListImports(ctx, &cloudtrail.ListImportsInput{Destination: st.EventDataStoreArn, ImportStatus: types.ImportStatusCompleted})
	require.NoError(t, err)
	require.Len(t, list.Imports, 1)
	require.Equal(t, *started.ImportId, *list.Imports[0].ImportId)

	_, err = ct.StopImport(ctx, &cloudtrail.StopImportInput{ImportId: started.ImportId})
	requireCode(t, err, "OperationNotPermittedException")
	_, err = ct.GetImport(ctx, &cloudtrail.GetImportInput{ImportId: aws.String("00000000-0000-0000-0000-000000000000")})
	requireCode(t, err, "ImportNotFoundException")
	_, err = ct.StartImport(ctx, &cloudtrail.StartImportInput{
		Destinations: []string{*st.EventDataStoreArn},
		ImportSource: &types.ImportSource{S3: &types.S3ImportSource{
			S3LocationUri: aws.String("ftp://nowhere/"), S3BucketRegion: aws.String(region), S3BucketAccessRoleArn: aws.String("r"),
		}},
	})
	requireCode(t, err, "InvalidImportSourceException")
}
