package jobs

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"gocloud.dev/blob"

	"github.com/auditlake/auditlake/lake"
)

// TestResultsPaging reads a 2,500-row result in pages of 1,000 and of 333,
// across result files of 700 rows, and checks that every row comes once,
// in order.
func TestResultsPaging(t *testing.T) {
	const n = 2500
	e := newEnv(t, n, Options{PartRows: 700})
	ctx := context.Background()
	q := e.start(fmt.Sprintf("SELECT eventID, eventName FROM %s ORDER BY eventTime", e.store.ID))
	q = e.wait(q.ID, 30*time.Second)
	require.Equal(t, StatusFinished, q.Status, q.ErrorMessage)
	require.EqualValues(t, n, q.Stats.TotalResultsCount)

	for _, size := range []int{1000, 333} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			var got []string
			tok, pages := "", 0
			for {
				page, err := e.m.Results(ctx, q.ID, tok, size)
				require.NoError(t, err)
				pages++
				require.LessOrEqual(t, page.ResultsCount, size)
				require.Equal(t, len(page.Rows), page.ResultsCount)
				require.EqualValues(t, n, page.TotalResultsCount)
				for _, row := range page.Rows {
					require.Len(t, row, 2)
					require.Equal(t, "eventID", row[0].Column)
					require.Equal(t, "eventName", row[1].Column)
					got = append(got, row[0].Value)
				}
				if page.NextToken == "" {
					break
				}
				tok = page.NextToken
			}
			require.Len(t, got, n)
			for i, v := range got {
				require.Equal(t, fmt.Sprintf("evt-%06d", i), v)
			}
			require.Equal(t, (n+size-1)/size, pages, "no empty trailing page")
		})
	}

	t.Run("errors", func(t *testing.T) {
		page, err := e.m.Results(ctx, q.ID, "", 1000)
		require.NoError(t, err)
		_, err = e.m.Results(ctx, q.ID, page.NextToken[:len(page.NextToken)-2]+"xx", 10)
		require.ErrorIs(t, err, ErrInvalidNextToken)
		_, err = e.m.Results(ctx, q.ID, "garbage", 10)
		require.ErrorIs(t, err, ErrInvalidNextToken)
		other := e.wait(e.start("SELECT 1 AS one FROM "+e.store.ID+" LIMIT 1").ID, 30*time.Second)
		_, err = e.m.Results(ctx, other.ID, page.NextToken, 10)
		require.ErrorIs(t, err, ErrInvalidNextToken, "a token of another query")
		for _, bad := range []int{-1, 1001} {
			_, err = e.m.Results(ctx, q.ID, "", bad)
			require.ErrorIs(t, err, ErrInvalidMaxResults)
		}
		_, err = e.m.Results(ctx, "00000000-0000-0000-0000-000000000000", "", 10)
		require.ErrorIs(t, err, ErrQueryNotFound)
		_, err = e.m.Results(ctx, "../../etc", "", 10)
		require.ErrorIs(t, err, ErrQueryNotFound)
	})
}

func TestResultsEmpty(t *testing.T) {
	e := newEnv(t, 10, Options{})
	q := e.wait(e.start("SELECT eventID AS id FROM "+e.store.ID+" WHERE eventName = 'nothing'").ID, 30*time.Second)
	require.Equal(t, StatusFinished, q.Status, q.ErrorMessage)
	page, err := e.m.Results(context.Background(), q.ID, "", 10)
	require.NoError(t, err)
	require.Equal(t, []string{"id"}, page.Columns)
	require.Empty(t, page.Rows)
	require.Empty(t, page.NextToken)
}

// TestDelivery checks the files a query with DeliveryS3Uri writes: gzip
// CSV result files with the same content as the results, and a sign file
// whose hashes and signature verify against the lake's public key.
func TestDelivery(t *testing.T) {
	e := newEnv(t, 1200, Options{PartRows: 500})
	e.makeS3Bucket("my-results")
	ctx := context.Background()
	q, err := e.m.Start(ctx, StartInput{
		Statement:   fmt.Sprintf("SELECT eventID, eventTime FROM %s ORDER BY eventTime", e.store.ID),
		DeliveryURI: "s3://my-results/team/lake",
	})
	require.NoError(t, err)
	require.Equal(t, DeliveryPending, q.DeliveryStatus)
	require.Eventually(t, func() bool {
		q, err = e.m.Describe(ctx, q.ID)
		require.NoError(t, err)
		return q.DeliveryStatus != DeliveryPending
	}, 60*time.Second, 10*time.Millisecond)
	require.Equal(t, StatusFinished, q.Status, q.ErrorMessage)
	require.Equal(t, DeliverySuccess, q.DeliveryStatus)
	require.Equal(t, "s3://my-results/team/lake", q.DeliveryURI)
	folder := fmt.Sprintf("team/lake/AWSLogs/%s/CloudTrail-Lake/Query/%s/%s/",
		e.l.AccountID(), q.CreationTime.UTC().Format("2006/01/02"), q.ID)
	require.Equal(t, "s3://my-results/"+folder, q.DeliveryLocation)

	dir := filepath.Join(e.s3root, "my-results", filepath.FromSlash(folder))
	signData, err := os.ReadFile(filepath.Join(dir, "result_sign.json"))
	require.NoError(t, err)
	var sign SignFile
	require.NoError(t, json.Unmarshal(signData, &sign))
	require.Equal(t, "1.0", sign.Version)
	require.Equal(t, e.l.Region(), sign.Region)
	require.Equal(t, "SHA-256", sign.HashAlgorithm)
	require.Equal(t, "SHA256withRSA", sign.SignatureAlgorithm)
	require.Equal(t, q.EndTime.UTC().Format(time.RFC3339), sign.QueryCompleteTime)
	require.Len(t, sign.Files, 3)

	files := map[string][]byte{}
	var csvText strings.Builder
	for i, f := range sign.Files {
		require.Equal(t, fmt.Sprintf("result_%d.csv.gz", i+1), f.FileName)
		data, err := os.ReadFile(filepath.Join(dir, f.FileName))
		require.NoError(t, err)
		sum := sha256.Sum256(data)
		require.Equal(t, hex.EncodeToString(sum[:]), f.FileHashValue)
		files[f.FileName] = data
		zr, err := gzip.NewReader(bytes.NewReader(data))
		require.NoError(t, err)
		plain, err := io.ReadAll(zr)
		require.NoError(t, err)
		lines := strings.Split(strings.TrimSuffix(string(plain), "\n"), "\n")
		require.Equal(t, "eventID,eventTime", lines[0], "each file starts with the header")
		for _, l := range lines[1:] {
			csvText.WriteString(l + "\n")
		}
	}
	rows := strings.Split(strings.TrimSuffix(csvText.String(), "\n"), "\n")
	require.Len(t, rows, 1200)
	require.Equal(t, "evt-000000,2025-03-01 00:00:00.000", rows[0])
	require.Equal(t, "evt-001199,2025-03-01 19:59:00.000", rows[1199])

	keys, err := e.m.PublicKeys(ctx)
	require.NoError(t, err)
	require.Len(t, keys, 1)
	require.Equal(t, keys[0].Fingerprint, sign.PublicKeyFingerprint)
	require.Len(t, keys[0].Fingerprint, 32)
	pub, err := x509.ParsePKCS1PublicKey(keys[0].Value)
	require.NoError(t, err)
	require.NoError(t, VerifySignFile(sign, files, pub))

	files["result_2.csv.gz"] = append([]byte{}, files["result_1.csv.gz"]...)
	require.ErrorContains(t, VerifySignFile(sign, files, pub), "does not match its hash")
	delete(files, "result_2.csv.gz")
	bad := sign
	bad.Files = []SignedFile{sign.Files[0], sign.Files[2]}
	require.Error(t, VerifySignFile(bad, files, pub), "a dropped file breaks the signature")
}

// TestDeliveryFailure: a bucket that is gone when the query ends leaves
// FINISHED results with delivery RESOURCE_NOT_FOUND; a cancelled query's
// delivery is CANCELLED.
func TestDeliveryFailure(t *testing.T) {
	e := newEnv(t, 3000, Options{})
	e.makeS3Bucket("flaky")
	calls := 0
	var mu sync.Mutex
	e.m.opts.OpenBucket = func(ctx context.Context, name string) (*blob.Bucket, error) {
		mu.Lock()
		defer mu.Unlock()
		if calls++; calls > 1 {
			return nil, errors.New("no such bucket")
		}
		return e.openS3(ctx, name)
	}
	ctx := context.Background()
	q, err := e.m.Start(ctx, StartInput{Statement: "SELECT 1 AS x FROM " + e.store.ID + " LIMIT 1", DeliveryURI: "s3://flaky"})
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		q, err = e.m.Describe(ctx, q.ID)
		require.NoError(t, err)
		return q.DeliveryStatus != DeliveryPending
	}, 30*time.Second, 10*time.Millisecond)
	require.Equal(t, StatusFinished, q.Status)
	require.Equal(t, DeliveryResourceNotFound, q.DeliveryStatus)
	require.Empty(t, q.DeliveryLocation)

	e.m.opts.OpenBucket = e.openS3
	q, err = e.m.Start(ctx, StartInput{Statement: e.longSQL(), DeliveryURI: "s3://flaky"})
	require.NoError(t, err)
	q, err = e.m.Cancel(ctx, q.ID)
	require.NoError(t, err)
	require.Equal(t, DeliveryCancelled, q.DeliveryStatus)
}

// TestResultsWhileRunning feeds a running query's CSV slowly: rows become
// readable part by part (FlushInterval), pages carry a NextToken while the
// query is active, and the same token resumes after it ends.
func TestResultsWhileRunning(t *testing.T) {
	e := newEnv(t, 0, Options{PartRows: 1000, FlushInterval: time.Nanosecond})
	ctx := context.Background()
	r := &record{ID: uuid.NewString(), Status: StatusRunning, Created: time.Now().UTC(), Started: time.Now().UTC(),
		Statement: "SELECT 1", Stores: []string{e.store.ID}}
	require.NoError(t, e.l.ControlUpdate(func(c lake.Control) error { return putRecord(c, r, true) }))
	pr, pw := io.Pipe()
	type written struct {
		last *partWriter
		err  error
	}
	done := make(chan written, 1)
	go func() {
		last, err := e.m.writeParts(ctx, r.ID, pr)
		done <- written{last, err}
	}()
	_, err := io.WriteString(pw, "id,\"note\"\n1,\"multi\nline\"\n")
	require.NoError(t, err)

	var page ResultPage
	require.Eventually(t, func() bool {
		page, err = e.m.Results(ctx, r.ID, "", 10)
		require.NoError(t, err)
		return page.ResultsCount == 1
	}, 10*time.Second, 5*time.Millisecond)
	require.Equal(t, StatusRunning, page.Status)
	require.Equal(t, []Field{{"id", "1"}, {"note", "multi\nline"}}, page.Rows[0])
	require.NotEmpty(t, page.NextToken, "more may come while running")
	tok := page.NextToken
	page, err = e.m.Results(ctx, r.ID, tok, 10)
	require.NoError(t, err)
	require.Empty(t, page.Rows)
	require.Equal(t, tok, page.NextToken, "nothing new yet: the same position")

	_, err = io.WriteString(pw, "2,b\n3,c\n")
	require.NoError(t, err)
	require.NoError(t, pw.Close())
	w := <-done
	require.NoError(t, w.err)
	_, err = e.m.end(r.ID, StatusFinished, "", w.last) // as run records the end
	require.NoError(t, err)
	page, err = e.m.Results(ctx, r.ID, tok, 10)
	require.NoError(t, err)
	require.Equal(t, 2, page.ResultsCount)
	require.Equal(t, "3", page.Rows[1][0].Value)
	require.Empty(t, page.NextToken)
	require.EqualValues(t, 3, page.TotalResultsCount)
}
