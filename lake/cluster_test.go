package lake_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/stretchr/testify/require"

	"github.com/auditlake/auditlake/lake"
)

// A segment's row groups are consecutive eventTime ranges, cut every
// DefaultRowGroupRows rows, and inside each the rows are clustered by
// (userIdentity.arn, eventSource, eventName, eventTime).
func TestSegmentRowGroupsAreTimeRangesClusteredInside(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	l := openLake(t, dir, lake.Options{})
	s, err := l.CreateStore(ctx, lake.CreateStoreInput{Name: "cluster"})
	require.NoError(t, err)

	day := time.Date(2025, 3, 4, 0, 0, 0, 0, time.UTC)
	n := 2*lake.DefaultRowGroupRows + 100
	evs := make([]lake.Event, n)
	sources := []string{"s3.amazonaws.com", "ec2.amazonaws.com", "iam.amazonaws.com"}
	names := []string{"List", "Get", "Put", "Describe"}
	principals := []string{"arn:aws:iam::123456789012:user/b", "arn:aws:iam::123456789012:user/a"}
	for i := range evs {
		j := (i * 7919) % n // arrival order is not time order
		evs[i] = lake.Event{
			EventTime:    day.Add(time.Duration(j) * time.Second),
			EventSource:  ptr(sources[j%len(sources)]),
			EventName:    ptr(names[(j/3)%len(names)]),
			UserIdentity: &lake.UserIdentity{ARN: ptr(principals[(j/5)%len(principals)])},
			EventJSON:    fmt.Sprintf(`{"i":%d}`, j),
		}
	}
	segs, err := l.WriteSegments(ctx, s.ID, "", evs)
	require.NoError(t, err)
	require.Len(t, segs, 1)
	_, err = l.Commit(ctx, s.ID, lake.Change{Add: segs})
	require.NoError(t, err)
	paths, release, err := l.Segments(ctx, s.ID, time.Time{}, time.Time{})
	require.NoError(t, err)
	defer release()

	f, err := os.Open(paths[0])
	require.NoError(t, err)
	defer f.Close()
	st, err := f.Stat()
	require.NoError(t, err)
	pf, err := parquet.OpenFile(f, st.Size())
	require.NoError(t, err)
	groups := pf.RowGroups()
	require.Len(t, groups, 3)

	var prevMax time.Time
	total := 0
	for gi, g := range groups {
		want := lake.DefaultRowGroupRows
		if gi == 2 {
			want = 100
		}
		require.EqualValues(t, want, g.NumRows(), "row group %d", gi)
		rows := make([]lake.Event, g.NumRows())
		r := parquet.NewGenericRowGroupReader[lake.Event](g)
		k, err := r.Read(rows)
		if err != nil {
			require.ErrorContains(t, err, "EOF")
		}
		require.Equal(t, len(rows), k)
		minT, maxT := rows[0].EventTime, rows[0].EventTime
		for i, e := range rows {
			minT, maxT = minOf(minT, e.EventTime), maxOf(maxT, e.EventTime)
			if i > 0 {
				p := rows[i-1]
				key := func(e lake.Event) string {
					return *e.UserIdentity.ARN + "\x00" + *e.EventSource + "\x00" + *e.EventName
				}
				c := strings.Compare(key(p), key(e))
				require.True(t, c < 0 || c == 0 && !e.EventTime.Before(p.EventTime), "row group %d row %d out of cluster order", gi, i)
			}
		}
		require.True(t, gi == 0 || minT.After(prevMax), "row group %d overlaps the one before", gi)
		prevMax = maxT
		total += len(rows)
	}
	require.Equal(t, n, total)
	require.Equal(t, day, segs[0].MinTime)
	require.Equal(t, day.Add(time.Duration(n-1)*time.Second), segs[0].MaxTime)
}

func minOf(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxOf(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
