package lake_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/auditlake/auditlake/lake"
)

// benchEvents returns n events of one day with a CloudTrail-like mix of
// present and NULL maps and a JSON record of about 1 KB.
func benchEvents(n int) []lake.Event {
	rng := rand.New(rand.NewPCG(1, 2))
	day := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	srcs := []string{"ec2.amazonaws.com", "s3.amazonaws.com", "iam.amazonaws.com", "sts.amazonaws.com", "kms.amazonaws.com"}
	names := []string{"DescribeInstances", "GetObject", "AssumeRole", "Decrypt", "ListUsers", "PutObject"}
	out := make([]lake.Event, n)
	for i := range out {
		src, name := srcs[rng.IntN(len(srcs))], names[rng.IntN(len(names))]
		id := fmt.Sprintf("%08x-1111-4c2b-9d9e-%012x", rng.Uint32(), i)
		arn := fmt.Sprintf("arn:aws:sts::123456789012:assumed-role/role-%d/session-%d", rng.IntN(50), rng.IntN(500))
		e := lake.Event{
			EventTime:    day.Add(time.Duration(i) * 86400 * time.Second / time.Duration(n)),
			EventSource:  &srcs[rng.IntN(len(srcs))],
			EventName:    &name,
			EventID:      &id,
			UserIdentity: &lake.UserIdentity{ARN: &arn},
			EventJSON:    fmt.Sprintf(`{"eventID":%q,"eventSource":%q,"eventName":%q,"userIdentity":{"arn":%q},"pad":%q}`, id, src, name, arn, fmt.Sprint(rng.Int64(), rng.Int64())+string(make([]byte, 800))),
		}
		if rng.IntN(10) < 8 {
			e.RequestParameters = map[string]string{"bucketName": fmt.Sprint("b", rng.IntN(20)), "key": fmt.Sprint("k", rng.Int())}
		}
		if rng.IntN(10) < 3 {
			e.ResponseElements = map[string]string{"x": fmt.Sprint(rng.Int())}
		}
		out[i] = e
	}
	return out
}

// BenchmarkWriteSegment writes one day of 32768 events as a segment.
func BenchmarkWriteSegment(b *testing.B) {
	l := openLake(b, b.TempDir(), lake.Options{})
	s := newStore(b, l, "bench")
	events := benchEvents(lake.DefaultRowGroupRows)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := l.WriteSegments(context.Background(), s.ID, "", events); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(events)), "ns/event")
}
