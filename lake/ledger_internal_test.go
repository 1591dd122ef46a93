package lake

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"
)

func hexDigest(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func TestLedgerKeysAndValuesRoundTrip(t *testing.T) {
	const store = "00000000-0000-4000-8000-000000000001"
	n := 2 + len(store)
	h := hexDigest("x")
	for _, d := range []string{
		h, h + "@1/2", h + "@/", "aaaa", "d1@x", strings.ToUpper(h), h + "0", "", "@", "é",
	} {
		k, err := ledgerKey(nil, store, d)
		require.NoError(t, err)
		got, err := ledgerKeyDigest(k, n)
		require.NoError(t, err)
		require.Equal(t, d, got)
	}
	k, err := ledgerKey(nil, store, h+"@1/2")
	require.NoError(t, err)
	require.Len(t, k, n+1+32+4, "a hex SHA-256 takes 32 bytes")
	_, err = ledgerKey(nil, "", h)
	require.Error(t, err)

	for _, ts := range []time.Time{{}, time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC), time.Unix(0, 0).UTC()} {
		for _, name := range []string{"", "AWSLogs/x.json.gz"} {
			var rec SourceRecord
			require.NoError(t, decodeSourceValue(appendSourceValue(nil, "01BATCH", ts, name), &rec))
			require.Equal(t, SourceRecord{Batch: "01BATCH", Ingested: ts, Source: Source{Name: name}}, rec)
		}
	}
	v := appendSourceValue(nil, "01BATCH", time.Now(), "n")
	for i := range len(v) - 1 {
		var rec SourceRecord
		if i < len(v)-2 { // cut inside the header; the last bytes are the name
			require.ErrorIs(t, decodeSourceValue(v[:i], &rec), ErrCorrupt, "cut at %d", i)
		}
	}
	require.Equal(t, []byte{1, 3}, prefixEnd([]byte{1, 2, 0xff}))
	require.Nil(t, prefixEnd([]byte{0xff}))
}

// TestCrashBetweenLedgerAndBatchRecord: FinishBatch wrote the sources to
// the ledger and the process died before it deleted the pending batch. The
// next open finds the batch pending with its segments committed, finishes it
// again and deletes it; the sources are there once. A pending batch without
// segments whose sources reached the ledger (an input with no events for the
// store) is dropped, its sources still taken.
func TestCrashBetweenLedgerAndBatchRecord(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	l, err := Open(ctx, dir, Options{})
	require.NoError(t, err)
	s, err := l.CreateStore(ctx, CreateStoreInput{Name: "store"})
	require.NoError(t, err)

	srcs := []Source{{Digest: hexDigest("a"), Name: "a.json"}, {Digest: hexDigest("b"), Name: "b.json"}}
	batch, err := l.BeginBatch(ctx, s.ID, srcs)
	require.NoError(t, err)
	name := "E"
	day := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	segs, err := l.WriteSegments(ctx, s.ID, batch, []Event{{EventTime: day, EventName: &name, EventJSON: `{}`}})
	require.NoError(t, err)
	_, err = l.Commit(ctx, s.ID, Change{Add: segs})
	require.NoError(t, err)
	require.NoError(t, l.putSources(s.ID, batch, srcs, l.now())) // FinishBatch's first step only

	empty := []Source{{Digest: hexDigest("c"), Name: "c.json"}}
	emptyBatch, err := l.BeginBatch(ctx, s.ID, empty)
	require.NoError(t, err)
	require.NoError(t, l.putSources(s.ID, emptyBatch, empty, l.now()))

	pending, err := l.PendingBatches()
	require.NoError(t, err)
	require.Equal(t, map[string]bool{batch: true, emptyBatch: true}, pending)
	require.NoError(t, l.Close())

	l, err = Open(ctx, dir, Options{})
	require.NoError(t, err)
	defer l.Close()
	pending, err = l.PendingBatches()
	require.NoError(t, err)
	require.Empty(t, pending, "both batches settled")
	for _, src := range append(srcs, empty...) {
		rec, ok, err := l.Ingested(ctx, s.ID, src.Digest)
		require.NoError(t, err)
		require.True(t, ok, src.Name)
		require.Equal(t, src, rec.Source)
	}
	rec, _, err := l.Ingested(ctx, s.ID, srcs[0].Digest)
	require.NoError(t, err)
	require.Equal(t, batch, rec.Batch)
	m, err := l.Manifest(ctx, s.ID)
	require.NoError(t, err)
	require.Equal(t, int64(1), m.Rows(), "the batch's events once")

	// Nothing is left for a third open to do.
	require.NoError(t, l.db.View(func(tx *bolt.Tx) error {
		require.Nil(t, tx.Bucket(bucketSources), "the ledger is not in the control-plane database")
		return nil
	}))
}
