package api_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/stretchr/testify/require"

	"github.com/auditlake/auditlake/ingest"
)

// TestGetEventDataStoreStats: GetEventDataStore's answer carries the
// store's storage figures as a Stats member, which the model lacks and the
// SDK skips while it still reads the rest.
func TestGetEventDataStoreStats(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	// S3 data events only: the server's own audit events of these calls
	// (management events) stay out of the figures.
	created, err := e.root().CreateEventDataStore(ctx, &cloudtrail.CreateEventDataStoreInput{Name: aws.String("with-stats"),
		AdvancedEventSelectors: []types.AdvancedEventSelector{{Name: aws.String("s3"), FieldSelectors: []types.AdvancedFieldSelector{
			{Field: aws.String("eventCategory"), Equals: []string{"Data"}}, {Field: aws.String("resources.type"), Equals: []string{"AWS::S3::Object"}}}}}})
	require.NoError(t, err)
	arn := aws.ToString(created.EventDataStoreArn)

	get := func() map[string]any {
		body := []byte(fmt.Sprintf(`{"EventDataStore":%q}`, arn))
		req, err := http.NewRequest(http.MethodPost, e.url+"/", bytes.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		req.Header.Set("X-Amz-Target", "CloudTrail_20131101.GetEventDataStore")
		sum := sha256.Sum256(body)
		require.NoError(t, v4.NewSigner().SignHTTP(ctx, aws.Credentials{AccessKeyID: rootKey, SecretAccessKey: rootSecret},
			req, hex.EncodeToString(sum[:]), "cloudtrail", region, time.Now()))
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		data, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, resp.StatusCode, string(data))
		var out map[string]any
		require.NoError(t, json.Unmarshal(data, &out))
		return out
	}
	empty := get()
	require.Equal(t, map[string]any{"Events": 0.0, "Segments": 0.0, "Bytes": 0.0}, empty["Stats"])

	// Two days of events, written as two inputs.
	first := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	for i, at := range []time.Time{first.AddDate(0, 0, 1), first} {
		rec := map[string]any{"eventVersion": "1.09", "eventID": fmt.Sprintf("ev-%d", i), "eventName": "GetObject",
			"eventTime": at.Format(time.RFC3339), "eventSource": "s3.amazonaws.com", "eventCategory": "Data", "managementEvent": false,
			"resources": []any{map[string]any{"type": "AWS::S3::Object", "ARN": "arn:aws:s3:::b/k"}}}
		data, err := json.Marshal(map[string]any{"Records": []any{rec, rec}})
		require.NoError(t, err)
		file := filepath.Join(t.TempDir(), "trail.json")
		require.NoError(t, os.WriteFile(file, data, 0o644))
		_, err = ingest.Paths(ctx, e.l, arn, []string{file}, ingest.Options{}, nil)
		require.NoError(t, err)
	}
	st := get()["Stats"].(map[string]any)
	require.EqualValues(t, 4, st["Events"])
	require.EqualValues(t, 2, st["Segments"])
	require.Greater(t, st["Bytes"].(float64), 0.0)
	require.EqualValues(t, first.Unix(), st["FirstEventTime"], "the oldest event, though its segment came last")
	require.EqualValues(t, first.AddDate(0, 0, 1).Unix(), st["LastEventTime"])

	got, err := e.root().GetEventDataStore(ctx, &cloudtrail.GetEventDataStoreInput{EventDataStore: aws.String(arn)})
	require.NoError(t, err)
	require.Equal(t, "with-stats", aws.ToString(got.Name))
}
