package lake

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/cockroachdb/pebble/v2"
	bolt "go.etcd.io/bbolt"

	"github.com/auditlake/auditlake/internal/fsutil"
)

// Lakes written before the ledger moved out of auditlake.db keep their
// ledger entries there, in bucket "sources" (one nested bucket per store,
// key the digest text, value a JSON SourceRecord). Open moves them into the
// ledger: a chunk of entries is copied with one synced write, then deleted
// from the bucket, until the bucket is empty; then the bucket goes. A
// crash anywhere leaves every entry in the ledger, the bucket or both, and
// the next open carries on (writing an entry again is harmless).

const (
	controlPlaneFile = "auditlake.db"

	// migrateChunk is how many entries one step moves.
	migrateChunk = 4096
	// releaseEvery is how many entries a step reads or deletes between two
	// releases of the file's mapped pages. The old ledger's leaves lie all
	// over the file (its keys were inserted in random order), and the
	// kernel maps up to 16 pages around each one faulted in: 8192 entries
	// made up to 250 MB of the file resident. The commit that deletes a
	// step's entries reads each page it frees, which the next step releases.
	releaseEvery = 1024
)

var (
	// compactFreeBytes is how much free space in auditlake.db makes open
	// rewrite the file (when it is also more than half the file): the
	// ledger left 1.6 GB per million inputs in it, and bbolt never shrinks
	// a file, and writes its whole free list at every commit.
	compactFreeBytes int64 = 64 << 20
)

func (l *Lake) controlPlanePath() string { return filepath.Join(l.dir, controlPlaneFile) }

func (l *Lake) openControlPlane() error {
	path := l.controlPlanePath()
	// A compaction that did not finish (compactControlPlane).
	if err := os.Remove(path + ".compact"); err != nil && !os.IsNotExist(err) {
		return err
	}
	var err error
	l.db, err = bolt.Open(path, 0o644, &bolt.Options{Timeout: time.Second})
	if err != nil {
		return fmt.Errorf("control-plane database: %w", err)
	}
	return nil
}

type migrateEntry struct {
	key, value []byte
}

// migrateLedger moves ledger entries left in auditlake.db into the ledger.
func (l *Lake) migrateLedger() error {
	var moved int
	for {
		var store []byte
		var chunk []migrateEntry
		err := l.db.View(func(tx *bolt.Tx) error {
			b := tx.Bucket(bucketSources)
			if b == nil {
				return nil
			}
			// The last step's commit read the header of every page it
			// freed; this step reads its entries. Failing to release the
			// pages is harmless.
			_ = releaseMapped(tx)
			defer releaseMapped(tx) //nolint:errcheck
			return b.ForEachBucket(func(name []byte) error {
				if store != nil {
					return nil
				}
				c := b.Bucket(name).Cursor()
				k, v := c.First()
				if k == nil {
					return nil // moved already; the bucket goes with its parent
				}
				store = append([]byte(nil), name...)
				for ; k != nil && len(chunk) < migrateChunk; k, v = c.Next() {
					if len(chunk)%releaseEvery == releaseEvery-1 {
						_ = releaseMapped(tx)
					}
					if v == nil {
						return fmt.Errorf("%w: ledger of store %s in %s: nested bucket %q", ErrCorrupt, name, controlPlaneFile, k)
					}
					chunk = append(chunk, migrateEntry{append([]byte(nil), k...), append([]byte(nil), v...)})
				}
				return nil
			})
		})
		if err != nil {
			return err
		}
		if store == nil {
			return l.dropSourcesBucket(moved)
		}
		if moved == 0 {
			l.log.Info("moving the ingest ledger out of " + controlPlaneFile + " into " + ledgerDirName + "/")
		}
		if err := l.migrateChunk(string(store), chunk); err != nil {
			return err
		}
		err = l.db.Update(func(tx *bolt.Tx) error {
			b := tx.Bucket(bucketSources).Bucket(store)
			for i, e := range chunk {
				if i%releaseEvery == releaseEvery-1 {
					_ = releaseMapped(tx)
				}
				if err := b.Delete(e.key); err != nil {
					return err
				}
			}
			_ = releaseMapped(tx) // the pages read to find the keys; the commit writes with pwrite
			return nil
		})
		if err != nil {
			return fmt.Errorf("move ingest ledger: %w", err)
		}
		moved += len(chunk)
	}
}

// migrateChunk writes entries of the store to the ledger, synced.
func (l *Lake) migrateChunk(store string, chunk []migrateEntry) error {
	b := l.ledger.NewBatch()
	defer b.Close()
	var key, val []byte
	for _, e := range chunk {
		var rec SourceRecord
		if err := json.Unmarshal(e.value, &rec); err != nil {
			return fmt.Errorf("%w: ledger entry %s/%s in %s: %v", ErrCorrupt, store, e.key, controlPlaneFile, err)
		}
		var err error
		if key, err = ledgerKey(key[:0], store, string(e.key)); err != nil {
			return err
		}
		val = appendSourceValue(val[:0], rec.Batch, rec.Ingested.UTC(), rec.Name)
		if err := b.Set(key, val, nil); err != nil {
			return fmt.Errorf("move ingest ledger: %w", err)
		}
	}
	if err := b.Commit(pebble.Sync); err != nil {
		return fmt.Errorf("move ingest ledger: %w", err)
	}
	return nil
}

// dropSourcesBucket deletes the old ledger's bucket, now without entries.
func (l *Lake) dropSourcesBucket(moved int) error {
	err := l.db.Update(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketSources) == nil {
			return nil
		}
		return tx.DeleteBucket(bucketSources)
	})
	if err != nil {
		return fmt.Errorf("move ingest ledger: %w", err)
	}
	if moved > 0 {
		l.log.Info("moved the ingest ledger out of "+controlPlaneFile, "entries", moved)
	}
	return nil
}

// compactControlPlane rewrites auditlake.db without its free pages when
// they are most of the file, as after the ledger moved out. The copy is
// made beside it, synced and renamed over it; a crash before the rename
// leaves the old file, and the copy is removed at the next open.
func (l *Lake) compactControlPlane() error {
	path := l.controlPlanePath()
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	st := l.db.Stats()
	free := int64(st.FreePageN+st.PendingPageN) * int64(l.db.Info().PageSize)
	if free < compactFreeBytes || free < fi.Size()/2 {
		return nil
	}
	l.log.Info("compacting "+controlPlaneFile, "bytes", fi.Size(), "free", free)
	tmp := path + ".compact"
	dst, err := bolt.Open(tmp, fi.Mode().Perm(), &bolt.Options{Timeout: time.Second})
	if err != nil {
		return fmt.Errorf("compact %s: %w", controlPlaneFile, err)
	}
	if err := bolt.Compact(dst, l.db, 64<<20); err != nil {
		_ = dst.Close()
		return fmt.Errorf("compact %s: %w", controlPlaneFile, err)
	}
	if err := dst.Close(); err != nil {
		return fmt.Errorf("compact %s: %w", controlPlaneFile, err)
	}
	if err := l.db.Close(); err != nil {
		return err
	}
	l.db = nil
	if err := fsutil.RenameDurable(tmp, path); err != nil {
		return fmt.Errorf("compact %s: %w", controlPlaneFile, err)
	}
	if err := l.openControlPlane(); err != nil {
		return err
	}
	if fi, err := os.Stat(path); err == nil {
		l.log.Info("compacted "+controlPlaneFile, "bytes", fi.Size())
	}
	return nil
}
