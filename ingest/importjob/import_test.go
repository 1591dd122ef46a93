package importjob_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/auditlake/auditlake/ingest/importjob"
	"github.com/auditlake/auditlake/lake"
)

const childEnv = "AUDITLAKE_IMPORT_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		importChild()
		return
	}
	goleak.VerifyTestMain(m,
		goleak.IgnoreTopFunction("net/http.(*persistConn).readLoop"),
		goleak.IgnoreTopFunction("net/http.(*persistConn).writeLoop"),
		goleak.IgnoreTopFunction("internal/poll.runtime_pollWait"))
}

// TestImportTrail imports a trail with every kind of broken file, digest
// and Insights folders, three accounts (one in an organization trail) and
// two regions into two stores with different selectors, from a folder and
// from an S3 server; then imports it again and adds nothing.
func TestImportTrail(t *testing.T) {
	tr := newTrail(t)
	for _, backend := range []string{"file", "s3"} {
		t.Run(backend, func(t *testing.T) {
			var src string
			if backend == "file" {
				src = tr.writeDir(t)
			} else {
				src = tr.upload(t, startS3(t), "exports/")
			}
			ctx := context.Background()
			l := newLake(t, t.TempDir())
			m := importjob.New(l, importjob.Options{Workers: 3})
			in := importjob.StartInput{Source: src, Destinations: []string{"mgmt", "data"}}
			im, err := m.Run(ctx, in, nil)
			require.NoError(t, err)
			require.Equal(t, importjob.StatusCompleted, im.Status, im.Error)

			wantMgmt, wantData := tr.want(false, time.Time{}, time.Time{}), tr.want(true, time.Time{}, time.Time{})
			require.Equal(t, wantMgmt, storedIDs(t, l, "mgmt"))
			require.Equal(t, wantData, storedIDs(t, l, "data"))
			st := im.Stats
			require.EqualValues(t, 3*2*3, st.PrefixesFound, "day prefixes; digest and Insights folders are not prefixes")
			require.Equal(t, st.PrefixesFound, st.PrefixesCompleted)
			require.EqualValues(t, 3*2*3*2+6, st.FilesCompleted)
			require.EqualValues(t, len(wantMgmt)+len(wantData), st.EventsCompleted)

			failures, next, err := m.Failures(ctx, im.ID, "", 0)
			require.NoError(t, err)
			require.Empty(t, next)
			require.Len(t, failures, int(st.FailedEntries))
			kinds := map[string]bool{}
			for _, f := range failures {
				kinds[f.ErrorType] = true
				require.Equal(t, importjob.FailureFailed, f.Status)
				require.Contains(t, f.Location, "/2025/03/02/")
				require.NotEmpty(t, f.ErrorMessage)
			}
			for _, k := range brokenKinds {
				require.True(t, kinds[k], "a %s failure among %+v", k, failures)
			}
			page, next, err := m.Failures(ctx, im.ID, "", 2)
			require.NoError(t, err)
			require.Len(t, page, 2)
			rest, _, err := m.Failures(ctx, im.ID, next, 0)
			require.NoError(t, err)
			require.Equal(t, failures, append(page, rest...))

			hist, err := l.History(ctx)
			require.NoError(t, err)
			require.Equal(t, wantMgmt, historyIDs(t, l), "management events reach the event history, once")
			require.Empty(t, storedIDs(t, l, hist.ID), "mgmt shares its segments with the history: the history store copies none")

			again, err := m.Run(ctx, in, nil)
			require.NoError(t, err)
			require.NotEqual(t, im.ID, again.ID)
			require.Equal(t, importjob.StatusCompleted, again.Status)
			require.Zero(t, again.Stats.EventsCompleted)
			require.Equal(t, wantMgmt, storedIDs(t, l, "mgmt"))
			require.Equal(t, wantData, storedIDs(t, l, "data"))
			require.Equal(t, wantMgmt, historyIDs(t, l))
		})
	}
}

// TestImportTimeRanges imports two overlapping ranges that cut files in
// the middle; the store ends with the union of the ranges, once.
func TestImportTimeRanges(t *testing.T) {
	tr := newTrail(t)
	src := tr.writeDir(t)
	ctx := context.Background()
	l := newLake(t, t.TempDir())
	m := importjob.New(l, importjob.Options{Workers: 2})

	s1, e1 := trailDay.Add(2*time.Hour+4*time.Minute), trailDay.AddDate(0, 0, 1).Add(2*time.Hour+5*time.Minute)
	im, err := m.Run(ctx, importjob.StartInput{Source: src, Destinations: []string{"mgmt"}, Start: s1, End: e1}, nil)
	require.NoError(t, err)
	require.Equal(t, importjob.StatusCompleted, im.Status, im.Error)
	require.EqualValues(t, 3*2*3, im.Stats.PrefixesFound, "the day after the end may hold late deliveries")
	require.Equal(t, tr.want(false, s1, e1), storedIDs(t, l, "mgmt"))

	s2, e2 := trailDay.AddDate(0, 0, 1).Add(2*time.Hour+1*time.Minute), trailDay.AddDate(0, 0, 1).Add(12*time.Hour+3*time.Minute)
	im, err = m.Run(ctx, importjob.StartInput{Source: src, Destinations: []string{"mgmt"}, Start: s2, End: e2}, nil)
	require.NoError(t, err)
	require.EqualValues(t, 3*2*2, im.Stats.PrefixesFound, "the first day is pruned by the key names")
	want := tr.want(false, s1, e1)
	for id := range tr.want(false, s2, e2) {
		want[id] = 1
	}
	require.Equal(t, want, storedIDs(t, l, "mgmt"))

	// The whole range after the two slices: every event, once.
	_, err = m.Run(ctx, importjob.StartInput{Source: src, Destinations: []string{"mgmt"}}, nil)
	require.NoError(t, err)
	require.Equal(t, tr.want(false, time.Time{}, time.Time{}), storedIDs(t, l, "mgmt"))
}

// TestImportStopAndRestart stops an import from an S3 server in the
// middle; restarting it by ID completes it without reading the files done
// and without duplicates.
func TestImportStopAndRestart(t *testing.T) {
	tr := newTrail(t)
	s3 := startS3(t)
	src := tr.upload(t, s3, "")
	ctx := context.Background()
	l := newLake(t, t.TempDir())
	m := importjob.New(l, importjob.Options{Workers: 1, Downloads: 1, BufferBytes: 64 << 10})
	t.Cleanup(func() { _ = m.Close(ctx) })
	im, err := m.Start(ctx, importjob.StartInput{Source: src, Destinations: []string{"mgmt"}})
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		cur, err := m.Get(ctx, im.ID)
		return err == nil && cur.Stats.FilesCompleted >= 5
	}, 20*time.Second, 5*time.Millisecond)
	stopped, err := m.Stop(ctx, im.ID)
	require.NoError(t, err)
	require.Equal(t, importjob.StatusStopped, stopped.Status)
	done := stopped.Stats.FilesCompleted
	require.Less(t, done, int64(3*2*3*2+6), "stopped in the middle")
	list, _, err := m.List(ctx, importjob.ListInput{Status: importjob.StatusStopped})
	require.NoError(t, err)
	require.Len(t, list, 1)

	_, err = m.Start(ctx, importjob.StartInput{ID: im.ID})
	require.NoError(t, err)
	var final importjob.Import
	require.Eventually(t, func() bool {
		final, err = m.Get(ctx, im.ID)
		return err == nil && final.Finished()
	}, 30*time.Second, 10*time.Millisecond)
	require.Equal(t, importjob.StatusCompleted, final.Status, final.Error)
	require.EqualValues(t, 3*2*3*2+6, final.Stats.FilesCompleted)
	require.Equal(t, final.Stats.FilesCompleted-done, final.Stats.FilesFound, "the restart reads only the files not done")
	want := tr.want(false, time.Time{}, time.Time{})
	require.Equal(t, want, storedIDs(t, l, "mgmt"))
	require.EqualValues(t, len(want), final.Stats.EventsCompleted)
}

// importChild is the import process TestImportKilledResumes kills: it
// prints the import's statistics as JSON each time they change.
func importChild() {
	ctx := context.Background()
	l, err := lake.Open(ctx, os.Getenv("AUDITLAKE_IMPORT_LAKE"), lake.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, "open:", err)
		os.Exit(2)
	}
	m := importjob.New(l, importjob.Options{Workers: 1, Downloads: 1, BufferBytes: 64 << 10})
	in := importjob.StartInput{Source: os.Getenv("AUDITLAKE_IMPORT_SOURCE"), Destinations: []string{"mgmt", "data"}}
	if prev, ok, err := m.Resumable(ctx, in); err == nil && ok {
		in = importjob.StartInput{ID: prev.ID}
	}
	_, err = m.Run(ctx, in, func(im importjob.Import) {
		b, _ := json.Marshal(im.Stats)
		fmt.Fprintln(os.Stdout, string(b))
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "import:", err)
		os.Exit(3)
	}
	_ = l.Close()
}

// TestImportKilledResumes kills an import process with SIGKILL in the
// middle; running it again resumes the same import and the stores end with
// every event exactly once.
func TestImportKilledResumes(t *testing.T) {
	tr := newTrail(t)
	src := tr.writeDir(t)
	dir := t.TempDir()
	l := newLake(t, dir)
	require.NoError(t, l.Close())

	run := func(killAfter int64) {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), childEnv+"=1", "AUDITLAKE_IMPORT_LAKE="+dir, "AUDITLAKE_IMPORT_SOURCE="+src)
		out, err := cmd.StdoutPipe()
		require.NoError(t, err)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		require.NoError(t, cmd.Start())
		sc := bufio.NewScanner(out)
		killed := false
		for sc.Scan() {
			var st importjob.Stats
			require.NoError(t, json.Unmarshal(sc.Bytes(), &st))
			if killAfter > 0 && st.FilesCompleted >= killAfter && !killed {
				require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
				killed = true
			}
		}
		err = cmd.Wait()
		if killAfter > 0 {
			require.True(t, killed, "the import ended before it was killed: %s", stderr.String())
			return
		}
		require.NoError(t, err, stderr.String())
	}
	run(8)
	run(20)
	run(0)

	ctx := context.Background()
	l, err := lake.Open(ctx, dir, lake.Options{})
	require.NoError(t, err)
	defer l.Close()
	require.Equal(t, tr.want(false, time.Time{}, time.Time{}), storedIDs(t, l, "mgmt"))
	require.Equal(t, tr.want(true, time.Time{}, time.Time{}), storedIDs(t, l, "data"))
	m := importjob.New(l, importjob.Options{})
	list, _, err := m.List(ctx, importjob.ListInput{})
	require.NoError(t, err)
	require.Len(t, list, 1, "the runs resumed one import")
	require.Equal(t, importjob.StatusCompleted, list[0].Status)
	require.EqualValues(t, 3*2*3*2+6, list[0].Stats.FilesCompleted)
	require.EqualValues(t, 6, list[0].Stats.FailedEntries, "each broken file reported once")
}

// TestImportResumesAfterServerRestart closes the manager in the middle of
// an import, as a server shutting down does; a new manager's ResumeAll
// completes it, reading only what was not done.
func TestImportResumesAfterServerRestart(t *testing.T) {
	tr := newTrail(t)
	src := tr.writeDir(t)
	ctx := context.Background()
	l := newLake(t, t.TempDir())
	m := importjob.New(l, importjob.Options{Workers: 1, Downloads: 1, BufferBytes: 64 << 10})
	im, err := m.Start(ctx, importjob.StartInput{Source: src, Destinations: []string{"mgmt", "data"}})
	require.NoError(t, err)
	_, err = m.Start(ctx, importjob.StartInput{Source: src, Destinations: []string{"mgmt"}})
	require.ErrorIs(t, err, importjob.ErrOngoingImport, "one import runs at a time")
	require.Eventually(t, func() bool {
		cur, err := m.Get(ctx, im.ID)
		return err == nil && cur.Stats.FilesCompleted >= 5
	}, 20*time.Second, 5*time.Millisecond)
	require.NoError(t, m.Close(ctx))
	cut, err := m.Get(ctx, im.ID)
	require.NoError(t, err)
	require.Equal(t, importjob.StatusInProgress, cut.Status, "an interrupted import stays IN_PROGRESS")
	require.Less(t, cut.Stats.FilesCompleted, int64(3*2*3*2+6))

	m2 := importjob.New(l, importjob.Options{})
	t.Cleanup(func() { _ = m2.Close(ctx) })
	require.NoError(t, m2.ResumeAll(ctx))
	var final importjob.Import
	require.Eventually(t, func() bool {
		final, err = m2.Get(ctx, im.ID)
		return err == nil && final.Finished()
	}, 30*time.Second, 10*time.Millisecond)
	require.Equal(t, importjob.StatusCompleted, final.Status, final.Error)
	require.Equal(t, final.Stats.FilesCompleted-cut.Stats.FilesCompleted, final.Stats.FilesFound)
	require.Equal(t, tr.want(false, time.Time{}, time.Time{}), storedIDs(t, l, "mgmt"))
	require.Equal(t, tr.want(true, time.Time{}, time.Time{}), storedIDs(t, l, "data"))
}

// TestImportFails reports an import that cannot list its source as FAILED,
// with the reason among its failures.
func TestImportFails(t *testing.T) {
	ctx := context.Background()
	l := newLake(t, t.TempDir())
	m := importjob.New(l, importjob.Options{})
	t.Setenv("AWS_ACCESS_KEY_ID", "k")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "s")
	im, err := m.Run(ctx, importjob.StartInput{
		Source:       "s3://nowhere/AWSLogs/?endpoint=http://127.0.0.1:1&use_path_style=true&region=us-east-1",
		Destinations: []string{"mgmt"},
	}, nil)
	require.NoError(t, err)
	require.Equal(t, importjob.StatusFailed, im.Status)
	require.EqualValues(t, 1, im.Stats.FailedEntries)
	failures, _, err := m.Failures(ctx, im.ID, "", 0)
	require.NoError(t, err)
	require.Len(t, failures, 1)
	require.Equal(t, "ImportFailed", failures[0].ErrorType)
	require.Contains(t, failures[0].ErrorMessage, "list")

	_, err = m.Run(ctx, importjob.StartInput{Source: t.TempDir(), Destinations: []string{"no-such-store"}}, nil)
	require.ErrorIs(t, err, lake.ErrStoreNotFound)
	_, err = m.Run(ctx, importjob.StartInput{Source: "/no/such/folder", Destinations: []string{"mgmt"}}, nil)
	require.ErrorIs(t, err, importjob.ErrInvalidSource)
	_, err = m.Get(ctx, "nope")
	require.ErrorIs(t, err, importjob.ErrImportNotFound)
}
