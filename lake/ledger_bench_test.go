package lake

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

// BenchmarkIngested looks up inputs in a ledger holding 500,000 sources of
// one store, as ingest does for every input it reads: misses (new inputs,
// the common case) and hits (inputs taken before).
func BenchmarkIngested(b *testing.B) {
	const stored = 500_000
	ctx := context.Background()
	l, err := Open(ctx, b.TempDir(), Options{})
	require.NoError(b, err)
	defer l.Close()
	const store = "00000000-0000-4000-8000-000000000001"
	now := l.now()
	for i := 0; i < stored; i += 10_000 {
		srcs := make([]Source, 10_000)
		for j := range srcs {
			srcs[j] = Source{Digest: hexDigest(fmt.Sprint("in", i+j)), Name: fmt.Sprintf("AWSLogs/123456789012/CloudTrail/us-east-1/2026/01/01/%d.json.gz", i+j)}
		}
		require.NoError(b, l.putSources(store, "batch", srcs, now))
	}
	require.NoError(b, l.ledger.Flush())
	for _, tc := range []struct {
		name   string
		prefix string
		found  bool
	}{{"miss", "new", false}, {"hit", "in", true}} {
		digests := make([]string, 100_000)
		for i := range digests {
			digests[i] = hexDigest(fmt.Sprint(tc.prefix, (i*7919)%stored))
		}
		b.Run(tc.name, func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				_, ok, err := l.Ingested(ctx, store, digests[i%len(digests)])
				if err != nil || ok != tc.found {
					b.Fatalf("Ingested: %v, %v", ok, err)
				}
			}
		})
	}
}
