package lake_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/auditlake/auditlake/lake"
)

func TestControlRecordsSurviveReopen(t *testing.T) {
	dir := t.TempDir()
	l := openLake(t, dir, lake.Options{})
	type rec struct{ N int }
	require.NoError(t, l.ControlUpdate(func(c lake.Control) error {
		for i, k := range []string{"b", "a", "c"} {
			if err := c.Put("queries", k, rec{i}); err != nil {
				return err
			}
		}
		return c.Delete("queries", "c")
	}))
	// A failing transaction leaves nothing behind.
	boom := errors.New("boom")
	require.ErrorIs(t, l.ControlUpdate(func(c lake.Control) error {
		require.NoError(t, c.Put("queries", "z", rec{9}))
		return boom
	}), boom)
	require.NoError(t, l.Close())

	l = openLake(t, dir, lake.Options{})
	var keys []string
	require.NoError(t, l.ControlView(func(c lake.Control) error {
		var r rec
		if err := c.Get("queries", "a", &r); err != nil {
			return err
		}
		require.Equal(t, 1, r.N)
		require.ErrorIs(t, c.Get("queries", "z", &r), lake.ErrNoRecord)
		require.ErrorIs(t, c.Get("never-written", "a", &r), lake.ErrNoRecord)
		return c.Scan("queries", "", func(k string, _ []byte) (bool, error) {
			keys = append(keys, k)
			return true, nil
		})
	}))
	require.Equal(t, []string{"a", "b"}, keys)
	require.Error(t, l.ControlUpdate(func(c lake.Control) error { return c.Put("Bad/Name", "k", 1) }))
}
