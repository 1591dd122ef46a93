package lake

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestManifestFormats checks that a version-1 manifest (no keyCuts, as
// auditlake wrote before version 2) still reads and verifies, that a
// version-2 one keeps its segments' keyCuts, and that a newer version is
// refused by version, not as corrupt.
func TestManifestFormats(t *testing.T) {
	seg := Segment{ID: "01J0000000000000000000000", Key: "k", Day: "2026-01-01", MinTime: time.Unix(0, 0).UTC(), MaxTime: time.Unix(1, 0).UTC(),
		Rows: 1, Bytes: 2, SHA256: "ab", Format: FormatVersion}
	v1 := &Manifest{Format: 1, Store: "s", Version: 3, Segments: []Segment{seg}}
	doc, err := encodeManifest(v1)
	require.NoError(t, err)
	require.NotContains(t, string(doc), "keyCuts")
	m, err := decodeManifest(doc)
	require.NoError(t, err)
	require.False(t, m.Segments[0].KeyCuts)

	seg.KeyCuts = true
	doc, err = encodeManifest(&Manifest{Format: ManifestFormat, Store: "s", Version: 4, Segments: []Segment{seg}})
	require.NoError(t, err)
	m, err = decodeManifest(doc)
	require.NoError(t, err)
	require.True(t, m.Segments[0].KeyCuts)

	_, err = decodeManifest([]byte(strings.Replace(string(doc), `"formatVersion": 2`, `"formatVersion": 3`, 1)))
	require.ErrorContains(t, err, "manifest format 3 is newer than this auditlake reads (2)")
}
