package ingest

import (
	"context"
	"fmt"

	"github.com/auditlake/auditlake/lake"
)

// DefaultBufferBytes bounds the events a Writer holds before it writes them
// out as segments: the main term of ingest's peak memory.
const DefaultBufferBytes = 256 << 20

// eventOverhead estimates the memory of a decoded event beyond its JSON
// text: the typed columns, maps and pointers.
const eventOverhead = 600

// Writer gathers the events of whole sources for one store and makes them
// durable in batches: segments per UTC day, one manifest commit, then the
// ingest ledger. A source is acknowledged (passed to the commit callback)
// only after the commit that holds all of its events.
type Writer struct {
	lake     *lake.Lake
	store    lake.StoreInfo
	limit    int64
	onCommit func([]SourceResult)

	events  []lake.Event
	bytes   int64
	pending []SourceResult
}

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
	return &Writer{lake: l, store: store, limit: bufferBytes, onCommit: onCommit}
}

// Add takes all the selected events of one source. It may write a batch.
func (w *Writer) Add(ctx context.Context, src SourceResult, events []lake.Event) error {
	w.pending = append(w.pending, src)
	for i := range events {
		w.bytes += int64(len(events[i].EventJSON)) + eventOverhead
	}
	w.events = append(w.events, events...)
	if w.bytes >= w.limit {
		return w.Flush(ctx)
	}
	return nil
}

// Flush makes everything added so far durable and acknowledges it.
func (w *Writer) Flush(ctx context.Context) error {
	if len(w.pending) == 0 {
		return nil
	}
	sources := make([]lake.Source, len(w.pending))
	for i, p := range w.pending {
		sources[i] = p.Source
	}
	batch, err := w.lake.BeginBatch(ctx, w.store.ID, sources)
	if err != nil {
		return fmt.Errorf("ingest into %s: %w", w.store.ID, err)
	}
	if len(w.events) > 0 {
		segs, err := w.lake.WriteSegments(ctx, w.store.ID, batch, w.events)
		if err != nil {
			return fmt.Errorf("ingest into %s: %w", w.store.ID, err)
		}
		if _, err := w.lake.Commit(ctx, w.store.ID, lake.Change{Add: segs}); err != nil {
			return fmt.Errorf("ingest into %s: %w", w.store.ID, err)
		}
	}
	if err := w.lake.FinishBatch(ctx, batch); err != nil {
		// The commit stands; the next open settles the ledger from it.
		return fmt.Errorf("ingest into %s: %w", w.store.ID, err)
	}
	done := w.pending
	w.events, w.bytes, w.pending = nil, 0, nil
	w.onCommit(done)
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

