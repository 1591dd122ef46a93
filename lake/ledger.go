package lake

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/oklog/ulid/v2"
	bolt "go.etcd.io/bbolt"
)

// The ingest ledger records which source inputs (files, by content digest)
// each store has taken, so that ingesting the same input again adds
// nothing. Its entries live in their own database (ledgerdb.go); the
// pending batches live in the control-plane database. It is kept true to
// the manifest by a two-step protocol: a batch is recorded as pending before
// its segments are committed, and marked done after (its sources written to
// the ledger, then the pending record deleted). At open, a pending batch is
// done if the manifest lists any of its segments, and is dropped otherwise
// (its segments were never visible, and the orphan sweep removed them).

var (
	bucketBatches = []byte("batches")
	bucketSources = []byte("sources") // the ledger before it moved out: ledgermigrate.go
)

// Source identifies one ingested input.
type Source struct {
	Digest string `json:"digest"` // hex SHA-256 of the input's bytes
	Name   string `json:"name"`   // path or URI, for messages
}

// SourceRecord is what the ledger knows of an ingested source.
type SourceRecord struct {
	Source
	Batch    string    `json:"batch"`
	Ingested time.Time `json:"ingested"`
}

type batchRecord struct {
	Store   string    `json:"store"`
	Sources []Source  `json:"sources"`
	Started time.Time `json:"started"`
}

// BeginBatch records that sources are about to be committed to the store,
// and returns the batch ID to pass to WriteSegments.
func (l *Lake) BeginBatch(ctx context.Context, storeID string, sources []Source) (string, error) {
	if err := l.checkWritable("begin ingest batch"); err != nil {
		return "", err
	}
	id := ulid.MustNew(ulid.Timestamp(l.now()), ulid.DefaultEntropy()).String()
	rec, err := json.Marshal(batchRecord{Store: storeID, Sources: sources, Started: l.now()})
	if err != nil {
		return "", err
	}
	err = l.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketBatches).Put([]byte(id), rec) })
	return id, err
}

// FinishBatch marks a batch's sources as ingested, after the commit of its
// segments (or at once, when the sources held no events for the store): it
// writes them to the ledger in one synced write, then deletes the pending
// record. A crash between the two leaves the batch pending, and the next
// open finishes it again: the ledger's puts are idempotent.
func (l *Lake) FinishBatch(ctx context.Context, batch string) error {
	var rec batchRecord
	err := l.db.View(func(tx *bolt.Tx) error {
		raw := tx.Bucket(bucketBatches).Get([]byte(batch))
		if raw == nil {
			return fmt.Errorf("finish batch %s: no such pending batch", batch)
		}
		if err := json.Unmarshal(raw, &rec); err != nil {
			return fmt.Errorf("%w: batch %s: %v", ErrCorrupt, batch, err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := l.putSources(rec.Store, batch, rec.Sources, l.now()); err != nil {
		return fmt.Errorf("finish batch %s: %w", batch, err)
	}
	return l.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketBatches).Delete([]byte(batch)) })
}

// Ingested reports whether the store has taken the source with this digest.
// Ingest calls it once per input and store, from its reader goroutines.
func (l *Lake) Ingested(ctx context.Context, storeID, digest string) (SourceRecord, bool, error) {
	return l.ledgerGet(storeID, digest)
}

// settleBatches finishes or drops the pending batches of m's store.
func (l *Lake) settleBatches(m *Manifest) error {
	committed := make(map[string]bool)
	for _, s := range m.Segments {
		if s.Batch != "" {
			committed[s.Batch] = true
		}
	}
	var done, dropped []string
	err := l.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketBatches).ForEach(func(k, v []byte) error {
			var rec batchRecord
			if err := json.Unmarshal(v, &rec); err != nil {
				return fmt.Errorf("%w: batch %s: %v", ErrCorrupt, k, err)
			}
			if rec.Store != m.Store {
				return nil
			}
			if committed[string(k)] {
				done = append(done, string(k))
			} else {
				dropped = append(dropped, string(k))
			}
			return nil
		})
	})
	if err != nil {
		return err
	}
	for _, k := range done {
		l.log.Info("finishing committed ingest batch", "store", m.Store, "batch", k)
		if err := l.FinishBatch(context.Background(), k); err != nil {
			return err
		}
	}
	if len(dropped) == 0 {
		return nil
	}
	// A dropped batch wrote nothing to the ledger unless it had no
	// segments at all (FinishBatch runs only after the commit of a batch's
	// segments); then its inputs held nothing for the store, and the
	// ledger's word that they were taken is true.
	return l.db.Update(func(tx *bolt.Tx) error {
		for _, k := range dropped {
			l.log.Info("dropping uncommitted ingest batch", "store", m.Store, "batch", k)
			if err := tx.Bucket(bucketBatches).Delete([]byte(k)); err != nil {
				return err
			}
		}
		return nil
	})
}
