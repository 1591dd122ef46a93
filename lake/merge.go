package lake

import (
	"container/heap"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/parquet-go/parquet-go"
)

// Merging streams rows: each input segment is read one row group at a time
// (row groups are consecutive eventTime ranges, see cluster.go), the rows of
// that group are put in time order, and a k-way merge over the inputs feeds
// a writer that buffers one output row group. Memory is one row group per
// input plus one output row group, whatever the size of the day.

// rowDigest is an order-independent digest of a multiset of rows: the
// lane-wise sum of the SHA-256 of each row's JSON form. Two sets of rows
// have the same digest and count when (short of a SHA-256 collision) they
// hold the same rows, each as often.
type rowDigest struct {
	lanes [4]uint64
	rows  int64
}

func (d *rowDigest) add(row any) error {
	data, err := json.Marshal(row)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(data)
	for i := range d.lanes {
		d.lanes[i] += binary.LittleEndian.Uint64(sum[i*8:])
	}
	d.rows++
	return nil
}

// String renders the digest as hex, for messages.
func (d rowDigest) String() string {
	var b [32]byte
	for i, v := range d.lanes {
		binary.LittleEndian.PutUint64(b[i*8:], v)
	}
	return fmt.Sprintf("%x", b)
}

// segmentSource yields the rows of one segment file in eventTime order.
type segmentSource[R Row] struct {
	f      *os.File
	groups []parquet.RowGroup
	next   int // next row group to load
	buf    []R // the loaded row group, in time order
	pos    int
}

func openSource[R Row](path string) (*segmentSource[R], error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	pf, err := parquet.OpenFile(f, fi.Size())
	if err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return &segmentSource[R]{f: f, groups: pf.RowGroups()}, nil
}

// head returns the next row, loading the next row group when the current
// one is used up; ok is false at the end.
func (s *segmentSource[R]) head() (r *R, ok bool, err error) {
	for s.pos >= len(s.buf) {
		if s.next >= len(s.groups) {
			return nil, false, nil
		}
		if err := s.load(s.groups[s.next]); err != nil {
			return nil, false, err
		}
		s.next++
	}
	return &s.buf[s.pos], true, nil
}

func (s *segmentSource[R]) load(rg parquet.RowGroup) error {
	n := int(rg.NumRows())
	s.buf = slices.Grow(s.buf[:0], n)[:n]
	clear(s.buf) // drop references to the previous group's values
	rd := parquet.NewGenericRowGroupReader[R](rg)
	got, err := rd.Read(s.buf)
	if err != nil && !errors.Is(err, io.EOF) {
		return errors.Join(err, rd.Close())
	}
	if err := rd.Close(); err != nil {
		return err
	}
	if got != n {
		return fmt.Errorf("row group holds %d rows, read %d", n, got)
	}
	slices.SortStableFunc(s.buf, func(a, b R) int { return rowTime(&a).Compare(rowTime(&b)) })
	s.pos = 0
	return nil
}

func (s *segmentSource[R]) close() error { return s.f.Close() }

// sourceHeap orders sources by the eventTime of their head row.
type sourceHeap[R Row] struct {
	srcs  []*segmentSource[R]
	heads []*R
}

func (h *sourceHeap[R]) Len() int { return len(h.srcs) }
func (h *sourceHeap[R]) Less(i, j int) bool {
	return rowTime(h.heads[i]).Before(rowTime(h.heads[j]))
}

func (h *sourceHeap[R]) Swap(i, j int) {
	h.srcs[i], h.srcs[j] = h.srcs[j], h.srcs[i]
	h.heads[i], h.heads[j] = h.heads[j], h.heads[i]
}
func (h *sourceHeap[R]) Push(any) { panic("not used") }
func (h *sourceHeap[R]) Pop() any {
	n := len(h.srcs) - 1
	h.srcs, h.heads = h.srcs[:n], h.heads[:n]
	return nil
}

// mergeRows calls emit with every row of the sources, in eventTime order.
// The row passed to emit is valid only during the call.
func mergeRows[R Row](srcs []*segmentSource[R], emit func(*R) error) error {
	h := &sourceHeap[R]{}
	for _, s := range srcs {
		r, ok, err := s.head()
		if err != nil {
			return err
		}
		if ok {
			h.srcs, h.heads = append(h.srcs, s), append(h.heads, r)
		}
	}
	heap.Init(h)
	for h.Len() > 0 {
		if err := emit(h.heads[0]); err != nil {
			return err
		}
		s := h.srcs[0]
		s.pos++
		r, ok, err := s.head()
		if err != nil {
			return err
		}
		if ok {
			h.heads[0] = r
			heap.Fix(h, 0)
		} else {
			heap.Pop(h)
		}
	}
	return nil
}

// groupWriter writes rows that arrive in eventTime order as a segment file
// in the layout of writeSegmentFile: row groups of DefaultRowGroupRows
// consecutive rows, clustered inside (cluster.go).
type groupWriter[R Row] struct {
	pw    *parquet.GenericWriter[R]
	group []R
	order []int32
}

func newGroupWriter[R Row](w io.Writer) *groupWriter[R] {
	return &groupWriter[R]{
		pw: parquet.NewGenericWriter[R](w,
			segmentSchema[R](),
			parquet.Compression(segmentCodec),
			parquet.MaxRowsPerRowGroup(DefaultRowGroupRows),
			parquet.PageBufferSize(pageBytes),
			parquet.CreatedBy("auditlake", "", ""),
		),
		group: make([]R, 0, DefaultRowGroupRows),
	}
}

// add buffers a copy of r, writing a row group when the buffer is full.
func (w *groupWriter[R]) add(r *R) error {
	w.group = append(w.group, *r)
	if len(w.group) == DefaultRowGroupRows {
		return w.writeGroup()
	}
	return nil
}

func (w *groupWriter[R]) writeGroup() error {
	if len(w.group) == 0 {
		return nil
	}
	w.order = w.order[:0]
	for i := range w.group {
		w.order = append(w.order, int32(i))
	}
	clusterRowGroups(w.group, w.order, DefaultRowGroupRows)
	if err := writeInOrder(w.pw, w.group, w.order, false); err != nil {
		return err
	}
	if len(w.group) < DefaultRowGroupRows {
		if err := w.pw.Flush(); err != nil {
			return err
		}
	}
	clear(w.group)
	w.group = w.group[:0]
	return nil
}

// close writes the last row group and the footer, with meta as the
// segment's self-description.
func (w *groupWriter[R]) close(meta string) error {
	if err := w.writeGroup(); err != nil {
		return err
	}
	w.pw.SetKeyValueMetadata(segmentMetaKey, meta)
	return w.pw.Close()
}

// digestFile reads every row of the segment file at path and returns their
// digest, and the number of row groups.
func digestFile[R Row](path string) (rowDigest, int, error) {
	var d rowDigest
	src, err := openSource[R](path)
	if err != nil {
		return d, 0, err
	}
	defer src.close()
	for _, rg := range src.groups {
		if err := src.load(rg); err != nil {
			return d, 0, err
		}
		for i := range src.buf {
			if err := d.add(&src.buf[i]); err != nil {
				return d, 0, err
			}
		}
	}
	return d, len(src.groups), nil
}
