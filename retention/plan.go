package retention

import (
	"fmt"
	"slices"
	"time"

	"github.com/auditlake/auditlake/lake"
)

// Defaults of CompactionPolicy.
const (
	// DefaultTargetSegmentBytes is the size compaction merges small
	// segments up to. DuckDB reads a file's row groups in parallel, so
	// larger files cost nothing at query time; fewer files save opens,
	// footer reads and per-file checks.
	DefaultTargetSegmentBytes = 128 << 20
	// DefaultMaxMergeRows bounds the rows a merge holds in memory: each
	// input contributes its current row group (at most
	// lake.DefaultRowGroupRows rows) at a time.
	DefaultMaxMergeRows = 8 * lake.DefaultRowGroupRows
	// DefaultMinSegmentAge keeps compaction off segments committed moments
	// ago, so that a trickle of streaming flushes is merged in batches.
	DefaultMinSegmentAge = 5 * time.Minute
)

// CompactionPolicy says which segments compaction merges. Zero values take
// the defaults.
type CompactionPolicy struct {
	// TargetBytes is the size merged segments grow to. Segments of at least
	// half of it are left alone.
	TargetBytes int64
	// MaxMergeRows bounds the sum over a merge's inputs of
	// min(rows, lake.DefaultRowGroupRows): the rows held in memory at once.
	MaxMergeRows int64
	// MinAge is how old (since its commit) a segment must be to be merged;
	// 0: DefaultMinSegmentAge, negative: any age.
	MinAge time.Duration
	// Disabled turns compaction off.
	Disabled bool
}

func (p CompactionPolicy) withDefaults() CompactionPolicy {
	if p.TargetBytes <= 0 {
		p.TargetBytes = DefaultTargetSegmentBytes
	}
	if p.MaxMergeRows <= 0 {
		p.MaxMergeRows = DefaultMaxMergeRows
	}
	if p.MinAge == 0 {
		p.MinAge = DefaultMinSegmentAge
	}
	return p
}

// Cutoff is the oldest eventTime a store with the given retention period
// keeps at now: events strictly before it have expired. Days are 24-hour
// UTC days, so leap days count like any other day.
func Cutoff(now time.Time, retentionDays int) time.Time {
	return now.UTC().Add(-time.Duration(retentionDays) * 24 * time.Hour)
}

// CheckRetention reports why a store's retention period cannot be acted
// on: outside 7 to 3653 days, or above 2557 days for
// FIXED_RETENTION_PRICING. Such a store expires nothing.
func CheckRetention(s lake.StoreInfo) error {
	maxDays := lake.MaxRetentionDays
	if s.BillingMode == lake.BillingFixed {
		maxDays = lake.MaxFixedRetentionDays
	}
	if s.RetentionPeriod < lake.MinRetentionDays || s.RetentionPeriod > maxDays {
		return fmt.Errorf("retention period of %d days is outside %d to %d days for %s; nothing expires",
			s.RetentionPeriod, lake.MinRetentionDays, maxDays, s.BillingMode)
	}
	return nil
}

// Expired returns the segments whose newest event is older than the
// cutoff of retentionDays at now. A segment holds one UTC day, so a day
// leaves the store once its last event has expired: no event is removed
// before its time, and none stays more than a day (plus the time to the
// next maintenance pass) after it.
func Expired(now time.Time, retentionDays int, segs []lake.Segment) []lake.Segment {
	cutoff := Cutoff(now, retentionDays)
	var out []lake.Segment
	for _, s := range segs {
		if s.MaxTime.Before(cutoff) {
			out = append(out, s)
		}
	}
	return out
}

// CompactionGroups returns groups of small segments to merge, each of one
// UTC day and of two or more segments, in day order. Segments of pending
// ingest batches, of another format version, younger than the policy's
// MinAge, or of half the target size or more are left alone.
func CompactionGroups(now time.Time, segs []lake.Segment, pending map[string]bool, p CompactionPolicy) [][]lake.Segment {
	p = p.withDefaults()
	if p.Disabled {
		return nil
	}
	byDay := map[string][]lake.Segment{}
	for _, s := range segs {
		if s.Format != lake.FormatVersion || s.Bytes >= p.TargetBytes/2 || pending[s.Batch] ||
			now.Sub(s.Created) < p.MinAge {
			continue
		}
		byDay[s.Day] = append(byDay[s.Day], s)
	}
	var out [][]lake.Segment
	for _, day := range slices.Sorted(mapKeys(byDay)) {
		cands := byDay[day]
		slices.SortFunc(cands, func(a, b lake.Segment) int {
			if c := a.MinTime.Compare(b.MinTime); c != 0 {
				return c
			}
			return compareStrings(a.ID, b.ID)
		})
		var cur []lake.Segment
		var bytes, rows int64
		flush := func() {
			if len(cur) >= 2 {
				out = append(out, cur)
			}
			cur, bytes, rows = nil, 0, 0
		}
		for _, s := range cands {
			r := min(s.Rows, int64(lake.DefaultRowGroupRows))
			if len(cur) > 0 && (bytes+s.Bytes > p.TargetBytes || rows+r > p.MaxMergeRows) {
				flush()
			}
			cur = append(cur, s)
			bytes += s.Bytes
			rows += r
		}
		flush()
	}
	return out
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// StorePlan is what one maintenance pass will do to one store.
type StorePlan struct {
	Store      lake.StoreInfo
	Cutoff     time.Time        // events before it have expired (zero when retention is skipped)
	Expire     []lake.Segment   // segments to remove
	Compact    [][]lake.Segment // groups of segments to merge
	Purge      bool             // the pending-deletion window has ended: remove the store
	PurgeAfter time.Time        // for a store pending deletion
	Skip       string           // why retention was not planned, if it was not
}

// PlanStore plans retention, compaction and purge for one store from its
// manifest, with no side effects. A store pending deletion is left as it
// is (so that a restore brings it back whole) until its purge.
func PlanStore(now time.Time, s lake.StoreInfo, m *lake.Manifest, pending map[string]bool, purgeAfter time.Time, cp CompactionPolicy) StorePlan {
	p := StorePlan{Store: s}
	if s.Status == lake.StatusPendingDeletion {
		p.PurgeAfter = purgeAfter
		p.Purge = !purgeAfter.IsZero() && !now.Before(purgeAfter)
		p.Skip = "pending deletion"
		return p
	}
	live := m.Segments
	if err := CheckRetention(s); err != nil {
		p.Skip = err.Error()
	} else {
		p.Cutoff = Cutoff(now, s.RetentionPeriod)
		p.Expire = Expired(now, s.RetentionPeriod, m.Segments)
		gone := map[string]bool{}
		for _, seg := range p.Expire {
			gone[seg.ID] = true
		}
		live = slices.DeleteFunc(slices.Clone(live), func(seg lake.Segment) bool { return gone[seg.ID] })
	}
	p.Compact = CompactionGroups(now, live, pending, cp)
	return p
}

// Empty reports whether the plan does nothing.
func (p StorePlan) Empty() bool { return len(p.Expire) == 0 && len(p.Compact) == 0 && !p.Purge }
