package jobs

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/auditlake/auditlake/lake"
)

// List returns the queries that read in.Store, newest first. Errors wrap
// ErrInvalidParameter (no store), lake.ErrStoreNotFound,
// ErrInvalidMaxResults, ErrInvalidDateRange, ErrInvalidQueryStatus or
// ErrInvalidNextToken.
func (m *Manager) List(ctx context.Context, in ListInput) (ListPage, error) {
	if in.Store == "" {
		return ListPage{}, fmt.Errorf("%w: EventDataStore is required", ErrInvalidParameter)
	}
	if in.Max == 0 {
		in.Max = MaxResultsPerPage
	}
	if in.Max < 1 || in.Max > MaxResultsPerPage {
		return ListPage{}, fmt.Errorf("%w: MaxResults %d is not between 1 and %d", ErrInvalidMaxResults, in.Max, MaxResultsPerPage)
	}
	if in.Status != "" && !in.Status.Valid() {
		return ListPage{}, fmt.Errorf("%w: %q is not one of QUEUED, RUNNING, FINISHED, FAILED, CANCELLED, TIMED_OUT", ErrInvalidQueryStatus, in.Status)
	}
	if !in.Start.IsZero() && !in.End.IsZero() && in.Start.After(in.End) {
		return ListPage{}, fmt.Errorf("%w: StartTime %s is after EndTime %s", ErrInvalidDateRange,
			in.Start.UTC().Format(time.RFC3339), in.End.UTC().Format(time.RFC3339))
	}
	store, err := m.l.GetStore(ctx, in.Store)
	if err != nil {
		return ListPage{}, err
	}
	filter := fmt.Sprintf("%s|%s|%d|%d", store.ID, in.Status, unixOrZero(in.Start), unixOrZero(in.End))
	prefix := store.ID + "/"
	from := prefix
	if in.NextToken != "" {
		var tok listToken
		if err := m.decodeToken(in.NextToken, &tok); err != nil {
			return ListPage{}, err
		}
		if tok.Filter != filter || !strings.HasPrefix(tok.After, prefix) {
			return ListPage{}, fmt.Errorf("%w: the token was returned for a request with other parameters", ErrInvalidNextToken)
		}
		from = tok.After + "\x00" // the key after it
	}
	var page ListPage
	err = m.l.ControlView(func(c lake.Control) error {
		var last string
		err := c.Scan(nsIndex, from, func(key string, _ []byte) (bool, error) {
			if !strings.HasPrefix(key, prefix) {
				return false, nil
			}
			if len(page.Queries) == in.Max {
				page.NextToken = m.encodeToken(listToken{Filter: filter, After: last})
				return false, nil
			}
			last = key
			r, err := getRecord(c, key[strings.LastIndexByte(key, '/')+1:])
			if err != nil {
				return false, err
			}
			if !in.End.IsZero() && r.Created.After(in.End) {
				return true, nil
			}
			if !in.Start.IsZero() && r.Created.Before(in.Start) {
				return false, nil // newest first: the rest are older
			}
			if in.Status == "" || r.Status == in.Status {
				page.Queries = append(page.Queries, r.query(m.now()))
			}
			return true, nil
		})
		return err
	})
	if err != nil {
		return ListPage{}, fmt.Errorf("list queries: %w", err)
	}
	return page, nil
}

func unixOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}
