package saved

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/auditlake/auditlake/lake"
	"github.com/auditlake/auditlake/query"
)

// Analyzer returns the event data stores a statement reads, or the
// statement's error (query.ErrInvalidStatement). The server passes the
// query engine's Analyze.
type Analyzer func(ctx context.Context, statement string) ([]lake.StoreInfo, error)

// EngineAnalyzer is the Analyzer of a query engine: the stores
// eng.Analyze finds in the statement.
func EngineAnalyzer(eng *query.Engine) Analyzer {
	return func(ctx context.Context, statement string) ([]lake.StoreInfo, error) {
		reads, err := eng.Analyze(ctx, statement)
		if err != nil {
			return nil, err
		}
		stores := make([]lake.StoreInfo, len(reads))
		for i, r := range reads {
			stores[i] = r.Store
		}
		return stores, nil
	}
}

// StoreOptions configures NewStore.
type StoreOptions struct {
	// Analyze checks statements and finds the stores they read; nil skips
	// the check and leaves Query.Stores empty.
	Analyze Analyzer
	// Authorize checks that whoever writes a saved query or report may
	// read every store its statement reads; the Scheduler requires it to
	// check each run. nil: writes are not checked (tests and tools).
	Authorize Authorizer
	Now       func() time.Time // nil: time.Now
}

// Store keeps saved queries and reports in a lake's control-plane store.
// It is safe for concurrent use.
type Store struct {
	l       *lake.Lake
	analyze Analyzer
	authz   Authorizer
	now     func() time.Time
}

// NewStore returns the saved-query store of l.
func NewStore(l *lake.Lake, opts StoreOptions) *Store {
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	return &Store{l: l, analyze: opts.Analyze, authz: opts.Authorize, now: func() time.Time { return now().UTC().Truncate(time.Millisecond) }}
}

func invalid(format string, a ...any) error {
	return fmt.Errorf("%w: %s", lake.ErrInvalidParameter, fmt.Sprintf(format, a...))
}

func notFound(kind, id string) error { return fmt.Errorf("%w: %s %s", ErrNotFound, kind, id) }

// checkQuery validates q's fields, checks that by may read the stores the
// statement reads and fills Stores.
func (s *Store) checkQuery(ctx context.Context, by *Principal, q *Query) error {
	q.Name, q.Statement = strings.TrimSpace(q.Name), strings.TrimSpace(q.Statement)
	switch n := len([]rune(q.Name)); {
	case n == 0 || n > MaxNameLength:
		return invalid("Name must have 1 to %d characters", MaxNameLength)
	case len([]rune(q.Description)) > MaxDescriptionLength:
		return invalid("Description must have at most %d characters", MaxDescriptionLength)
	case q.Statement == "" || len([]rune(q.Statement)) > MaxStatementLength:
		return invalid("QueryStatement must have 1 to %d characters", MaxStatementLength)
	}
	stores, err := s.checkStatement(ctx, by, q.Statement)
	if err != nil {
		return err
	}
	q.Stores = stores
	return nil
}

// CreateQuery saves a new query, written by by, and returns it with its
// ID. by must be set when the Store has an Authorizer.
func (s *Store) CreateQuery(ctx context.Context, by *Principal, q Query) (Query, error) {
	if err := s.checkQuery(ctx, by, &q); err != nil {
		return Query{}, err
	}
	q.ID = uuid.NewString()
	q.Created = s.now()
	q.Updated = q.Created
	q.CreatedBy, q.UpdatedBy = by, by
	err := s.l.ControlUpdate(func(c lake.Control) error {
		if taken, err := nameTaken(c, q.Name, ""); err != nil || taken {
			return errors.Join(err, takenErr(taken, q.Name))
		}
		return c.Put(nsQueries, q.ID, q)
	})
	if err != nil {
		return Query{}, err
	}
	return q, nil
}

func takenErr(taken bool, name string) error {
	if !taken {
		return nil
	}
	return invalid("a saved query named %q exists already", name)
}

func nameTaken(c lake.Control, name, except string) (bool, error) {
	taken := false
	err := c.Scan(nsQueries, "", func(key string, data []byte) (bool, error) {
		var q Query
		if err := json.Unmarshal(data, &q); err != nil {
			return false, fmt.Errorf("%w: saved query %s: %v", lake.ErrCorrupt, key, err)
		}
		taken = key != except && strings.EqualFold(q.Name, name)
		return !taken, nil
	})
	return taken, err
}

// UpdateQuery replaces the name, description and statement of a saved
// query; by becomes its UpdatedBy.
func (s *Store) UpdateQuery(ctx context.Context, by *Principal, q Query) (Query, error) {
	if err := s.checkQuery(ctx, by, &q); err != nil {
		return Query{}, err
	}
	var out Query
	err := s.l.ControlUpdate(func(c lake.Control) error {
		if err := c.Get(nsQueries, q.ID, &out); err != nil {
			return missing(err, "saved query", q.ID)
		}
		if taken, err := nameTaken(c, q.Name, q.ID); err != nil || taken {
			return errors.Join(err, takenErr(taken, q.Name))
		}
		out.Name, out.Description, out.Statement, out.Stores = q.Name, q.Description, q.Statement, q.Stores
		out.Updated, out.UpdatedBy = s.now(), by
		return c.Put(nsQueries, out.ID, out)
	})
	return out, err
}

func missing(err error, kind, id string) error {
	if errors.Is(err, lake.ErrNoRecord) {
		return notFound(kind, id)
	}
	return err
}

// GetQuery returns a saved query.
func (s *Store) GetQuery(_ context.Context, id string) (Query, error) {
	var q Query
	err := s.l.ControlView(func(c lake.Control) error { return c.Get(nsQueries, id, &q) })
	return q, missing(err, "saved query", id)
}

// ListQueries returns every saved query, by name.
func (s *Store) ListQueries(_ context.Context) ([]Query, error) {
	var out []Query
	err := s.l.ControlView(func(c lake.Control) error {
		return c.Scan(nsQueries, "", func(key string, data []byte) (bool, error) {
			var q Query
			if err := json.Unmarshal(data, &q); err != nil {
				return false, fmt.Errorf("%w: saved query %s: %v", lake.ErrCorrupt, key, err)
			}
			out = append(out, q)
			return true, nil
		})
	})
	slices.SortFunc(out, func(a, b Query) int { return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)) })
	return out, err
}

// DeleteQuery removes a saved query. A query that a report runs cannot be
// deleted until the report is.
func (s *Store) DeleteQuery(_ context.Context, id string) error {
	return s.l.ControlUpdate(func(c lake.Control) error {
		var q Query
		if err := c.Get(nsQueries, id, &q); err != nil {
			return missing(err, "saved query", id)
		}
		reports, err := scanReports(c)
		if err != nil {
			return err
		}
		for _, r := range reports {
			if r.SavedQueryID == id {
				return invalid("report %q (%s) runs this saved query; delete the report first", r.Name, r.ID)
			}
		}
		return c.Delete(nsQueries, id)
	})
}

func scanReports(c lake.Control) ([]Report, error) {
	var out []Report
	err := c.Scan(nsReports, "", func(key string, data []byte) (bool, error) {
		var r Report
		if err := json.Unmarshal(data, &r); err != nil {
			return false, fmt.Errorf("%w: report %s: %v", lake.ErrCorrupt, key, err)
		}
		out = append(out, r)
		return true, nil
	})
	return out, err
}
