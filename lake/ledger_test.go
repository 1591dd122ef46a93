package lake_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/auditlake/auditlake/lake"
)

func digestOf(i int) string {
	h := sha256.Sum256([]byte(fmt.Sprint(i)))
	return hex.EncodeToString(h[:])
}

func finishSources(t testing.TB, l *lake.Lake, storeID string, srcs ...lake.Source) string {
	t.Helper()
	ctx := context.Background()
	batch, err := l.BeginBatch(ctx, storeID, srcs)
	require.NoError(t, err)
	require.NoError(t, l.FinishBatch(ctx, batch))
	return batch
}

func digestsOf(recs []lake.SourceRecord) []string {
	out := []string{}
	for _, r := range recs {
		out = append(out, r.Digest)
	}
	return out
}

// TestLedgerEntriesAndSlices: entries are per store, survive a reopen, and
// IngestedSlices returns an input's whole entry and slice entries, for hex
// digests and any other text.
func TestLedgerEntriesAndSlices(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	clk := &clock{t: time.Date(2026, 2, 3, 4, 5, 6, 789, time.UTC)}
	l, err := lake.Open(ctx, dir, lake.Options{Now: clk.now})
	require.NoError(t, err)
	a, b := newStore(t, l, "store-a"), newStore(t, l, "store-b")
	h, h2 := digestOf(1), digestOf(2)
	batch := finishSources(t, l, a.ID,
		lake.Source{Digest: h, Name: "whole.json.gz"},
		lake.Source{Digest: h + "@100/200", Name: "slice.json.gz"},
		lake.Source{Digest: h + "@/50", Name: "slice.json.gz"},
		lake.Source{Digest: h2 + "@1/", Name: "other.json.gz"},
		lake.Source{Digest: "d", Name: "d"},
		lake.Source{Digest: "d@1/2", Name: "d-slice"},
		lake.Source{Digest: "dd", Name: "dd"},
		lake.Source{Digest: "d1@x", Name: "d1"},
	)
	finishSources(t, l, b.ID, lake.Source{Digest: h2, Name: "b.json.gz"})
	require.NoError(t, l.Close())

	l = openLake(t, dir, lake.Options{})
	rec, ok, err := l.Ingested(ctx, a.ID, h)
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, lake.SourceRecord{Source: lake.Source{Digest: h, Name: "whole.json.gz"}, Batch: batch, Ingested: clk.t}, rec)
	_, ok, err = l.Ingested(ctx, a.ID, h2)
	require.NoError(t, err)
	require.False(t, ok, "a slice is not the whole input")
	_, ok, err = l.Ingested(ctx, b.ID, h)
	require.NoError(t, err)
	require.False(t, ok, "another store's entry")
	_, ok, err = l.Ingested(ctx, lake.HistoryStoreID, h)
	require.NoError(t, err)
	require.False(t, ok)

	recs, err := l.IngestedSlices(ctx, a.ID, h)
	require.NoError(t, err)
	require.Equal(t, []string{h, h + "@/50", h + "@100/200"}, digestsOf(recs))
	require.Equal(t, "slice.json.gz", recs[1].Name)
	recs, err = l.IngestedSlices(ctx, a.ID, h2)
	require.NoError(t, err)
	require.Equal(t, []string{h2 + "@1/"}, digestsOf(recs))
	recs, err = l.IngestedSlices(ctx, a.ID, "d")
	require.NoError(t, err)
	require.Equal(t, []string{"d", "d@1/2"}, digestsOf(recs), "not dd, nor d1@x")
	recs, err = l.IngestedSlices(ctx, b.ID, h)
	require.NoError(t, err)
	require.Empty(t, recs)

	require.NoError(t, l.Close())
	_, _, err = l.Ingested(ctx, a.ID, h)
	require.ErrorIs(t, err, lake.ErrClosed)
}

// raceEnabled is set in race builds (race_test.go).
var raceEnabled bool

// TestIngestedAllocations: ingest looks up every input in two stores; a
// lookup allocates its key, and a hit its record's text, little more. In a
// race build Pebble's invariant checks allocate one more.
func TestIngestedAllocations(t *testing.T) {
	ctx := context.Background()
	l := openLake(t, t.TempDir(), lake.Options{})
	s := newStore(t, l, "allocs")
	have, absent := digestOf(1), digestOf(2)
	finishSources(t, l, s.ID, lake.Source{Digest: have, Name: "one"})
	miss := testing.AllocsPerRun(200, func() {
		if _, ok, err := l.Ingested(ctx, s.ID, absent); ok || err != nil {
			panic("unexpected")
		}
	})
	hit := testing.AllocsPerRun(200, func() {
		if _, ok, err := l.Ingested(ctx, s.ID, have); !ok || err != nil {
			panic("unexpected")
		}
	})
	t.Logf("allocations: miss %.1f, hit %.1f", miss, hit)
	slack := 0.0
	if raceEnabled {
		slack = 1
	}
	require.LessOrEqual(t, miss, 1+slack, "the key")
	require.LessOrEqual(t, hit, 2+slack, "the key, the record's batch and name")
}

// TestPurgeDeletesLedger: purging a store deletes its ledger entries and no
// other store's; a purge cut short deletes them when it is finished.
func TestPurgeDeletesLedger(t *testing.T) {
	ctx := context.Background()
	clk := &clock{t: time.Date(2027, 1, 10, 12, 0, 0, 0, time.UTC)}
	dir := t.TempDir()
	l, err := lake.Open(ctx, dir, lake.Options{Now: clk.now})
	require.NoError(t, err)
	doomed, kept := newStore(t, l, "doomed"), newStore(t, l, "kept")
	var srcs []lake.Source
	for i := range 100 {
		srcs = append(srcs, lake.Source{Digest: digestOf(i), Name: fmt.Sprint(i)})
	}
	srcs = append(srcs, lake.Source{Digest: digestOf(0) + "@1/2"}, lake.Source{Digest: "text"})
	finishSources(t, l, doomed.ID, srcs...)
	finishSources(t, l, kept.ID, srcs...)
	taken := func(store string) int {
		n := 0
		for _, s := range srcs {
			recs, err := l.IngestedSlices(ctx, store, s.Digest)
			require.NoError(t, err)
			n += len(recs)
		}
		return n
	}
	require.Equal(t, 103, taken(doomed.ID)) // digest 0 also counts its slice

	_, err = l.DeleteStore(ctx, doomed.ID)
	require.NoError(t, err)
	clk.t = clk.t.Add(8 * 24 * time.Hour)
	_, err = l.PurgeStore(ctx, doomed.ID)
	require.NoError(t, err)
	require.Zero(t, taken(doomed.ID))
	require.Equal(t, 103, taken(kept.ID))

	// A purge cut short after its record was written: the ledger entries
	// are still there (put back here) until the purge is finished.
	finishSources(t, l, doomed.ID, srcs[:10]...)
	require.NoError(t, l.ControlUpdate(func(c lake.Control) error { return c.Put("purges", doomed.ID, map[string]any{}) }))
	require.NoError(t, l.Close())
	l = openLake(t, dir, lake.Options{Now: clk.now})
	require.Equal(t, 10, taken(doomed.ID))
	st, err := l.FinishPurges(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, st.Stores)
	require.Zero(t, taken(doomed.ID))
	require.Equal(t, 103, taken(kept.ID))
}

// TestMissingLedgerIsRefused: a lake folder whose ledger is gone (restored
// from a backup without it) is refused, instead of opening an empty ledger
// under which every input would be ingested a second time.
func TestMissingLedgerIsRefused(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	l, err := lake.Open(ctx, dir, lake.Options{})
	require.NoError(t, err)
	require.NoError(t, l.Close())
	require.NoError(t, os.RemoveAll(filepath.Join(dir, "ledger")))
	_, err = lake.Open(ctx, dir, lake.Options{})
	require.ErrorContains(t, err, "restore ledger/")
}
