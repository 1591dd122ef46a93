package saved

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/auditlake/auditlake/lake"
)

// Authorizer decides whether an access key may read event data stores.
// The server passes one built on its key store and the same policy
// evaluation StartQuery uses (api.ReadAuthorizer); query/saved does not
// know about policies.
type Authorizer interface {
	// AuthorizeRead returns nil when p's access key still exists and its
	// current policy allows reading every one of stores (with no stores,
	// when the key exists). Otherwise it returns an error wrapping
	// ErrAccessDenied that names the key and the store refused. It is
	// safe for concurrent use.
	AuthorizeRead(ctx context.Context, p Principal, stores []lake.StoreInfo) error
}

// checkStatement analyzes a statement being saved (filled with a window
// ending now) and checks that by may read every store it reads. It
// returns the stores' IDs.
func (s *Store) checkStatement(ctx context.Context, by *Principal, statement string) ([]string, error) {
	if s.authz != nil && (by == nil || by.AccessKeyID == "") {
		return nil, fmt.Errorf("%w: a saved query or report is written with an access key, and none was given", ErrAccessDenied)
	}
	var stores []lake.StoreInfo
	if s.analyze != nil {
		end := s.now()
		var err error
		if stores, err = s.analyze(ctx, Fill(statement, end.Add(-24*time.Hour), end)); err != nil {
			return nil, err
		}
	}
	if s.authz != nil {
		if err := s.authz.AuthorizeRead(ctx, *by, stores); err != nil {
			return nil, err
		}
	}
	if s.analyze == nil {
		return nil, nil
	}
	ids := make([]string, len(stores))
	for i, st := range stores {
		ids[i] = st.ID
	}
	return ids, nil
}

// writers returns the principals a run of r has the authority of: the
// access keys that created and last changed the report and its saved
// query, and by, who started a manual run; each once. A run reads only
// what every one of them may read, so changing someone else's saved query
// or report never lends you their access.
func writers(r Report, q Query, by *Principal) ([]Principal, error) {
	switch {
	case r.CreatedBy == nil && r.UpdatedBy == nil:
		return nil, fmt.Errorf("%w: report %q records no access key to run with (it was written before auditlake recorded one); update it to record yours", ErrAccessDenied, r.Name)
	case q.CreatedBy == nil && q.UpdatedBy == nil:
		return nil, fmt.Errorf("%w: saved query %q records no access key (it was written before auditlake recorded one); update it to record yours", ErrAccessDenied, q.Name)
	}
	var out []Principal
	for _, p := range []*Principal{r.CreatedBy, r.UpdatedBy, q.CreatedBy, q.UpdatedBy, by} {
		if p != nil && !slices.ContainsFunc(out, func(o Principal) bool { return o.AccessKeyID == p.AccessKeyID }) {
			out = append(out, *p)
		}
	}
	return out, nil
}

// authorizeRun checks every principal of a run on the stores its
// statement reads.
func authorizeRun(ctx context.Context, authz Authorizer, r Report, ps []Principal, stores []lake.StoreInfo) error {
	for _, p := range ps {
		if err := authz.AuthorizeRead(ctx, p, stores); err != nil {
			return fmt.Errorf("report %q runs with the authority of %s: %w", r.Name, p, err)
		}
	}
	return nil
}
