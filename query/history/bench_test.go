package history_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/auditlake/auditlake/lake"
	"github.com/auditlake/auditlake/query/history"
)

// BenchmarkLookup measures lookups over a real lake's event history:
// AUDITLAKE_BENCH_LAKE names the lake folder (e.g. one filled with
// auditlake generate --days 90 and auditlake ingest); skipped without it.
// AUDITLAKE_BENCH_NOW (RFC 3339), when set, is the lookups' now, for a lake
// of events older than 90 days.
func BenchmarkLookup(b *testing.B) {
	dir := os.Getenv("AUDITLAKE_BENCH_LAKE")
	if dir == "" {
		b.Skip("AUDITLAKE_BENCH_LAKE is not set")
	}
	ctx := context.Background()
	l, err := lake.Open(ctx, dir, lake.Options{})
	require.NoError(b, err)
	defer l.Close()
	var opts history.Options
	if v := os.Getenv("AUDITLAKE_BENCH_NOW"); v != "" {
		now, err := time.Parse(time.RFC3339, v)
		require.NoError(b, err)
		opts.Now = func() time.Time { return now }
	}
	s, err := history.New(l, opts)
	require.NoError(b, err)
	defer s.Close()
	for _, c := range []struct {
		name string
		in   history.Input
	}{
		{"newest50", history.Input{}},
		{"EventName", history.Input{Attributes: attr(history.KeyEventName, "ConsoleLogin")}},
		{"Username", history.Input{Attributes: attr(history.KeyUsername, "alice")}},
		{"ResourceName", history.Input{Attributes: attr(history.KeyResourceName, "i-0123456789abcdef0")}},
		{"EventIdMiss", history.Input{Attributes: attr(history.KeyEventID, "no-such-event")}},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_, err := s.Lookup(ctx, c.in)
				require.NoError(b, err)
			}
		})
	}
}
