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
	"path/filepath"
	"runtime"
	"slices"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/oklog/ulid/v2"
	"github.com/parquet-go/parquet-go"
	"golang.org/x/sync/errgroup"
)

// Segment file settings, chosen on the 1M-event bench trail (893,534 events
// stored; docs/format/lake.md has the whole table). Row groups of
// DefaultRowGroupRows events are the unit of time pruning inside a day: at
// 10M events a day one spans about 5 minutes. Pages of pageBytes give zstd a
// long window over the eventJson text of similar, clustered records.
// Bytes per event: 210.7 with 16k-row groups and 4 MiB pages, 202.5 with
// 16 MiB pages, 198.7 with 32k-row groups as well (64k: 198.1).
//
// Pages are 8 MiB, not 16, for ingest's speed: parquet-go grows a column's
// page buffer from 4 KiB again after each page, through a sync.Pool that
// every garbage collection empties, and a 16 MiB eventJson page took longer
// to fill than ingest's collection interval, so each page was grown in
// fresh, page-faulted memory (5.8 of 15.7 GB allocated). 8 MiB pages cost
// 1.6% more bytes and took ingest of the 1M trail from 24.7 s to 20.9 s.
const (
	DefaultRowGroupRows = 32768
	segmentMetaKey      = "auditlake.segment"
	pageBytes           = 8 << 20
)

var segmentCodec = newZstdCodec(zstd.SpeedBetterCompression)

// historyCodec compresses the event history's segments as ingest writes
// them: they hold a second copy of every management event, are kept 90
// days and are read only by LookupEvents, so write speed matters more than
// the last bytes (compaction rewrites them with segmentCodec).
var historyCodec = newZstdCodec(zstd.SpeedDefault)

// DayOf is the UTC day partition of an event time.
func DayOf(t time.Time) string { return t.UTC().Format(time.DateOnly) }

// sortOrder returns the positions of events in eventTime order (stable,
// so equal times keep their arrival order). Sorting positions instead of the
// events themselves moves 4 bytes per swap instead of a whole Event.
func sortOrder[R Row](events []R) []int32 {
	idx := make([]int32, len(events))
	for i := range idx {
		idx[i] = int32(i)
	}
	slices.SortStableFunc(idx, func(a, b int32) int { return rowTime(&events[a]).Compare(rowTime(&events[b])) })
	return idx
}

// PartitionByDay groups events by the UTC day of their eventTime.
func PartitionByDay[R Row](events []R) map[string][]R {
	byDay := make(map[string][]R)
	for i := range events {
		d := DayOf(rowTime(&events[i]))
		byDay[d] = append(byDay[d], events[i])
	}
	return byDay
}

// writeSegmentFile writes events, which must all fall on one UTC day, in
// eventTime order to a new synced Parquet file at path, and returns its
// description (without Key). The file carries its own description in the
// Parquet key-value metadata, so a lost manifest can be rebuilt from the files.
func writeSegmentFile[R Row](path, storeID string, events []R, now time.Time) (Segment, error) {
	if len(events) == 0 {
		return Segment{}, errors.New("write segment: no events")
	}
	order := sortOrder(events)
	seg := Segment{
		ID:      ulid.MustNew(ulid.Timestamp(now), ulid.DefaultEntropy()).String(),
		Day:     DayOf(rowTime(&events[order[0]])),
		MinTime: rowTime(&events[order[0]]).UTC(),
		MaxTime: rowTime(&events[order[len(order)-1]]).UTC(),
		Rows:    int64(len(events)),
		Format:  FormatVersion,
		KeyCuts: !anyStoredForm(events),
		Created: now.UTC(),
	}
	if DayOf(seg.MaxTime) != seg.Day {
		return Segment{}, fmt.Errorf("write segment: events span %s to %s, more than one day", seg.Day, DayOf(seg.MaxTime))
	}
	meta, err := json.Marshal(struct {
		Store string `json:"store"`
		Segment
	}{storeID, seg})
	if err != nil {
		return Segment{}, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return Segment{}, fmt.Errorf("write segment: %w", err)
	}
	h := sha256.New()
	cw := &countingWriter{w: io.MultiWriter(f, h)}
	bw := bufio.NewWriterSize(cw, 1<<20)
	clusterRowGroups(events, order, DefaultRowGroupRows)
	codec, schema, history := segmentCodec, segmentSchema[R](), storeID == HistoryStoreID
	if history {
		codec, schema = historyCodec, parquet.SchemaOf(new(R))
	}
	pw := parquet.NewGenericWriter[R](bw,
		schema,
		parquet.Compression(codec),
		parquet.MaxRowsPerRowGroup(DefaultRowGroupRows),
		parquet.PageBufferSize(pageBytes),
		parquet.KeyValueMetadata(segmentMetaKey, string(meta)),
		parquet.CreatedBy("auditlake", "", ""),
	)
	werr := writeInOrder(pw, events, order, history)
	if werr == nil {
		werr = pw.Close()
	}
	if werr == nil {
		werr = bw.Flush()
	}
	if werr == nil {
		werr = f.Sync()
	}
	if err := errors.Join(werr, f.Close()); err != nil {
		_ = os.Remove(path)
		return Segment{}, fmt.Errorf("write segment %s: %w", seg.ID, err)
	}
	seg.Bytes = cw.n
	seg.SHA256 = hex.EncodeToString(h.Sum(nil))
	return seg, nil
}

// anyStoredForm reports whether an event is already cut (read from a
// segment): its cut may be of an older kind than the key cuts cutIDs makes.
func anyStoredForm[R Row](events []R) bool {
	for i := range events {
		if e, ok := any(&events[i]).(*Event); ok && (e.CutEventID != nil || e.CutRequestID != nil) {
			return true
		}
	}
	return false
}

// writeInOrder writes events[order[i]] in chunks through a small reused
// buffer, so the sorted rows never exist as a second full copy, and ends a
// row group after every DefaultRowGroupRows rows. history writes the event
// history's rows (historyRow) instead of the events themselves.
func writeInOrder[R Row](pw *parquet.GenericWriter[R], events []R, order []int32, history bool) error {
	const chunk = 512
	buf := make([]R, 0, chunk)
	masks := make([]uint16, 0, chunk)
	var cuts cutArena
	inGroup := 0 // rows written to the current row group
	for len(order) > 0 {
		n := min(chunk, len(order), DefaultRowGroupRows-inGroup)
		buf = buf[:0]
		cuts.reset() // the previous chunk's texts are in the writer's buffers
		for _, i := range order[:n] {
			buf = append(buf, events[i])
			if e, ok := any(&buf[len(buf)-1]).(*Event); ok {
				if history {
					*e = historyRow(e)
				}
				cuts.cut(e)
			}
		}
		for rest := buf; len(rest) > 0; {
			k := safeRows(rest, masks[:0])
			if _, err := pw.Write(rest[:k]); err != nil {
				return err
			}
			rest = rest[k:]
		}
		order = order[n:]
		// End row groups exactly where clusterRowGroups ended them.
		if inGroup += n; inGroup == DefaultRowGroupRows {
			if err := pw.Flush(); err != nil {
				return err
			}
			inGroup = 0
		}
	}
	return nil
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// segmentKey is where a segment lives in the bucket: Hive-style day folders
// keep the data readable by other engines without auditlake.
func segmentKey(storeID string, seg Segment) string {
	return fmt.Sprintf("%sdate=%s/%s.parquet", dataPrefix(storeID), seg.Day, seg.ID)
}

// WriteSegments writes events (any days, any order) as one new segment per
// UTC day and stores them in the bucket. The segments are not visible until
// a Commit lists them; batch, when not empty, is recorded in each.
func (l *Lake) WriteSegments(ctx context.Context, storeID, batch string, events []Event) ([]Segment, error) {
	return l.WriteDays(ctx, storeID, batch, PartitionByDay(events))
}

// WriteDays is WriteSegments for events already grouped by UTC day (the
// keys of byDay are DayOf their events). Days are written in parallel.
func (l *Lake) WriteDays(ctx context.Context, storeID, batch string, byDay map[string][]Event) ([]Segment, error) {
	return WriteRowDays(ctx, l, storeID, batch, byDay)
}

// WriteRowDays is WriteDays for either row type. The caller writes the row
// type of the store (RowKindOf); a segment holds rows of one type.
func WriteRowDays[R Row](ctx context.Context, l *Lake, storeID, batch string, byDay map[string][]R) ([]Segment, error) {
	if err := l.checkOpen(); err != nil {
		return nil, err
	}
	days := make([]string, 0, len(byDay))
	for d := range byDay {
		days = append(days, d)
	}
	slices.Sort(days)
	segs := make([]Segment, len(days))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(runtime.GOMAXPROCS(0))
	for i, d := range days {
		g.Go(func() error {
			seg, err := writeSegment(gctx, l, storeID, batch, byDay[d])
			segs[i] = seg
			return err
		})
	}
	if err := g.Wait(); err != nil {
		for _, s := range segs {
			if s.Key != "" {
				_ = l.bucket.Delete(context.WithoutCancel(ctx), s.Key)
			}
		}
		return nil, err
	}
	return segs, nil
}

func writeSegment[R Row](ctx context.Context, l *Lake, storeID, batch string, events []R) (Segment, error) {
	if err := ctx.Err(); err != nil {
		return Segment{}, err
	}
	tmp, err := os.CreateTemp(l.tmpDir, "segment-*.parquet.tmp")
	if err != nil {
		return Segment{}, err
	}
	tmpPath := tmp.Name()
	_ = tmp.Close()
	_ = os.Remove(tmpPath)
	seg, err := writeSegmentFile(tmpPath, storeID, events, l.now())
	if err != nil {
		return Segment{}, err
	}
	seg.Batch = batch
	seg.Key = segmentKey(storeID, seg)
	if err := l.bucket.PutFile(ctx, seg.Key, tmpPath); err != nil {
		_ = os.Remove(tmpPath)
		return Segment{}, fmt.Errorf("store segment %s: %w", seg.ID, err)
	}
	return seg, nil
}

// verifyFile checks that the file at path is the segment: same size and
// SHA-256 as its manifest entry.
func verifyFile(path string, seg Segment) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return err
	}
	if n != seg.Bytes {
		return &CorruptionError{Segment: seg.ID, Path: path, Err: fmt.Errorf("size is %d bytes, manifest says %d", n, seg.Bytes)}
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != seg.SHA256 {
		return &CorruptionError{Segment: seg.ID, Path: path, Err: fmt.Errorf("SHA-256 is %s, manifest says %s", got, seg.SHA256)}
	}
	return nil
}

// CorruptionError reports a segment whose file does not match its manifest
// entry. It wraps ErrCorrupt.
type CorruptionError struct {
	Segment string
	Path    string
	Err     error
}

func (e *CorruptionError) Error() string {
	return fmt.Sprintf("segment %s (%s) is corrupt: %v", e.Segment, filepath.Base(e.Path), e.Err)
}

// Unwrap returns both the cause and ErrCorrupt.
func (e *CorruptionError) Unwrap() []error { return []error{e.Err, ErrCorrupt} }
