package saved

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"time"

	"github.com/auditlake/auditlake/query/jobs"
)

// JobQueries is what JobRunner needs of jobs.Manager.
type JobQueries interface {
	Start(ctx context.Context, in jobs.StartInput) (jobs.Query, error)
	Describe(ctx context.Context, id string) (jobs.Query, error)
	Results(ctx context.Context, id, nextToken string, max int) (jobs.ResultPage, error)
	Cancel(ctx context.Context, id string) (jobs.Query, error)
}

var _ JobQueries = (*jobs.Manager)(nil)

// JobRunner runs report statements as ordinary query jobs, so that they
// show in the query history and obey the same limits as StartQuery.
type JobRunner struct {
	Queries JobQueries
	Poll    time.Duration // 0: 250 ms
}

var _ Runner = JobRunner{}

// Run starts the statement, waits for it to end and writes its rows as
// CSV. in.Authorize is the StartInput's: the manager calls it with the
// stores the statement reads before it accepts the query. When ctx ends
// first the query is cancelled.
func (j JobRunner) Run(ctx context.Context, in RunInput, w io.Writer) (string, int64, error) {
	q, err := j.Queries.Start(ctx, jobs.StartInput{Statement: in.Statement, Authorize: in.Authorize})
	if err != nil {
		return "", 0, err
	}
	poll := j.Poll
	if poll <= 0 {
		poll = 250 * time.Millisecond
	}
	for q.Status.Active() {
		select {
		case <-ctx.Done():
			_, _ = j.Queries.Cancel(context.WithoutCancel(ctx), q.ID)
			return q.ID, 0, ctx.Err()
		case <-time.After(poll):
		}
		if q, err = j.Queries.Describe(ctx, q.ID); err != nil {
			return q.ID, 0, err
		}
	}
	if q.Status != jobs.StatusFinished {
		return q.ID, 0, fmt.Errorf("query %s ended %s: %s", q.ID, q.Status, q.ErrorMessage)
	}
	cw := csv.NewWriter(w)
	var rows int64
	tok := ""
	for first := true; first || tok != ""; first = false {
		page, err := j.Queries.Results(ctx, q.ID, tok, jobs.MaxResultsPerPage)
		if err != nil {
			return q.ID, rows, err
		}
		if first {
			if err := cw.Write(page.Columns); err != nil {
				return q.ID, rows, err
			}
		}
		for _, row := range page.Rows {
			rec := make([]string, len(row))
			for i, f := range row {
				rec[i] = f.Value
			}
			if err := cw.Write(rec); err != nil {
				return q.ID, rows, err
			}
			rows++
		}
		tok = page.NextToken
	}
	cw.Flush()
	return q.ID, rows, cw.Error()
}
