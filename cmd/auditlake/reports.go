package main

import (
	"context"
	"log/slog"

	"github.com/auditlake/auditlake/lake"
	"github.com/auditlake/auditlake/query"
	"github.com/auditlake/auditlake/query/jobs"
	"github.com/auditlake/auditlake/query/saved"
)

// startReports opens the saved-query store and starts the report
// scheduler; the caller closes the scheduler.
func startReports(l *lake.Lake, eng *query.Engine, mgr *jobs.Manager, log *slog.Logger) (*saved.Store, *saved.Scheduler, error) {
	st := saved.NewStore(l, analyzer(eng), nil)
	sch, err := saved.NewScheduler(st, saved.Options{Runner: saved.JobRunner{Queries: mgr}, Logger: log})
	if err != nil {
		return nil, nil, err
	}
	sch.Start()
	return st, sch, nil
}

// analyzer checks a saved statement with the engine and returns the IDs
// of the stores it reads.
func analyzer(eng *query.Engine) saved.Analyzer {
	return func(ctx context.Context, statement string) ([]string, error) {
		reads, err := eng.Analyze(ctx, statement)
		if err != nil {
			return nil, err
		}
		ids := make([]string, len(reads))
		for i, r := range reads {
			ids[i] = r.Store.ID
		}
		return ids, nil
	}
}
