package lake

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/oklog/ulid/v2"
	bolt "go.etcd.io/bbolt"
)

// The ingest ledger records which source inputs (files, by content digest)
// each store has taken, so that ingesting the same input again adds
// nothing. It lives in the control-plane database, and it is kept true to
// the manifest by a two-step protocol: a batch is recorded as pending before
// its segments are committed, and marked done after. At open, a pending
// batch is done if the manifest lists any of its segments, and is dropped
// otherwise (its segments were never visible, and the orphan sweep removed
// them).

var (
	bucketBatches = []byte("batches")
	bucketSources = []byte("sources")
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
// segments (or at once, when the sources held no events for the store).
func (l *Lake) FinishBatch(ctx context.Context, batch string) error {
	if err := l.db.Update(func(tx *bolt.Tx) error { return finishBatch(tx, batch, l.now()) }); err != nil {
		return err
	}
	// Batches are ingest's unit of memory: keep the ledger's pages out of
	// the resident set too (mappedpages_linux.go). Failing to is harmless.
	_ = releaseMappedPages(l.db)
	return nil
}

// releaseEvery is how many ledger lookups or inserts may run between two
// releases of the ledger's mapped pages. Each random key faults in a leaf
// page, and the kernel maps up to 16 neighbouring pages with it (fault
// around): in a lake of 1M inputs one batch's lookups and inserts made
// 300-700 MB of the file resident. 512 keys map at most about 32 MiB.
const releaseEvery = 512

func finishBatch(tx *bolt.Tx, batch string, now time.Time) error {
	raw := tx.Bucket(bucketBatches).Get([]byte(batch))
	if raw == nil {
		return fmt.Errorf("finish batch %s: no such pending batch", batch)
	}
	var rec batchRecord
	if err := json.Unmarshal(raw, &rec); err != nil {
		return fmt.Errorf("%w: batch %s: %v", ErrCorrupt, batch, err)
	}
	srcs, err := tx.Bucket(bucketSources).CreateBucketIfNotExists([]byte(rec.Store))
	if err != nil {
		return err
	}
	// Insert in key order: bbolt appends sorted keys cheaply, while random
	// SHA-256 keys make each insert shift a growing node.
	slices.SortFunc(rec.Sources, func(a, b Source) int { return strings.Compare(a.Digest, b.Digest) })
	for i, s := range rec.Sources {
		if i%releaseEvery == releaseEvery-1 {
			_ = releaseMapped(tx) // each insert faults in a random leaf, and its neighbours
		}
		v, err := json.Marshal(SourceRecord{Source: s, Batch: batch, Ingested: now})
		if err != nil {
			return err
		}
		if err := srcs.Put([]byte(s.Digest), v); err != nil {
			return err
		}
	}
	return tx.Bucket(bucketBatches).Delete([]byte(batch))
}

// Ingested reports whether the store has taken the source with this digest.
func (l *Lake) Ingested(ctx context.Context, storeID, digest string) (SourceRecord, bool, error) {
	var rec SourceRecord
	var ok bool
	err := l.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketSources).Bucket([]byte(storeID))
		if b == nil {
			return nil
		}
		v := b.Get([]byte(digest))
		if v == nil {
			return nil
		}
		ok = true
		return json.Unmarshal(v, &rec)
	})
	if l.ledgerReads.Add(1)%releaseEvery == 0 {
		_ = releaseMappedPages(l.db)
	}
	return rec, ok, err
}

// settleBatches finishes or drops the pending batches of m's store.
func (l *Lake) settleBatches(m *Manifest) error {
	committed := make(map[string]bool)
	for _, s := range m.Segments {
		if s.Batch != "" {
			committed[s.Batch] = true
		}
	}
	return l.db.Update(func(tx *bolt.Tx) error {
		var done, dropped [][]byte
		err := tx.Bucket(bucketBatches).ForEach(func(k, v []byte) error {
			var rec batchRecord
			if err := json.Unmarshal(v, &rec); err != nil {
				return fmt.Errorf("%w: batch %s: %v", ErrCorrupt, k, err)
			}
			if rec.Store != m.Store {
				return nil
			}
			if committed[string(k)] {
				done = append(done, append([]byte(nil), k...))
			} else {
				dropped = append(dropped, append([]byte(nil), k...))
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, k := range done {
			l.log.Info("finishing committed ingest batch", "store", m.Store, "batch", string(k))
			if err := finishBatch(tx, string(k), l.now()); err != nil {
				return err
			}
		}
		for _, k := range dropped {
			l.log.Info("dropping uncommitted ingest batch", "store", m.Store, "batch", string(k))
			if err := tx.Bucket(bucketBatches).Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
}
