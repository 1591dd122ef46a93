package saved

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path"

	"github.com/auditlake/auditlake/lake"
)

// outputKeys names a run's CSV and sign file: <Destination>/<fire
// time>.csv and <Destination>/<fire time>_sign.json (manual runs:
// manual-<fire time with milliseconds>).
func outputKeys(r Report, run Run) (csvKey, signKey string) {
	stamp := run.FireTime.UTC().Format("2006-01-02T15-04-05Z")
	if run.Manual {
		stamp = "manual-" + run.FireTime.UTC().Format("2006-01-02T15-04-05.000Z")
	}
	return r.Destination + "/" + stamp + ".csv", r.Destination + "/" + stamp + "_sign.json"
}

// execute runs a claimed run's statement with the authority of the
// report's writers (and by) and writes its CSV and sign file. Nothing is
// written unless the query ran to the end and its CSV was signed.
func (s *Scheduler) execute(ctx context.Context, r Report, q Query, run Run, by *Principal) (queryID string, rows int64, csvKey, signKey string, err error) {
	ps, err := writers(r, q, by)
	if err != nil {
		return "", 0, "", "", err
	}
	checked := false
	in := RunInput{
		Statement: Fill(q.Statement, run.WindowStart, run.WindowEnd),
		Authorize: func(ctx context.Context, stores []lake.StoreInfo) error {
			checked = true
			return authorizeRun(ctx, s.st.authz, r, ps, stores)
		},
	}
	var buf bytes.Buffer
	queryID, rows, err = s.opts.Runner.Run(ctx, in, &buf)
	if err == nil && !checked {
		err = fmt.Errorf("%w: the runner did not check the report's access to the stores it reads", ErrAccessDenied)
	}
	if err != nil {
		return queryID, 0, "", "", err
	}
	csvKey, signKey = outputKeys(r, run)
	var sign []byte
	if s.opts.Signer != nil {
		sf, err := s.opts.Signer.SignFiles(s.now(), map[string][]byte{path.Base(csvKey): buf.Bytes()})
		if err == nil {
			sign, err = json.MarshalIndent(sf, "", "  ")
		}
		if err != nil {
			return queryID, 0, "", "", fmt.Errorf("sign %s: %w", csvKey, err)
		}
	}
	wctx := context.WithoutCancel(ctx)
	b := s.l.Bucket()
	if err := b.WriteAll(wctx, csvKey, buf.Bytes(), true); err != nil {
		return queryID, 0, "", "", err
	}
	if sign == nil {
		return queryID, rows, csvKey, "", nil
	}
	if err := b.WriteAll(wctx, signKey, sign, true); err != nil {
		// The CSV was created by this run: take it back so that a run
		// leaves a signed CSV or nothing.
		return queryID, 0, "", "", errors.Join(err, b.Delete(wctx, csvKey))
	}
	return queryID, rows, csvKey, signKey, nil
}
