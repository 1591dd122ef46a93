package jobs

import (
	"context"
	"fmt"
	"time"

	"github.com/auditlake/auditlake/lake"
)

// Sweep removes the results and records of queries created more than
// ResultTTL ago. It returns how many queries it removed. It runs by itself
// at New and every SweepInterval.
func (m *Manager) Sweep(ctx context.Context) (int, error) {
	cutoff := m.now().Add(-m.opts.ResultTTL)
	var expired []*record
	err := m.l.ControlView(func(c lake.Control) error {
		return c.Scan(nsQueries, "", func(_ string, data []byte) (bool, error) {
			r, err := decodeRecord(data)
			if err != nil {
				return false, err
			}
			if r.Created.Before(cutoff) && !r.Status.Active() {
				expired = append(expired, r)
			}
			return true, nil
		})
	})
	if err != nil {
		return 0, fmt.Errorf("sweep queries: %w", err)
	}
	n := 0
	for _, r := range expired {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		// Results first: a record without results is harmless, results
		// without a record would never be removed.
		objs, err := m.l.Bucket().List(ctx, keyPrefix+r.ID+"/")
		if err != nil {
			return n, fmt.Errorf("sweep query %s: %w", r.ID, err)
		}
		for _, o := range objs {
			if err := m.l.Bucket().Delete(ctx, o.Key); err != nil {
				return n, fmt.Errorf("sweep query %s: %w", r.ID, err)
			}
		}
		err = m.l.ControlUpdate(func(c lake.Control) error {
			for _, s := range r.Stores {
				if err := c.Delete(nsIndex, indexKey(s, r.Created, r.ID)); err != nil {
					return err
				}
			}
			return c.Delete(nsQueries, r.ID)
		})
		if err != nil {
			return n, fmt.Errorf("sweep query %s: %w", r.ID, err)
		}
		m.cache.forget(r.ID, len(r.Parts))
		n++
	}
	if n > 0 {
		m.log.Info("removed expired queries", "count", n)
	}
	return n, nil
}

func (m *Manager) sweepLoop() {
	t := time.NewTicker(m.opts.SweepInterval)
	defer t.Stop()
	for {
		select {
		case <-m.loopCtx.Done():
			return
		case <-t.C:
			if _, err := m.Sweep(m.loopCtx); err != nil && m.loopCtx.Err() == nil {
				m.log.Warn("sweeping expired queries", "err", err)
			}
		}
	}
}
