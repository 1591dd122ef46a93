package lake

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// A store deleted more than the pending-deletion window ago is purged in
// two steps. One control-plane transaction removes the store's record and
// leaves a purge record (the store is gone for every API at once); then the
// store's objects are deleted, data before manifests, then its ingest
// ledger entries (one range deletion), and the purge record last. A crash in between leaves the purge record, and
// FinishPurges (run by every maintenance pass) completes it.

const nsPurges = "purges"

type purgeRecord struct {
	Store   StoreInfo `json:"store"`
	Started time.Time `json:"started"`
}

// PurgeStats is what a purge removed.
type PurgeStats struct {
	Stores  int
	Objects int
	Bytes   int64
}

func (l *Lake) pendingDeletionWindow() time.Duration {
	if l.opts.PendingDeletion > 0 {
		return l.opts.PendingDeletion
	}
	return DefaultPendingDeletionDays * 24 * time.Hour
}

// PurgeAfter is when a store that is pending deletion stops being
// restorable and its data may be purged; false for any other store.
func (l *Lake) PurgeAfter(s StoreInfo) (time.Time, bool) {
	if s.Status != StatusPendingDeletion || s.DeletedTimestamp == nil {
		return time.Time{}, false
	}
	return s.DeletedTimestamp.Add(l.pendingDeletionWindow()), true
}

// PurgeStore removes a store whose pending-deletion window has ended,
// with all its data. It fails with ErrInvalidStatus for any other store.
func (l *Lake) PurgeStore(ctx context.Context, storeID string) (PurgeStats, error) {
	if err := l.checkOpen(); err != nil {
		return PurgeStats{}, err
	}
	now := l.now()
	err := l.db.Update(func(tx *bolt.Tx) error {
		s, err := findStore(tx, storeID)
		if err != nil {
			return err
		}
		after, ok := l.PurgeAfter(s)
		if !ok || now.Before(after) {
			return fmt.Errorf("%w: event data store %s is %s; it can be purged only after its pending-deletion window", ErrInvalidStatus, s.ID, s.Status)
		}
		if err := (Control{tx}).Put(nsPurges, s.ID, purgeRecord{Store: s, Started: now}); err != nil {
			return err
		}
		if err := tx.Bucket(bucketStores).Delete([]byte(s.ID)); err != nil {
			return err
		}
		return putStoreChange(tx, StoreChange{Time: now, Store: s.ID, Action: ChangePurge, Detail: "pending-deletion window ended on " + after.Format(time.RFC3339) + "; data removed"})
	})
	if err != nil {
		return PurgeStats{}, fmt.Errorf("purge store %s: %w", storeID, err)
	}
	l.log.Info("purging event data store", "store", storeID)
	return l.FinishPurges(ctx)
}

// FinishPurges deletes the objects of every store whose purge has begun,
// and ends those purges.
func (l *Lake) FinishPurges(ctx context.Context) (PurgeStats, error) {
	var ids []string
	err := l.ControlView(func(c Control) error {
		return c.Scan(nsPurges, "", func(key string, _ []byte) (bool, error) {
			ids = append(ids, key)
			return true, nil
		})
	})
	var st PurgeStats
	if err != nil {
		return st, err
	}
	for _, id := range ids {
		n, bytes, err := l.finishPurge(ctx, id)
		st.Objects += n
		st.Bytes += bytes
		if err != nil {
			return st, fmt.Errorf("purge store %s: %w", id, err)
		}
		st.Stores++
	}
	return st, nil
}

func (l *Lake) finishPurge(ctx context.Context, id string) (int, int64, error) {
	l.mu.Lock()
	delete(l.manifests, id)
	l.mu.Unlock()
	objs, err := l.bucket.List(ctx, storePrefix(id))
	if err != nil {
		return 0, 0, err
	}
	// Data first: a manifest never lists an object that is gone while
	// the manifest is still there to be read.
	var n int
	var bytes int64
	for pass := range 2 {
		for _, o := range objs {
			isManifest := strings.HasPrefix(o.Key, manifestPrefix(id))
			if isManifest != (pass == 1) {
				continue
			}
			if err := ctx.Err(); err != nil {
				return n, bytes, err
			}
			if err := l.bucket.Delete(ctx, o.Key); err != nil {
				return n, bytes, err
			}
			n++
			bytes += o.Size
		}
	}
	if _, err := l.bucket.SweepTemp(storePrefix(id)); err != nil {
		return n, bytes, err
	}
	if err := os.RemoveAll(filepath.Join(l.cache.dir, "stores", id)); err != nil {
		return n, bytes, err
	}
	if err := l.deleteLedgerStore(id); err != nil {
		return n, bytes, err
	}
	err = l.ControlUpdate(func(c Control) error {
		var retired []string
		if err := c.Scan(nsRetired, "", func(key string, data []byte) (bool, error) {
			var r RetiredSegment
			if json.Unmarshal(data, &r) == nil && r.Store == id {
				retired = append(retired, key)
			}
			return true, nil
		}); err != nil {
			return err
		}
		for _, k := range retired {
			if err := c.Delete(nsRetired, k); err != nil {
				return err
			}
		}
		return c.Delete(nsPurges, id)
	})
	if err == nil {
		l.log.Info("purged event data store", "store", id, "objects", n, "bytes", bytes)
	}
	return n, bytes, err
}
