package lake_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/auditlake/auditlake/lake"
)

// A segment of another format version is refused by name, not handed to a
// reader that would misread it.
func TestSegmentsRefuseOtherFormatVersions(t *testing.T) {
	ctx := context.Background()
	l := openLake(t, t.TempDir(), lake.Options{})
	s, err := l.CreateStore(ctx, lake.CreateStoreInput{Name: "old"})
	require.NoError(t, err)
	day := time.Date(2025, 3, 4, 0, 0, 0, 0, time.UTC)
	segs, err := l.WriteSegments(ctx, s.ID, "", events(day, 3))
	require.NoError(t, err)
	segs[0].Format = lake.FormatVersion - 1
	_, err = l.Commit(ctx, s.ID, lake.Change{Add: segs})
	require.NoError(t, err)
	_, _, err = l.Segments(ctx, s.ID, time.Time{}, time.Time{})
	require.ErrorIs(t, err, lake.ErrCorrupt)
	require.ErrorContains(t, err, "format version 1")
}
