package ingest

import (
	"context"
	"fmt"

	"golang.org/x/sync/errgroup"

	"github.com/auditlake/auditlake/lake"
)

// DefaultBufferBytes bounds the events a Writer holds before it writes them
// out as segments. Two buffers exist at once (one filling, one being
// written); with the Parquet writers and the garbage collector's headroom,
// ingest's heap is capped at MemoryLimit of this (see
// docs/operations.md). Larger buffers make fewer, larger segments before
// compaction, but leave the collector less room under the same cap: on the
// 1M-event bench trail 128 MiB under a 768 MiB cap spent 40% of ingest's CPU
// collecting garbage, 64 MiB under 704 MiB 10% (the cap is 800 MiB now).
const DefaultBufferBytes = 64 << 20

// MemoryLimit is the soft cap on the Go heap (debug.SetMemoryLimit)
// of an ingest whose batches are bufferBytes: the two batches take about a
// third of it, the Parquet writers (pages of up to 8 MiB per column being
// written, one writer per core) and zstd's windows about another, and the
// rest is the room the collector needs to run seldom. The live heap of the
// 1M-event bench trail peaks near 400 MiB with the default buffer.
func MemoryLimit(bufferBytes int64) int64 { return 7*bufferBytes + 352<<20 }

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
//
// A Writer may also tee events into a second store (the event history, see
// SetTee): they go into the same batches, are written beside the store's
// segments and committed with them, each store with its own ledger batch.
// One memory budget covers both, and the tee's segments are as large as the
// store's.
type Writer struct {
	lake     *lake.Lake
	store    lake.StoreInfo
	tee      *lake.StoreInfo
	share    bool // mark segments as the event history's (ShareHistory)
	limit    int64
	onCommit func([]SourceResult)

	cur      *batch
	inflight chan error // result of the batch being written; nil when none
}

type batch struct {
	byDay   dayRuns
	bytes   int64
	sources []SourceResult

	teeDays    dayRuns
	teeSources []lake.Source
}

func newBatch() *batch {
	return &batch{byDay: make(dayRuns), teeDays: make(dayRuns)}
}

// dayRuns holds a batch's events by UTC day as the runs its sources gave
// (a trail file holds one day, or two at midnight), so adding a source
// copies no events; each day's runs are joined once, when the batch is
// written. Appending every event to a growing slice per day instead
// allocated 1.3 GB more while ingesting the 1M-event bench trail (22.05 GB
// in all).
type dayRuns map[string][][]lake.Event

// add takes events, which the batch owns from now on.
func (d dayRuns) add(events []lake.Event) {
	for len(events) > 0 {
		y, m, dd := events[0].EventTime.UTC().Date()
		n := 1
		for n < len(events) {
			y2, m2, d2 := events[n].EventTime.UTC().Date()
			if y2 != y || m2 != m || d2 != dd {
				break
			}
			n++
		}
		day := lake.DayOf(events[0].EventTime)
		d[day] = append(d[day], events[:n:n])
		events = events[n:]
	}
}

// joined returns the events of each day in one slice.
func (d dayRuns) joined() map[string][]lake.Event {
	out := make(map[string][]lake.Event, len(d))
	for day, runs := range d {
		if len(runs) == 1 {
			out[day] = runs[0]
			continue
		}
		n := 0
		for _, r := range runs {
			n += len(r)
		}
		all := make([]lake.Event, 0, n)
		for _, r := range runs {
			all = append(all, r...)
		}
		out[day] = all
	}
	return out
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
	return &Writer{lake: l, store: store, limit: bufferBytes, onCommit: onCommit, cur: newBatch()}
}

// SetTee makes the writer write the events given to AddTee into store t,
// in the same batches as its own. Call it before the first Add.
func (w *Writer) SetTee(t lake.StoreInfo) { w.tee = &t }

// ShareHistory makes the writer mark the segments it writes
// (lake.Segment.History) when its store shares them with the event history
// (lake.HistoryShares), and reports whether it does. A caller that tees into
// the history then leaves out of the tee the events this writer takes from
// the same source in the same run: the history reads them from the store.
// Call it before the first Add.
func (w *Writer) ShareHistory() bool {
	w.share = lake.HistoryShares(w.store)
	return w.share
}

// Add takes all the selected events of one source; the writer owns events
// from then on. When the buffer is full
// it starts writing it, after waiting for the previous write.
func (w *Writer) Add(ctx context.Context, src SourceResult, events []lake.Event) error {
	b := w.cur
	b.sources = append(b.sources, src)
	b.byDay.add(events)
	for i := range events {
		b.bytes += int64(len(events[i].EventJSON)) + eventOverhead
	}
	return w.maybeWrite(ctx)
}

// AddTee takes the tee store's events of one source (and owns them from
// then on), which cost bytes of
// memory (their JSON text is usually shared with events given to Add, and
// then not counted again). Add the tee's share of a source before the
// store's, so that it is never acknowledged before the tee has it.
func (w *Writer) AddTee(ctx context.Context, src lake.Source, events []lake.Event, bytes int64) error {
	if w.tee == nil {
		return fmt.Errorf("ingest: AddTee on a writer without a tee store")
	}
	b := w.cur
	b.teeSources = append(b.teeSources, src)
	b.teeDays.add(events)
	b.bytes += bytes
	return w.maybeWrite(ctx)
}

// maybeWrite starts writing the current batch when it is full.
func (w *Writer) maybeWrite(ctx context.Context) error {
	b := w.cur
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

// write makes one batch durable, then acknowledges its sources. The store's
// and the tee's segments are written at once; each store's commit and
// ledger batch stand alone, so a crash between them is settled per store
// by the next open, as for two separate ingests.
func (w *Writer) write(ctx context.Context, b *batch) error {
	sources := make([]lake.Source, len(b.sources))
	for i, p := range b.sources {
		sources[i] = p.Source
	}
	parts := []storeBatch{{store: w.store.ID, sources: sources, byDay: b.byDay.joined(), shared: w.share}}
	if w.tee != nil {
		parts = append(parts, storeBatch{store: w.tee.ID, sources: b.teeSources, byDay: b.teeDays.joined()})
	}
	g, gctx := errgroup.WithContext(ctx)
	for i := range parts {
		if len(parts[i].sources) == 0 {
			continue
		}
		g.Go(func() error { return parts[i].write(gctx, w.lake) })
	}
	if err := g.Wait(); err != nil {
		return err
	}
	for i := range parts {
		if parts[i].id == "" {
			continue
		}
		if err := parts[i].commit(ctx, w.lake); err != nil {
			return err
		}
	}
	if len(b.sources) > 0 {
		w.onCommit(b.sources)
	}
	return nil
}

// storeBatch is one store's share of a batch.
type storeBatch struct {
	store   string
	sources []lake.Source
	byDay   map[string][]lake.Event
	shared  bool // mark the segments as the event history's

	id   string // the ledger batch, once begun
	segs []lake.Segment
}

// write begins the ledger batch and writes the segments, which stay
// invisible until commit.
func (p *storeBatch) write(ctx context.Context, l *lake.Lake) error {
	id, err := l.BeginBatch(ctx, p.store, p.sources)
	if err != nil {
		return fmt.Errorf("ingest into %s: %w", p.store, err)
	}
	p.id = id
	if len(p.byDay) > 0 {
		if p.segs, err = l.WriteDays(ctx, p.store, id, p.byDay); err != nil {
			return fmt.Errorf("ingest into %s: %w", p.store, err)
		}
		for i := range p.segs {
			p.segs[i].History = p.shared
		}
	}
	return nil
}

// commit publishes the segments and closes the ledger batch.
func (p *storeBatch) commit(ctx context.Context, l *lake.Lake) error {
	if len(p.segs) > 0 {
		if _, err := l.Commit(ctx, p.store, lake.Change{Add: p.segs}); err != nil {
			return fmt.Errorf("ingest into %s: %w", p.store, err)
		}
	}
	if err := l.FinishBatch(ctx, p.id); err != nil {
		// The commit stands; the next open settles the ledger from it.
		return fmt.Errorf("ingest into %s: %w", p.store, err)
	}
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
