package saved

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"path"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/auditlake/auditlake/query"
	"github.com/auditlake/auditlake/query/jobs"
)

// TestReportSignFileVerifies runs a report through a real query manager,
// which signs its CSV with the lake's result signing key: the sign file
// verifies against the key ListPublicKeys returns, and a changed CSV does
// not.
func TestReportSignFileVerifies(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, time.Now())
	eng, err := query.NewEngine(e.l, query.Options{TempDir: filepath.Join(e.l.Dir(), "tmp"), Threads: 1})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, eng.Close()) })
	mgr, err := jobs.New(e.l, eng, jobs.Options{FlushInterval: 20 * time.Millisecond, Workers: 1})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, mgr.Close(context.Background())) })

	q, err := e.st.CreateQuery(ctx, admin, Query{Name: "answer", Statement: "SELECT 42 AS answer, 'a,b' AS text"})
	require.NoError(t, err)
	r, err := e.st.CreateReport(ctx, admin, Report{Name: "signed", SavedQueryID: q.ID, Schedule: "@daily"})
	require.NoError(t, err)
	s, err := NewScheduler(e.st, Options{Runner: JobRunner{Queries: mgr, Poll: 10 * time.Millisecond}, Signer: mgr, Now: e.clk.Now})
	require.NoError(t, err)
	run, err := s.RunNow(ctx, r.ID, *admin)
	require.NoError(t, err)
	require.Equal(t, RunSuccess, run.Status, run.Error)
	require.EqualValues(t, 1, run.Rows)

	data, err := e.l.Bucket().ReadAll(ctx, run.Location)
	require.NoError(t, err)
	require.Equal(t, "answer,text\n42,\"a,b\"\n", string(data))
	require.Equal(t, run.Location[:len(run.Location)-len(".csv")]+"_sign.json", run.SignLocation)
	raw, err := e.l.Bucket().ReadAll(ctx, run.SignLocation)
	require.NoError(t, err)
	var sign jobs.SignFile
	require.NoError(t, json.Unmarshal(raw, &sign))
	require.Equal(t, "SHA256withRSA", sign.SignatureAlgorithm)
	require.Len(t, sign.Files, 1)
	require.Equal(t, path.Base(run.Location), sign.Files[0].FileName)

	keys, err := mgr.PublicKeys(ctx)
	require.NoError(t, err)
	pub, err := x509.ParsePKCS1PublicKey(keys[0].Value)
	require.NoError(t, err)
	name := path.Base(run.Location)
	require.NoError(t, jobs.VerifySignFile(sign, map[string][]byte{name: data}, pub))
	changed := []byte("answer,text\n43,\"a,b\"\n")
	require.ErrorContains(t, jobs.VerifySignFile(sign, map[string][]byte{name: changed}, pub), "does not match its hash")
}

type failingSigner struct{}

func (failingSigner) SignFiles(time.Time, map[string][]byte) (jobs.SignFile, error) {
	return jobs.SignFile{}, errors.New("no key")
}

func TestUnsignedRunWritesNothing(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, utc("2026-11-20T10:30:00Z"))
	r := e.report(t, Report{Name: "hourly", Schedule: "@hourly"})
	s := e.scheduler(t, Options{Signer: failingSigner{}})
	run, err := s.RunNow(ctx, r.ID, *admin)
	require.NoError(t, err)
	require.Equal(t, RunFailed, run.Status)
	require.Contains(t, run.Error, "no key")
	objs, err := e.l.Bucket().List(ctx, r.Destination+"/")
	require.NoError(t, err)
	require.Empty(t, objs, "a CSV that cannot be signed is not written")
}
