package lake

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Segments leave a store in two phases. Replace commits a manifest version
// that no longer lists them (from then on no new query sees them) and
// records them as retired; CollectRetired deletes the files of retired
// segments once a grace period has passed and no running query holds them.
// A crash between the phases leaves files no manifest lists, which the
// orphan sweep of the next Open removes (no query of the dead process can
// hold them any more).

// nsRetired is the control-plane namespace of retired segments, keyed by
// object key.
const nsRetired = "retired"

// DefaultRetireGrace is how long the files of a segment stay after the
// manifest stops listing it: a query that read the previous manifest a
// moment before the swap finds its files in place, and holds them from
// then on.
const DefaultRetireGrace = 5 * time.Minute

// RetiredSegment is a segment the manifest no longer lists whose files are
// still in the bucket.
type RetiredSegment struct {
	Store   string    `json:"store"`
	ID      string    `json:"id"`
	Key     string    `json:"key"`
	Bytes   int64     `json:"bytes"`
	Rows    int64     `json:"rows"`
	Retired time.Time `json:"retired"`
	Reason  string    `json:"reason"` // "retention", "compaction"
}

// Replace commits c to the store's manifest and retires the segments it
// removes, giving reason (for logs and figures). The removed segments'
// files are deleted later by CollectRetired.
func (l *Lake) Replace(ctx context.Context, storeID string, c Change, reason string) (*Manifest, error) {
	before, err := l.Manifest(ctx, storeID)
	if err != nil {
		return nil, err
	}
	byID := make(map[string]Segment, len(before.Segments))
	for _, s := range before.Segments {
		byID[s.ID] = s
	}
	m, err := l.Commit(ctx, storeID, c)
	if err != nil {
		return nil, err
	}
	now := l.now()
	err = l.ControlUpdate(func(ctl Control) error {
		for _, id := range c.Remove {
			s := byID[id]
			if s.Key == "" {
				// Committed by someone between our read and the commit;
				// the orphan sweep of the next open removes its file.
				continue
			}
			rec := RetiredSegment{Store: storeID, ID: id, Key: s.Key, Bytes: s.Bytes, Rows: s.Rows, Retired: now, Reason: reason}
			if err := ctl.Put(nsRetired, s.Key, rec); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		// The commit stands; the files become orphans for the next open.
		return m, fmt.Errorf("record retired segments of store %s: %w", storeID, err)
	}
	return m, nil
}

// Retired lists the segments awaiting deletion of their files.
func (l *Lake) Retired(ctx context.Context) ([]RetiredSegment, error) {
	var out []RetiredSegment
	err := l.ControlView(func(c Control) error {
		return c.Scan(nsRetired, "", func(_ string, data []byte) (bool, error) {
			var r RetiredSegment
			if err := json.Unmarshal(data, &r); err != nil {
				return false, fmt.Errorf("%w: retired segment record: %v", ErrCorrupt, err)
			}
			out = append(out, r)
			return true, nil
		})
	})
	return out, err
}

// CollectStats is what CollectRetired did.
type CollectStats struct {
	Segments int   // segments whose files were deleted
	Bytes    int64 // their size
	Waiting  int   // retired segments kept: in their grace period or held by a query
}

// CollectRetired deletes the files of retired segments that were retired
// at least grace ago and that no query holds. A negative grace is
// DefaultRetireGrace.
func (l *Lake) CollectRetired(ctx context.Context, grace time.Duration) (CollectStats, error) {
	if grace < 0 {
		grace = DefaultRetireGrace
	}
	var st CollectStats
	recs, err := l.Retired(ctx)
	if err != nil {
		return st, err
	}
	now := l.now()
	for _, r := range recs {
		if err := ctx.Err(); err != nil {
			return st, err
		}
		if now.Sub(r.Retired) < grace || l.Held(r.ID) || l.listed(ctx, r) {
			st.Waiting++
			continue
		}
		if err := l.deleteSegmentFiles(ctx, r.ID, r.Key); err != nil {
			return st, err
		}
		if err := l.ControlUpdate(func(c Control) error { return c.Delete(nsRetired, r.Key) }); err != nil {
			return st, err
		}
		l.log.Info("deleted retired segment", "store", r.Store, "segment", r.ID, "reason", r.Reason, "bytes", r.Bytes)
		st.Segments++
		st.Bytes += r.Bytes
	}
	return st, nil
}

// listed reports whether the store's manifest lists the retired segment
// again, which only a bug could cause; such a file is never deleted.
func (l *Lake) listed(ctx context.Context, r RetiredSegment) bool {
	m, err := l.Manifest(ctx, r.Store)
	if err != nil {
		return !errors.Is(err, ErrStoreNotFound)
	}
	for _, s := range m.Segments {
		if s.Key == r.Key {
			l.log.Error("retired segment is listed by the manifest; keeping it", "store", r.Store, "segment", r.ID)
			return true
		}
	}
	return false
}

// deleteSegmentFiles removes a segment's object, its local cached copy and
// its verification stamp.
func (l *Lake) deleteSegmentFiles(ctx context.Context, id, key string) error {
	if err := l.bucket.Delete(ctx, key); err != nil {
		return err
	}
	if _, local := l.bucket.LocalPath(key); !local {
		if err := os.Remove(filepath.Join(l.cache.dir, filepath.FromSlash(key))); err != nil && !os.IsNotExist(err) {
			return err
		}
	}
	l.cache.mu.Lock()
	delete(l.cache.verified, id)
	delete(l.cache.fetching, id)
	l.cache.mu.Unlock()
	return l.db.Update(func(tx *bolt.Tx) error {
		if b := tx.Bucket(bucketVerified); b != nil {
			return b.Delete([]byte(id))
		}
		return nil
	})
}
