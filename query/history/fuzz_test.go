package history_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/auditlake/auditlake/lake"
	"github.com/auditlake/auditlake/query/history"
)

// FuzzLookupRequest feeds arbitrary attributes, categories, sizes and
// tokens to Lookup over an empty history: each request either succeeds or
// fails with one of the model's errors, never panics or fails otherwise.
func FuzzLookupRequest(f *testing.F) {
	f.Add("EventName", "ConsoleLogin", "", 0, "", int64(0), int64(0))
	f.Add("ReadOnly", "true", "insight", 50, "eyJ0IjoxLCJpIjoiYSIsInEiOiJiIn0", int64(-3600), int64(0))
	f.Add("Username", "_ ,\n", "management", 51, "%%%", int64(3600), int64(-3600))
	f.Add("", "", "", -1, "e30", int64(-1e9), int64(1e9))
	ctx := context.Background()
	l, err := lake.Open(ctx, filepath.Join(f.TempDir(), "lake"), lake.Options{Now: func() time.Time { return t0 }})
	require.NoError(f, err)
	defer l.Close()
	s, err := history.New(l, history.Options{Now: func() time.Time { return t0 }})
	require.NoError(f, err)
	defer s.Close()
	known := []error{history.ErrInvalidLookupAttributes, history.ErrInvalidTimeRange, history.ErrInvalidMaxResults,
		history.ErrInvalidNextToken, history.ErrInvalidEventCategory}
	f.Fuzz(func(t *testing.T, key, value, category string, max int, token string, startOff, endOff int64) {
		in := history.Input{Category: category, MaxResults: max, NextToken: token}
		if key != "" {
			in.Attributes = []history.Attribute{{Key: key, Value: value}}
		}
		if startOff != 0 {
			in.Start = t0.Add(time.Duration(startOff) * time.Second)
		}
		if endOff != 0 {
			in.End = t0.Add(time.Duration(endOff) * time.Second)
		}
		p, err := s.Lookup(ctx, in)
		if err == nil {
			require.Empty(t, p.Events)
			return
		}
		for _, k := range known {
			if errors.Is(err, k) {
				return
			}
		}
		t.Fatalf("unexpected error: %v", err)
	})
}
