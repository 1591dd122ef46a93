package lake

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/oklog/ulid/v2"
	bolt "go.etcd.io/bbolt"
)

// ErrCompactionMismatch is returned when a merged segment does not hold
// exactly the rows of the segments it was to replace; nothing is committed.
var ErrCompactionMismatch = errors.New("merged segment does not match its inputs")

// walMarkPrefix is the batch mark of segments flushed from the write-ahead
// log: "wal:<highest LSN covered>" (docs/format/wal.md).
const walMarkPrefix = "wal:"

// PendingBatches returns the IDs of ingest batches that are recorded but
// not finished. Their segments must not be replaced: the ledger settles a
// batch at open by finding its ID in the manifest.
func (l *Lake) PendingBatches() (map[string]bool, error) {
	out := map[string]bool{}
	err := l.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketBatches).ForEach(func(k, _ []byte) error {
			out[string(k)] = true
			return nil
		})
	})
	return out, err
}

// MergedBatch is the batch mark a segment merged from segs carries: the
// highest write-ahead-log mark among them, so that the store's committed
// log position survives the merge, else "".
func MergedBatch(segs []Segment) string {
	var best uint64
	found := false
	for _, s := range segs {
		lsn, ok := strings.CutPrefix(s.Batch, walMarkPrefix)
		if !ok {
			continue
		}
		n, err := strconv.ParseUint(lsn, 10, 64)
		if err == nil && (!found || n > best) {
			best, found = n, true
		}
	}
	if !found {
		return ""
	}
	return walMarkPrefix + strconv.FormatUint(best, 10)
}

// Compact merges group, two or more segments of the store on one UTC day,
// into one new segment and swaps it for them in one manifest commit. The
// merged segment is read back and checked (row count, an order-independent
// digest of every row, time range, row-group layout) before the commit.
// Queries that read the manifest before the swap keep reading the old
// segments, whose files CollectRetired deletes later.
func (l *Lake) Compact(ctx context.Context, storeID string, group []Segment) (Segment, error) {
	st, err := l.GetStore(ctx, storeID)
	if err != nil {
		return Segment{}, err
	}
	if st.Status == StatusPendingDeletion {
		return Segment{}, fmt.Errorf("compact store %s: %w: it is pending deletion", storeID, ErrInactiveStore)
	}
	if err := l.checkCompactable(ctx, storeID, group); err != nil {
		return Segment{}, fmt.Errorf("compact store %s: %w", storeID, err)
	}
	paths := make([]string, len(group))
	ids := make([]string, len(group))
	checked := map[string]fileStamp{}
	defer func() { l.recordVerified(checked) }()
	for i, seg := range group {
		l.cache.hold(seg.ID)
		ids[i] = seg.ID
		defer l.cache.release([]string{seg.ID})
		if paths[i], err = l.localSegment(ctx, seg, checked); err != nil {
			return Segment{}, fmt.Errorf("compact store %s: %w", storeID, err)
		}
	}
	var seg Segment
	var tmpPath string
	if RowKindOf(st) == RowAuditEvent {
		seg, tmpPath, err = mergeSegments[AuditEvent](ctx, l, storeID, group, paths)
	} else {
		seg, tmpPath, err = mergeSegments[Event](ctx, l, storeID, group, paths)
	}
	if err != nil {
		return Segment{}, fmt.Errorf("compact store %s day %s: %w", storeID, group[0].Day, err)
	}
	seg.Key = segmentKey(storeID, seg)
	if err := l.bucket.PutFile(ctx, seg.Key, tmpPath); err != nil {
		_ = os.Remove(tmpPath)
		return Segment{}, fmt.Errorf("compact store %s: store segment %s: %w", storeID, seg.ID, err)
	}
	if _, err := l.Replace(ctx, storeID, Change{Add: []Segment{seg}, Remove: ids}, "compaction"); err != nil {
		if m, merr := l.Manifest(ctx, storeID); merr == nil && !hasSegment(m, seg.ID) {
			_ = l.bucket.Delete(context.WithoutCancel(ctx), seg.Key)
		}
		return Segment{}, fmt.Errorf("compact store %s: %w", storeID, err)
	}
	l.log.Info("compacted segments", "store", storeID, "day", seg.Day, "inputs", len(group), "segment", seg.ID, "rows", seg.Rows, "bytes", seg.Bytes)
	return seg, nil
}

func hasSegment(m *Manifest, id string) bool {
	for _, s := range m.Segments {
		if s.ID == id {
			return true
		}
	}
	return false
}

// checkCompactable verifies that group may be merged: two or more current
// segments of this format, of one day, none from an unfinished ingest batch.
func (l *Lake) checkCompactable(ctx context.Context, storeID string, group []Segment) error {
	if len(group) < 2 {
		return fmt.Errorf("%w: compaction needs two or more segments, got %d", ErrInvalidParameter, len(group))
	}
	m, err := l.Manifest(ctx, storeID)
	if err != nil {
		return err
	}
	current := make(map[string]Segment, len(m.Segments))
	for _, s := range m.Segments {
		current[s.ID] = s
	}
	pending, err := l.PendingBatches()
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, s := range group {
		cur, ok := current[s.ID]
		switch {
		case !ok || cur.SHA256 != s.SHA256 || cur.Key != s.Key:
			return fmt.Errorf("%w: segment %s is not in the current manifest", ErrInvalidParameter, s.ID)
		case seen[s.ID]:
			return fmt.Errorf("%w: segment %s is given twice", ErrInvalidParameter, s.ID)
		case s.Day != group[0].Day:
			return fmt.Errorf("%w: segments of days %s and %s cannot be merged", ErrInvalidParameter, group[0].Day, s.Day)
		case s.Format != FormatVersion:
			return fmt.Errorf("%w: segment %s has format version %d, not %d", ErrInvalidParameter, s.ID, s.Format, FormatVersion)
		case s.Batch != "" && pending[s.Batch]:
			return fmt.Errorf("%w: segment %s belongs to ingest batch %s, which is not finished", ErrInvalidParameter, s.ID, s.Batch)
		}
		seen[s.ID] = true
	}
	return nil
}

// mergeSegments writes the rows of the group's files (paths) as one
// synced segment file in the lake's tmp folder, checks it, and returns its
// description (without Key) and path.
func mergeSegments[R Row](ctx context.Context, l *Lake, storeID string, group []Segment, paths []string) (Segment, string, error) {
	now := l.now()
	seg := Segment{
		ID:      ulid.MustNew(ulid.Timestamp(now), ulid.DefaultEntropy()).String(),
		Day:     group[0].Day,
		MinTime: group[0].MinTime,
		MaxTime: group[0].MaxTime,
		Format:  FormatVersion,
		KeyCuts: true,
		Batch:   MergedBatch(group),
		Created: now,
	}
	for _, s := range group {
		seg.KeyCuts = seg.KeyCuts && s.KeyCuts
		seg.History = seg.History || s.History
		seg.Rows += s.Rows
		if s.MinTime.Before(seg.MinTime) {
			seg.MinTime = s.MinTime
		}
		if s.MaxTime.After(seg.MaxTime) {
			seg.MaxTime = s.MaxTime
		}
	}
	f, err := os.CreateTemp(l.tmpDir, "compact-*.parquet.tmp")
	if err != nil {
		return Segment{}, "", err
	}
	tmpPath := f.Name()
	h := sha256.New()
	cw := &countingWriter{w: io.MultiWriter(f, h)}
	bw := bufio.NewWriterSize(cw, 1<<20)
	in, werr := writeMerged[R](ctx, bw, storeID, seg, paths)
	if werr == nil {
		werr = bw.Flush()
	}
	if werr == nil {
		werr = f.Sync()
	}
	if err := errors.Join(werr, f.Close()); err != nil {
		_ = os.Remove(tmpPath)
		return Segment{}, "", err
	}
	seg.Bytes = cw.n
	seg.SHA256 = hex.EncodeToString(h.Sum(nil))
	if err := verifyMerged[R](tmpPath, seg, in); err != nil {
		_ = os.Remove(tmpPath)
		return Segment{}, "", err
	}
	return seg, tmpPath, nil
}

// writeMerged streams the rows of the files at paths, in eventTime order,
// into a segment file written to w, and returns the digest of what it read.
func writeMerged[R Row](ctx context.Context, w io.Writer, storeID string, seg Segment, paths []string) (rowDigest, error) {
	var in rowDigest
	srcs := make([]*segmentSource[R], 0, len(paths))
	defer func() {
		for _, s := range srcs {
			_ = s.close()
		}
	}()
	for _, p := range paths {
		s, err := openSource[R](p)
		if err != nil {
			return in, err
		}
		srcs = append(srcs, s)
	}
	gw := newGroupWriter[R](w)
	err := mergeRows(srcs, func(r *R) error {
		if in.rows%DefaultRowGroupRows == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		t := rowTime(r)
		if t.Before(seg.MinTime) || t.After(seg.MaxTime) {
			return fmt.Errorf("%w: event at %s is outside the inputs' range %s to %s", ErrCompactionMismatch, t, seg.MinTime, seg.MaxTime)
		}
		if err := in.add(r); err != nil {
			return err
		}
		return gw.add(r)
	})
	if err != nil {
		return in, err
	}
	meta, err := json.Marshal(struct {
		Store string `json:"store"`
		Segment
	}{storeID, seg})
	if err != nil {
		return in, err
	}
	return in, gw.close(string(meta))
}

// verifyMerged reads the merged file back and compares it with what was
// read from the inputs and with the manifest entries' row counts.
func verifyMerged[R Row](path string, seg Segment, in rowDigest) error {
	if in.rows != seg.Rows {
		return fmt.Errorf("%w: the inputs' manifest entries count %d rows, their files hold %d", ErrCompactionMismatch, seg.Rows, in.rows)
	}
	if err := verifyFile(path, seg); err != nil {
		return err
	}
	out, groups, err := digestFile[R](path)
	if err != nil {
		return fmt.Errorf("read back merged segment: %w", err)
	}
	if out != in {
		return fmt.Errorf("%w: read back %d rows with digest %s, wrote %d rows with digest %s", ErrCompactionMismatch, out.rows, out, in.rows, in)
	}
	if want := int((seg.Rows + DefaultRowGroupRows - 1) / DefaultRowGroupRows); groups != want {
		return fmt.Errorf("%w: %d row groups for %d rows, want %d", ErrCompactionMismatch, groups, seg.Rows, want)
	}
	return nil
}
