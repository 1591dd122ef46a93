package lake_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"

	"github.com/auditlake/auditlake/lake"
)

// writeOldLedger writes ledger entries into auditlake.db the way lakes did
// before the ledger had its own database: bucket "sources", one nested
// bucket per store, key the digest, value the JSON SourceRecord.
func writeOldLedger(t *testing.T, dir string, entries map[string][]lake.SourceRecord) {
	t.Helper()
	db, err := bolt.Open(filepath.Join(dir, "auditlake.db"), 0o644, &bolt.Options{Timeout: time.Second})
	require.NoError(t, err)
	defer func() { require.NoError(t, db.Close()) }()
	for store, recs := range entries {
		require.NoError(t, db.Update(func(tx *bolt.Tx) error {
			srcs, err := tx.CreateBucketIfNotExists([]byte("sources"))
			if err == nil {
				_, err = srcs.CreateBucketIfNotExists([]byte(store))
			}
			return err
		}))
		for len(recs) > 0 {
			n := min(len(recs), 5000)
			require.NoError(t, db.Update(func(tx *bolt.Tx) error {
				b := tx.Bucket([]byte("sources")).Bucket([]byte(store))
				for _, r := range recs[:n] {
					v, err := json.Marshal(r)
					if err != nil {
						return err
					}
					if err := b.Put([]byte(r.Digest), v); err != nil {
						return err
					}
				}
				return nil
			}))
			recs = recs[n:]
		}
	}
}

func oldRecords(n int, batch string, at time.Time) []lake.SourceRecord {
	recs := make([]lake.SourceRecord, n)
	for i := range recs {
		recs[i] = lake.SourceRecord{
			Source:   lake.Source{Digest: digestOf(i), Name: fmt.Sprintf("/trail/AWSLogs/123456789012/CloudTrail/us-east-1/2026/01/01/file-%06d.json.gz", i)},
			Batch:    batch,
			Ingested: at,
		}
	}
	return recs
}

func sourcesBucketKeys(t *testing.T, dir string) int {
	t.Helper()
	db, err := bolt.Open(filepath.Join(dir, "auditlake.db"), 0o644, &bolt.Options{Timeout: time.Second, ReadOnly: true})
	require.NoError(t, err)
	defer db.Close()
	n := -1 // no bucket at all
	require.NoError(t, db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("sources"))
		if b == nil {
			return nil
		}
		n = 0
		return b.ForEachBucket(func(k []byte) error {
			n += b.Bucket(k).Stats().KeyN
			return nil
		})
	}))
	return n
}

// TestLedgerMovesOutOfControlPlane: a lake whose ledger is in auditlake.db
// (written by an earlier version) has it moved into the ledger at open, in
// several steps, after which the old bucket is gone. The move is idempotent:
// the second move here starts from the state a crash in the middle of one
// leaves (some entries moved, some in both places, some not moved yet).
func TestLedgerMovesOutOfControlPlane(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	at := time.Date(2025, 6, 7, 8, 9, 10, 11, time.UTC)
	l, err := lake.Open(ctx, dir, lake.Options{})
	require.NoError(t, err)
	a, b := newStore(t, l, "store-a"), newStore(t, l, "store-b")
	require.NoError(t, l.Close())

	recsA := oldRecords(20000, "01OLDBATCH", at) // more than two steps
	recsA = append(recsA,
		lake.SourceRecord{Source: lake.Source{Digest: digestOf(1) + lake.SliceSep + "5/", Name: "slice"}, Batch: "01SLICE", Ingested: at},
		lake.SourceRecord{Source: lake.Source{Digest: "test-digest", Name: "t"}, Batch: "01T", Ingested: at})
	recsB := oldRecords(300, "01B", at.Add(time.Hour))

	// Moved before the crash: recsA[14000:20000]. Of those, [14000:15000]
	// were still in the bucket when the process died.
	writeOldLedger(t, dir, map[string][]lake.SourceRecord{a.ID: recsA[14000:20000]})
	l = openLake(t, dir, lake.Options{})
	require.NoError(t, l.Close())
	require.Equal(t, -1, sourcesBucketKeys(t, dir), "the old bucket is gone")
	writeOldLedger(t, dir, map[string][]lake.SourceRecord{a.ID: append(recsA[:15000:15000], recsA[20000:]...), b.ID: recsB, "00000000-0000-4000-8000-0000000000ff": nil})
	require.Equal(t, 15302, sourcesBucketKeys(t, dir))

	for range 2 { // the second open has nothing left to move
		l = openLake(t, dir, lake.Options{})
		for store, want := range map[string][]lake.SourceRecord{a.ID: recsA, b.ID: recsB} {
			for _, r := range want {
				got, ok, err := l.Ingested(ctx, store, r.Digest)
				require.NoError(t, err)
				require.True(t, ok, r.Digest)
				require.Equal(t, r, got)
			}
		}
		recs, err := l.IngestedSlices(ctx, a.ID, digestOf(1))
		require.NoError(t, err)
		require.Equal(t, []lake.SourceRecord{recsA[1], recsA[20000]}, recs)
		recs, err = l.IngestedSlices(ctx, a.ID, "test-digest")
		require.NoError(t, err)
		require.Equal(t, []lake.SourceRecord{recsA[20001]}, recs)
		_, ok, err := l.Ingested(ctx, b.ID, digestOf(300))
		require.NoError(t, err)
		require.False(t, ok)
		require.NoError(t, l.Close())
		require.Equal(t, -1, sourcesBucketKeys(t, dir), "the old bucket is gone")
	}
}

// TestControlPlaneCompactsAfterMove: the pages the old ledger used are
// most of auditlake.db after the move; open rewrites the file without
// them, keeping every other record.
func TestControlPlaneCompactsAfterMove(t *testing.T) {
	defer lake.SetCompactFreeBytes(1 << 20)()
	ctx := context.Background()
	dir := t.TempDir()
	l, err := lake.Open(ctx, dir, lake.Options{})
	require.NoError(t, err)
	s := newStore(t, l, "store")
	require.NoError(t, l.ControlUpdate(func(c lake.Control) error { return c.Put("things", "k", "v") }))
	require.NoError(t, l.Close())
	writeOldLedger(t, dir, map[string][]lake.SourceRecord{s.ID: oldRecords(20000, "01B", time.Now().UTC())})
	path := filepath.Join(dir, "auditlake.db")
	before, err := os.Stat(path)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path+".compact", []byte("left by a crash"), 0o644))

	l = openLake(t, dir, lake.Options{})
	after, err := os.Stat(path)
	require.NoError(t, err)
	require.Less(t, after.Size(), before.Size()/4, "bytes before %d, after %d", before.Size(), after.Size())
	require.NoFileExists(t, path+".compact")
	var v string
	require.NoError(t, l.ControlView(func(c lake.Control) error { return c.Get("things", "k", &v) }))
	require.Equal(t, "v", v)
	got, err := l.GetStore(ctx, s.ID)
	require.NoError(t, err)
	require.Equal(t, s.Name, got.Name)
	_, ok, err := l.Ingested(ctx, s.ID, digestOf(19999))
	require.NoError(t, err)
	require.True(t, ok)
}
