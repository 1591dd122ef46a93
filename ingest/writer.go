package ingest

import (
	"context"
	"fmt"

	"github.com/auditlake/auditlake/lake"
)

// DefaultBufferBytes bounds the events a Writer holds before it writes them
// out as segments. Two buffers exist at once (one filling, one being
// written), so ingest's peak memory is about three times this, with Go's
// garbage collector's headroom (see docs/operations.md).
const DefaultBufferBytes = 128 << 20

// eventOverhead is the memory of a decoded event beyond its JSON text (the
// typed columns, their strings, maps and pointers), measured with the heap
// profile of ingesting generated trail files.
const eventOverhead = 1800

// Writer gathers the events of whole sources for one store and makes them
// durable in batches: a segment per UTC day, one manifest commit, then the
// ingest ledger. A source is acknowledged (passed to the commit callback)
// only after the commit that holds all of its events, and sources are
// acknowledged in the order they were added.
//
// While one batch is written, the next fills: at most one write is in
// flight. A Writer is used by one goroutine.
type Writer struct {
	lake     *lake.Lake
	store    lake.StoreInfo
	limit    int64
	onCommit func([]SourceResult)

	cur      *batch
	inflight chan error // result of the batch being written; nil when none
}

type batch struct {
	byDay   map[string][]lake.Event
	bytes   int64
	sources []SourceResult
}

func newBatch() *batch { return &batch{byDay: make(map[string][]lake.Event)} }

// SourceResult is what ingest did with one input.
type SourceResult struct {
	lake.Source
	Records  int            // records read
	Events   int            // records decoded into events
	Selected int            // events the store's selectors took
	Errors   []*RecordError // records refused, with where and why
	Skipped  *lake.SourceRecord
}

// NewWriter returns a writer for the store. onCommit receives the sources
// of each batch once they are durable.
func NewWriter(l *lake.Lake, store lake.StoreInfo, bufferBytes int64, onCommit func([]SourceResult)) *Writer {
	if bufferBytes <= 0 {
		bufferBytes = DefaultBufferBytes
	}
	if onCommit == nil {
		onCommit = func([]SourceResult) {}
	}
	return &Writer{lake: l, store: store, limit: bufferBytes, onCommit: onCommit, cur: newBatch()}
}

// Add takes all the selected events of one source. When the buffer is full
// it starts writing it, after waiting for the previous write.
func (w *Writer) Add(ctx context.Context, src SourceResult, events []lake.Event) error {
	b := w.cur
	b.sources = append(b.sources, src)
	for i := range events {
		d := lake.DayOf(events[i].EventTime)
		b.byDay[d] = append(b.byDay[d], events[i])
		b.bytes += int64(len(events[i].EventJSON)) + eventOverhead
	}
	if b.bytes < w.limit {
		return nil
	}
	if err := w.wait(); err != nil {
		return err
	}
	w.cur = newBatch()
	w.inflight = make(chan error, 1)
	go func() { w.inflight <- w.write(ctx, b) }()
	return nil
}

// Flush makes everything added so far durable and acknowledges it.
func (w *Writer) Flush(ctx context.Context) error {
	if err := w.wait(); err != nil {
		return err
	}
	b := w.cur
	w.cur = newBatch()
	return w.write(ctx, b)
}

// Close waits for a write in flight, if any, without starting another.
func (w *Writer) Close() error { return w.wait() }

func (w *Writer) wait() error {
	if w.inflight == nil {
		return nil
	}
	err := <-w.inflight
	w.inflight = nil
	return err
}

// write makes one batch durable, then acknowledges its sources.
func (w *Writer) write(ctx context.Context, b *batch) error {
	if len(b.sources) == 0 {
		return nil
	}
	sources := make([]lake.Source, len(b.sources))
	for i, p := range b.sources {
		sources[i] = p.Source
	}
	id, err := w.lake.BeginBatch(ctx, w.store.ID, sources)
	if err != nil {
		return fmt.Errorf("ingest into %s: %w", w.store.ID, err)
	}
	if len(b.byDay) > 0 {
		segs, err := w.lake.WriteDays(ctx, w.store.ID, id, b.byDay)
		if err != nil {
			return fmt.Errorf("ingest into %s: %w", w.store.ID, err)
		}
		if _, err := w.lake.Commit(ctx, w.store.ID, lake.Change{Add: segs}); err != nil {
			return fmt.Errorf("ingest into %s: %w", w.store.ID, err)
		}
	}
	if err := w.lake.FinishBatch(ctx, id); err != nil {
		// The commit stands; the next open settles the ledger from it.
		return fmt.Errorf("ingest into %s: %w", w.store.ID, err)
	}
	w.onCommit(b.sources)
	return nil
}

// checkIngesting refuses a store that takes no events now.
func checkIngesting(s lake.StoreInfo) error {
	switch s.Status {
	case lake.StatusPendingDeletion, lake.StatusStoppedIngestion, lake.StatusStoppingIngestion:
		return fmt.Errorf("%w: event data store %s (%s) is %s and takes no events", lake.ErrInactiveStore, s.Name, s.ID, s.Status)
	}
	return nil
}
