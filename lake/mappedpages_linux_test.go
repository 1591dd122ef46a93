package lake_test

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

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

// TestLedgerMoveLeavesResidentSet checks that moving an old lake's ledger
// out of auditlake.db, which reads all of it, drops the file's mapped pages
// from the process's resident set as it goes (mappedpages_linux.go).
func TestLedgerMoveLeavesResidentSet(t *testing.T) {
	dir := t.TempDir()
	l := openLake(t, dir, lake.Options{})
	s := newStore(t, l, "ledger-pages")
	require.NoError(t, l.Close())
	writeOldLedger(t, dir, map[string][]lake.SourceRecord{s.ID: oldRecords(40000, "01B", time.Now().UTC())})
	path := filepath.Join(dir, "auditlake.db")
	fi, err := os.Stat(path)
	require.NoError(t, err)
	require.Greater(t, fi.Size(), int64(8<<20), "several MB of ledger pages")

	l = openLake(t, dir, lake.Options{})
	kib := mappedKiB(t, path)
	require.Less(t, kib, int(fi.Size()>>10)/8, "resident KiB of the mapped database after the move (file %d KiB)", fi.Size()>>10)
	_, ok, err := l.Ingested(t.Context(), s.ID, digestOf(39999))
	require.NoError(t, err)
	require.True(t, ok)
}
