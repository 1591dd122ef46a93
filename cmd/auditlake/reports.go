package main

import (
	"log/slog"

	"github.com/auditlake/auditlake/api"
	"github.com/auditlake/auditlake/api/iam"
	"github.com/auditlake/auditlake/lake"
	"github.com/auditlake/auditlake/query"
	"github.com/auditlake/auditlake/query/jobs"
	"github.com/auditlake/auditlake/query/saved"
)

// startReports opens the saved-query store and starts the report
// scheduler; the caller closes the scheduler. Writes and runs are checked
// against the key store's policies (api.ReadAuthorizer), and each run's
// CSV is signed with the query manager's result signing key.
func startReports(l *lake.Lake, eng *query.Engine, mgr *jobs.Manager, keys *iam.Keys, log *slog.Logger) (*saved.Store, *saved.Scheduler, error) {
	st := savedStore(l, eng, keys)
	sch, err := saved.NewScheduler(st, saved.Options{Runner: saved.JobRunner{Queries: mgr}, Signer: mgr, Logger: log})
	if err != nil {
		return nil, nil, err
	}
	sch.Start()
	return st, sch, nil
}

// savedStore is the lake's saved-query store, with the engine's analyzer
// and the key store's authorizer.
func savedStore(l *lake.Lake, eng *query.Engine, keys *iam.Keys) *saved.Store {
	return saved.NewStore(l, saved.StoreOptions{Analyze: saved.EngineAnalyzer(eng), Authorize: api.ReadAuthorizer{Keys: keys}})
}
