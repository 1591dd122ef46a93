package ingest_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/stretchr/testify/require"

	"github.com/auditlake/auditlake/ingest"
	"github.com/auditlake/auditlake/lake"
)

const crashChildEnv = "AUDITLAKE_CRASH_CHILD"

// crashChild is the ingest process the crash test kills: it ingests the
// folder into the store, printing "acked DIGEST" for each input as soon as
// ingest reports it durable.
func crashChild() {
	dir, input := os.Getenv("AUDITLAKE_CRASH_LAKE"), os.Getenv("AUDITLAKE_CRASH_INPUT")
	ctx := context.Background()
	l, err := lake.Open(ctx, dir, lake.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, "open:", err)
		os.Exit(2)
	}
	_, err = ingest.Paths(ctx, l, "crash", []string{input}, ingest.Options{BufferBytes: 256 << 10}, func(r ingest.SourceResult) {
		fmt.Fprintf(os.Stdout, "acked %s\n", r.Digest) // unbuffered: the line is out before the next input
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "ingest:", err)
		os.Exit(3)
	}
	if err := l.Close(); err != nil {
		os.Exit(4)
	}
}

// TestCrashAnywhereLosesAndDuplicatesNothing kills a real ingest process
// with SIGKILL at random moments, reopens the lake after each kill, and
// checks that every input acknowledged so far is there exactly once and no
// event is there twice; a final run must then complete the ingest.
func TestCrashAnywhereLosesAndDuplicatesNothing(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 1))
	dir, input := t.TempDir(), t.TempDir()
	files := 120
	if testing.Short() {
		files = 40
	}
	want := writeCrashInputs(t, input, files, 150) // digest -> event IDs

	ctx := context.Background()
	l, err := lake.Open(ctx, dir, lake.Options{})
	require.NoError(t, err)
	_, err = l.CreateStore(ctx, lake.CreateStoreInput{Name: "crash"})
	require.NoError(t, err)
	require.NoError(t, l.Close())

	acked := map[string]bool{}
	interrupted := 0
	for round := 0; round < 30; round++ {
		last := round >= 8 || (testing.Short() && round >= 4)
		var killAfter time.Duration
		if !last {
			// Most ingests take well under a second here: kill early
			// enough to land anywhere in one (at least 1 ms, so that the
			// helper sets a kill at all).
			killAfter = time.Duration(1+rng.IntN(120)) * time.Millisecond
		}
		stderr, err := runAckingChild(t, []string{crashChildEnv + "=1", "AUDITLAKE_CRASH_LAKE=" + dir, "AUDITLAKE_CRASH_INPUT=" + input},
			killAfter, func(digest string) { acked[digest] = true })
		t.Logf("round %d: %d inputs acknowledged so far, process ended: %v", round, len(acked), err)
		if err != nil && len(acked) < len(want) {
			interrupted++
		}
		if last {
			require.NoError(t, err, "the final ingest must complete: %s", stderr)
		}
		checkExactlyOnce(t, dir, want, acked)
		if err == nil {
			break
		}
	}
	require.Positive(t, interrupted, "at least one kill must land in the middle of an ingest")
	require.Len(t, acked, len(want), "every input was acknowledged in the end")
	got := storedEventIDs(t, dir)
	require.Len(t, got, files*150, "all events are there, once")
}

// checkExactlyOnce opens the lake as the next process would and checks that
// no event is stored twice and every acknowledged input is stored whole.
func checkExactlyOnce(t *testing.T, dir string, want map[string][]string, acked map[string]bool) {
	t.Helper()
	got := storedEventIDs(t, dir)
	for digest := range acked {
		ids, ok := want[digest]
		require.True(t, ok, "acked an unknown input %s", digest)
		for _, id := range ids {
			require.Equal(t, 1, got[id], "event %s of acknowledged input %s", id, digest)
		}
	}
	for id, n := range got {
		require.Equal(t, 1, n, "event %s is stored %d times", id, n)
	}
}

func storedEventIDs(t *testing.T, dir string) map[string]int {
	t.Helper()
	ctx := context.Background()
	l, err := lake.Open(ctx, dir, lake.Options{})
	require.NoError(t, err)
	defer l.Close()
	s, err := l.GetStore(ctx, "crash")
	require.NoError(t, err)
	paths, release, err := l.Segments(ctx, s.ID, time.Time{}, time.Time{})
	require.NoError(t, err)
	defer release()
	got := map[string]int{}
	for _, p := range paths {
		rows, err := parquet.ReadFile[lake.Event](p)
		require.NoError(t, err)
		for _, ev := range rows {
			got[*ev.EventID]++
		}
	}
	return got
}

// writeCrashInputs writes n gzip-less CloudTrail files of per events each,
// spread over a few days, and returns each file's digest with its event IDs.
func writeCrashInputs(t *testing.T, dir string, n, per int) map[string][]string {
	t.Helper()
	want := map[string][]string{}
	base := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	for f := range n {
		var b strings.Builder
		b.WriteString(`{"Records":[`)
		var ids []string
		for i := range per {
			id := fmt.Sprintf("f%03d-e%03d", f, i)
			ids = append(ids, id)
			if i > 0 {
				b.WriteByte(',')
			}
			ts := base.Add(time.Duration(f*per+i) * 37 * time.Second).Format(time.RFC3339)
			fmt.Fprintf(&b, `{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/u%d"},"eventTime":%q,"eventSource":"iam.amazonaws.com","eventName":"GetUser","awsRegion":"us-east-1","sourceIPAddress":"192.0.2.%d","requestParameters":{"userName":"u%d","padding":"%s"},"eventID":%q,"readOnly":true,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management"}`,
				i%13, ts, i%250, i, strings.Repeat("x", 200), id)
		}
		b.WriteString(`]}`)
		path := filepath.Join(dir, fmt.Sprintf("file-%03d.json", f))
		require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o644))
		want[digestOf([]byte(b.String()))] = ids
	}
	return want
}
