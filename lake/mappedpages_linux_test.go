package lake_test

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/auditlake/auditlake/lake"
)

// mappedKiB is the resident size, in KiB, of this process's mappings of
// the file at path name (from /proc/self/smaps).
func mappedKiB(t *testing.T, name string) int {
	t.Helper()
	f, err := os.Open("/proc/self/smaps")
	require.NoError(t, err)
	defer f.Close()
	kib, in := 0, false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if fields := strings.Fields(line); len(fields) >= 5 && strings.Contains(fields[0], "-") && !strings.HasSuffix(fields[0], ":") {
			// A mapping's header line: address range, permissions, offset,
			// device, inode, then the path (none for anonymous memory).
			in = len(fields) >= 6 && fields[5] == name
			continue
		}
		if in && strings.HasPrefix(line, "Rss:") {
			n, err := strconv.Atoi(strings.Fields(line)[1])
			require.NoError(t, err)
			kib += n
		}
	}
	require.NoError(t, sc.Err())
	return kib
}

// TestLedgerPagesLeaveResidentSet checks that finishing an ingest batch
// drops the control-plane database's mapped pages from the process's
// resident set (mappedpages_linux.go), and that the ledger still answers
// for every source afterwards.
func TestLedgerPagesLeaveResidentSet(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	l := openLake(t, dir, lake.Options{})
	s := newStore(t, l, "ledger-pages")
	digest := func(i int) string {
		h := sha256.Sum256([]byte(strconv.Itoa(i)))
		return hex.EncodeToString(h[:])
	}
	const n = 20000 // several MB of ledger pages
	for b := 0; b < 4; b++ {
		srcs := make([]lake.Source, 0, n/4)
		for i := b * n / 4; i < (b+1)*n/4; i++ {
			srcs = append(srcs, lake.Source{Digest: digest(i), Name: fmt.Sprintf("AWSLogs/123456789012/CloudTrail/us-east-1/2026/01/01/file-%06d.json.gz", i)})
		}
		batch, err := l.BeginBatch(ctx, s.ID, srcs)
		require.NoError(t, err)
		require.NoError(t, l.FinishBatch(ctx, batch))
	}
	// A small batch, begun before the pages are touched so that finishing
	// it grows nothing (a bigger file would be mapped anew, which also
	// empties the resident set).
	last, err := l.BeginBatch(ctx, s.ID, []lake.Source{{Digest: digest(n), Name: "last.json.gz"}})
	require.NoError(t, err)
	// Touch pages all over the file: look up sources spread over it, one
	// fewer than the lookups after which Ingested releases the pages
	// itself (releaseEvery).
	for i := 0; i < 511; i++ {
		_, ok, err := l.Ingested(ctx, s.ID, digest(i*39%n))
		require.NoError(t, err)
		require.True(t, ok)
	}
	before := mappedKiB(t, filepath.Join(dir, "auditlake.db"))
	require.Greater(t, before, 2048, "the ledger's pages should be resident after reading them all")

	require.NoError(t, l.FinishBatch(ctx, last))
	after := mappedKiB(t, filepath.Join(dir, "auditlake.db"))
	require.Less(t, after, before/4, "resident KiB of the mapped database: %d before the batch finished, %d after", before, after)

	for i := 0; i <= n; i++ {
		rec, ok, err := l.Ingested(ctx, s.ID, digest(i))
		require.NoError(t, err)
		require.True(t, ok, "source %d", i)
		require.Equal(t, digest(i), rec.Digest)
	}
}
