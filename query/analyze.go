package query

import (
	"context"
	"strings"
	"time"

	"github.com/auditlake/auditlake/lake"
)

// StoreRead is one event data store a statement reads, with the eventTime
// range its segments are pruned to (zero bounds are open).
type StoreRead struct {
	Store    lake.StoreInfo
	From, To time.Time
}

// Analyze validates sqlText as Query would, without running it, and
// returns the stores it reads, each once, in the order the statement first
// names them. A store read more than once gets the union of its ranges.
// It is what callers need for authorization and for statistics such as
// the events a query scans. Errors are those of Validate.
func (e *Engine) Analyze(ctx context.Context, sqlText string) ([]StoreRead, error) {
	if err := e.acquire(); err != nil {
		return nil, err
	}
	defer e.running.Done()
	st, err := e.prepare(ctx, sqlText)
	if err != nil {
		return nil, err
	}
	var out []StoreRead
	index := map[string]int{}
	for _, ref := range st.rw.Refs {
		rng := st.ranges[strings.ToLower(ref.Placeholder)]
		i, ok := index[ref.Store.ID]
		if !ok {
			index[ref.Store.ID] = len(out)
			out = append(out, StoreRead{Store: ref.Store, From: rng.From, To: rng.To})
			continue
		}
		r := &out[i]
		if r.From.IsZero() || rng.From.IsZero() {
			r.From = time.Time{}
		} else if rng.From.Before(r.From) {
			r.From = rng.From
		}
		if r.To.IsZero() || rng.To.IsZero() {
			r.To = time.Time{}
		} else if rng.To.After(r.To) {
			r.To = rng.To
		}
	}
	return out, nil
}
