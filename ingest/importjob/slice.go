package importjob

import (
	"strconv"
	"strings"
	"time"

	"github.com/auditlake/auditlake/lake"
)

// An import with a time range takes only part of the files at the edges of
// the range. The ledger then records the part it took as a slice,
// "<digest>@<start>/<end>" (Unix nanoseconds, empty for an open bound), and
// a later import of an overlapping range takes from the file only events
// that no slice (and no whole-file entry) of the store covers. A file whose
// events all fall in the range is recorded whole, under its plain digest,
// as `auditlake ingest` records it.

// taken is what a store's ledger says it has of one file.
type taken struct {
	whole  bool
	ranges []window
}

// takenOf reads the ledger entries of one file (lake.IngestedSlices).
func takenOf(recs []lake.SourceRecord, digest string) taken {
	var t taken
	for _, r := range recs {
		if r.Digest == digest {
			t.whole = true
			continue
		}
		if w, ok := parseSlice(strings.TrimPrefix(r.Digest, digest+lake.SliceSep)); ok {
			t.ranges = append(t.ranges, w)
		}
	}
	return t
}

// none reports whether the store has nothing of the file.
func (t taken) none() bool { return !t.whole && len(t.ranges) == 0 }

// covers reports whether the store already has the file's event at ts.
func (t taken) covers(ts time.Time) bool {
	if t.whole {
		return true
	}
	for _, w := range t.ranges {
		if w.contains(ts) {
			return true
		}
	}
	return false
}

// sliceKey is the ledger key for taking the events of w from a file whose
// events span [minT, maxT]: the plain digest when w holds them all.
func sliceKey(digest string, w window, minT, maxT time.Time) string {
	if !w.Start.IsZero() && !w.Start.After(minT) {
		w.Start = time.Time{}
	}
	if !w.End.IsZero() && !w.End.Before(maxT) {
		w.End = time.Time{}
	}
	if w.Start.IsZero() && w.End.IsZero() {
		return digest
	}
	return digest + lake.SliceSep + formatBound(w.Start) + "/" + formatBound(w.End)
}

func formatBound(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return strconv.FormatInt(t.UnixNano(), 10)
}

func parseSlice(s string) (window, bool) {
	a, b, ok := strings.Cut(s, "/")
	if !ok {
		return window{}, false
	}
	var w window
	for _, p := range []struct {
		s string
		t *time.Time
	}{{a, &w.Start}, {b, &w.End}} {
		if p.s == "" {
			continue
		}
		n, err := strconv.ParseInt(p.s, 10, 64)
		if err != nil {
			return window{}, false
		}
		*p.t = time.Unix(0, n).UTC()
	}
	return w, true
}

// hasKey reports whether the store recorded exactly this slice key.
func (t taken) hasKey(key string) bool {
	_, s, ok := cutSlice(key)
	if !ok {
		return false
	}
	w, ok := parseSlice(s)
	if !ok {
		return false
	}
	for _, x := range t.ranges {
		if x.Start.Equal(w.Start) && x.End.Equal(w.End) {
			return true
		}
	}
	return false
}

func cutSlice(key string) (digest, slice string, ok bool) {
	return strings.Cut(key, lake.SliceSep)
}
