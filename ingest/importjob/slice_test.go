package importjob

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/auditlake/auditlake/lake"
)

func TestSliceKeys(t *testing.T) {
	at := func(h int) time.Time { return time.Date(2025, 3, 1, h, 0, 0, 0, time.UTC) }
	tests := []struct {
		name       string
		win        window
		minT, maxT time.Time
		want       string
	}{
		{"no range", window{}, at(1), at(2), "d"},
		{"range holds the file", window{Start: at(0), End: at(3)}, at(1), at(2), "d"},
		{"range on the file's bounds", window{Start: at(1), End: at(2)}, at(1), at(2), "d"},
		{"start cuts", window{Start: at(2)}, at(1), at(3), "d@" + formatBound(at(2)) + "/"},
		{"end cuts", window{Start: at(0), End: at(2)}, at(1), at(3), "d@/" + formatBound(at(2))},
		{"both cut", window{Start: at(2), End: at(3)}, at(1), at(4), "d@" + formatBound(at(2)) + "/" + formatBound(at(3))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key := sliceKey("d", tt.win, tt.minT, tt.maxT)
			require.Equal(t, tt.want, key)
			got := takenOf([]lake.SourceRecord{{Source: lake.Source{Digest: key}}}, "d")
			require.Equal(t, key == "d", got.whole)
			for h := range 6 {
				require.Equal(t, key == "d" || tt.win.contains(at(h)), got.covers(at(h)), "hour %d", h)
			}
			if key != "d" {
				require.True(t, got.hasKey(key))
			}
		})
	}
}

func TestKeyNamePruning(t *testing.T) {
	w := window{Start: time.Date(2024, 2, 10, 13, 0, 0, 0, time.UTC), End: time.Date(2024, 3, 5, 8, 0, 0, 0, time.UTC)}
	tests := []struct {
		date []int
		keep bool
	}{
		{[]int{2023}, false},
		{[]int{2024}, true},
		{[]int{2025}, false},
		{[]int{2024, 1}, false},
		{[]int{2024, 2}, true},
		{[]int{2024, 3}, true},
		{[]int{2024, 4}, false},
		{[]int{2024, 2, 9}, false},
		{[]int{2024, 2, 10}, true},
		{[]int{2024, 3, 6}, true}, // late deliveries of the last day
		{[]int{2024, 3, 7}, false},
	}
	for _, tt := range tests {
		require.Equal(t, tt.keep, keepPeriod(w, tt.date), "%v", tt.date)
	}
	_, ok := dateStep(nil, "AWSLogs")
	require.False(t, ok)
	d, ok := dateStep([]int{2024, 2}, "29")
	require.True(t, ok)
	require.Equal(t, []int{2024, 2, 29}, d)

	dt, ok := deliveryTime("AWSLogs/1/CloudTrail/us-east-1/2024/02/10/1_CloudTrail_us-east-1_20240210T1255Z_abc.json.gz")
	require.True(t, ok)
	require.Equal(t, time.Date(2024, 2, 10, 12, 55, 0, 0, time.UTC), dt)
	require.True(t, w.keepDelivery(dt), "five minutes of slack before the start")
	require.False(t, w.keepDelivery(dt.Add(-time.Minute)))
	require.False(t, isInputKey("x/1_CloudTrail-Digest_us-east-1_20240210T1255Z.json.gz"))
	require.True(t, isInputKey("x/a.json"))
	require.False(t, isInputKey("x/.hidden.json.gz"))
}
