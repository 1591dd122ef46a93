package lake

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ManifestFormat is the version of the manifest document layout. Version 2
// added a segment's keyCuts; version 1 documents read as they are. The
// checksum covers the document as this package renders it, so an older
// auditlake could not verify a newer document: it refuses it by version
// instead of calling it corrupt.
const ManifestFormat = 2

// manifestsKept is how many manifest versions stay in the bucket after a
// commit; older ones are removed. The newest is the truth; the others are
// fallbacks for a torn write of the newest.
const manifestsKept = 8

// Segment describes one immutable Parquet file of a store. The manifest
// entry, not the object, is what makes a segment exist.
type Segment struct {
	ID      string    `json:"id"`  // ULID
	Key     string    `json:"key"` // object key in the bucket
	Day     string    `json:"day"` // UTC day of every eventTime in it, YYYY-MM-DD
	MinTime time.Time `json:"minEventTime"`
	MaxTime time.Time `json:"maxEventTime"`
	Rows    int64     `json:"rows"`
	Bytes   int64     `json:"bytes"`
	SHA256  string    `json:"sha256"` // hex SHA-256 of the whole file
	Format  int       `json:"formatVersion"`
	// KeyCuts says that every cut in the segment's eventJson is at the
	// record's own eventID and requestID members (idcut.go), so a JSON path
	// that reads neither may read the stored text as it is. Segments written
	// before it existed, and merges of them, lack it.
	KeyCuts bool `json:"keyCuts,omitempty"`
	// History says that the event history reads the segment's management
	// and Insights events here: ingest did not copy them into the history
	// store (HistoryShares, eventhistory.go). Merges of a marked segment are
	// marked.
	History bool      `json:"history,omitempty"`
	Batch   string    `json:"batch,omitempty"` // the ingest batch that wrote it
	Created time.Time `json:"created"`
}

// Manifest is the list of a store's visible segments at one version. It is
// immutable: a change writes version+1 under a new key.
type Manifest struct {
	Format    int       `json:"formatVersion"`
	Store     string    `json:"store"`
	Version   int64     `json:"version"`
	Committed time.Time `json:"committed"`
	Segments  []Segment `json:"segments"`
	Checksum  string    `json:"checksum"` // hex SHA-256 of the document with this field empty
}

// Rows is the number of events in the manifest's segments.
func (m *Manifest) Rows() int64 {
	var n int64
	for _, s := range m.Segments {
		n += s.Rows
	}
	return n
}

// Bytes is the size of the manifest's segments.
func (m *Manifest) Bytes() int64 {
	var n int64
	for _, s := range m.Segments {
		n += s.Bytes
	}
	return n
}

// Overlapping returns the segments whose eventTime range meets [from, to];
// a zero bound is open.
func (m *Manifest) Overlapping(from, to time.Time) []Segment {
	var out []Segment
	for _, s := range m.Segments {
		if !from.IsZero() && s.MaxTime.Before(from) {
			continue
		}
		if !to.IsZero() && s.MinTime.After(to) {
			continue
		}
		out = append(out, s)
	}
	return out
}

func storePrefix(storeID string) string    { return "stores/" + storeID + "/" }
func manifestPrefix(storeID string) string { return storePrefix(storeID) + "manifest/" }
func dataPrefix(storeID string) string     { return storePrefix(storeID) + "data/" }

func manifestKey(storeID string, version int64) string {
	return fmt.Sprintf("%s%020d.json", manifestPrefix(storeID), version)
}

// encodeManifest renders m with its checksum filled in.
func encodeManifest(m *Manifest) ([]byte, error) {
	m.Checksum = ""
	body, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(body)
	m.Checksum = hex.EncodeToString(sum[:])
	return json.MarshalIndent(m, "", " ")
}

// decodeManifest parses and verifies a manifest document.
func decodeManifest(data []byte) (*Manifest, error) {
	var m Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("%w: manifest is not valid JSON: %v", ErrCorrupt, err)
	}
	if m.Format > ManifestFormat {
		return nil, fmt.Errorf("manifest format %d is newer than this auditlake reads (%d)", m.Format, ManifestFormat)
	}
	want := m.Checksum
	m.Checksum = ""
	body, err := json.Marshal(&m)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(body)
	if got := hex.EncodeToString(sum[:]); got != want {
		return nil, fmt.Errorf("%w: manifest checksum %s does not match its contents (%s)", ErrCorrupt, want, got)
	}
	m.Checksum = want
	return &m, nil
}

// manifestVersions lists the versions present in the bucket, newest first.
func manifestVersions(ctx context.Context, b *Bucket, storeID string) ([]int64, error) {
	objs, err := b.List(ctx, manifestPrefix(storeID))
	if err != nil {
		return nil, err
	}
	var vs []int64
	for _, o := range objs {
		name := strings.TrimSuffix(path.Base(o.Key), ".json")
		v, err := strconv.ParseInt(name, 10, 64)
		if err != nil || !strings.HasSuffix(o.Key, ".json") {
			continue
		}
		vs = append(vs, v)
	}
	slices.Sort(vs)
	slices.Reverse(vs)
	return vs, nil
}

// loadManifest returns the newest manifest that reads and verifies, and the
// highest version number present (a torn newest version is skipped: it was
// never acknowledged, because a commit returns only after its write is
// durable). A store with no manifest yet has an empty version 0.
func loadManifest(ctx context.Context, b *Bucket, storeID string) (m *Manifest, highest int64, skipped []error, err error) {
	vs, err := manifestVersions(ctx, b, storeID)
	if err != nil {
		return nil, 0, nil, err
	}
	if len(vs) > 0 {
		highest = vs[0]
	}
	for _, v := range vs {
		data, err := b.ReadAll(ctx, manifestKey(storeID, v))
		if err != nil {
			if errors.Is(err, ErrNotFound) {
				continue
			}
			return nil, 0, skipped, err
		}
		m, err := decodeManifest(data)
		if err != nil {
			skipped = append(skipped, fmt.Errorf("manifest version %d: %w", v, err))
			continue
		}
		if m.Store != storeID || m.Version != v {
			skipped = append(skipped, fmt.Errorf("manifest version %d: %w: it describes store %s version %d", v, ErrCorrupt, m.Store, m.Version))
			continue
		}
		return m, highest, skipped, nil
	}
	if len(skipped) > 0 {
		return nil, highest, skipped, fmt.Errorf("store %s: %w: no manifest version reads: %w", storeID, ErrCorrupt, errors.Join(skipped...))
	}
	return &Manifest{Format: ManifestFormat, Store: storeID}, 0, nil, nil
}

// Change is one atomic edit of a store's segment list.
type Change struct {
	Add    []Segment
	Remove []string // segment IDs
}

// apply returns the manifest that results from c, at version next.
func (m *Manifest) apply(c Change, next int64, now time.Time) (*Manifest, error) {
	out := &Manifest{Format: ManifestFormat, Store: m.Store, Version: next, Committed: now.UTC()}
	remove := make(map[string]bool, len(c.Remove))
	for _, id := range c.Remove {
		remove[id] = true
	}
	seen := make(map[string]bool, len(m.Segments)+len(c.Add))
	for _, s := range m.Segments {
		seen[s.ID] = true
		if remove[s.ID] {
			delete(remove, s.ID)
			continue
		}
		out.Segments = append(out.Segments, s)
	}
	if len(remove) > 0 {
		return nil, fmt.Errorf("commit to store %s: removing segments that are not in the manifest: %v", m.Store, mapsKeys(remove))
	}
	for _, s := range c.Add {
		if seen[s.ID] {
			return nil, fmt.Errorf("commit to store %s: segment %s is already in the manifest", m.Store, s.ID)
		}
		seen[s.ID] = true
		out.Segments = append(out.Segments, s)
	}
	slices.SortFunc(out.Segments, func(a, b Segment) int {
		if c := a.MinTime.Compare(b.MinTime); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, nil
}

func mapsKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
