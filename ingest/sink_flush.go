package ingest

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strconv"

	"github.com/auditlake/auditlake/internal/fsutil"
	"github.com/auditlake/auditlake/lake"
)

// flush moves every durable record into segments: it seals the log files
// that hold them (new appends go to a new file), commits each store's share
// of the records as one manifest change whose segments carry the highest
// LSN covered, and then removes the sealed files. A store's share of a
// record at or below the LSN it already committed is skipped, which makes a
// retried flush, and the replay of a log whose flush was cut short, add
// nothing twice. Only the flusher goroutine (or Close, after it stopped)
// calls flush.
func (s *Sink) flush(ctx context.Context) error {
	recs, sealed, err := s.seal()
	if err != nil {
		return err
	}
	if len(recs) > 0 {
		if err := s.commitRecords(ctx, recs); err != nil {
			return err
		}
	}
	var errs []error
	for _, f := range sealed {
		if err := os.Remove(f); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	if len(sealed) > 0 {
		errs = append(errs, fsutil.SyncDir(s.dir))
	}
	s.mu.Lock()
	var freed int64
	for _, r := range s.inflight {
		freed += r.bytes
	}
	s.inflight = nil
	s.pendBytes -= freed
	if len(s.pending) > 0 {
		s.oldest = s.pending[0].at
	}
	close(s.space)
	s.space = make(chan struct{})
	s.mu.Unlock()
	s.fileMu.Lock()
	s.sealed = slices.DeleteFunc(s.sealed, func(f string) bool { return slices.Contains(sealed, f) })
	s.fileMu.Unlock()
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("remove flushed write-ahead log: %w", err)
	}
	return nil
}

// seal rotates the log when the current file holds records, and returns
// every record not yet flushed with the files that hold only such records.
func (s *Sink) seal() ([]walRecord, []string, error) {
	s.fileMu.Lock()
	defer s.fileMu.Unlock()
	if s.nextLSN > s.fileFirst && s.broken == nil {
		f, err := createWALFile(s.dir, s.nextLSN)
		if err != nil {
			return nil, nil, fmt.Errorf("rotate write-ahead log: %w", err)
		}
		if err := s.file.Close(); err != nil {
			s.log.Warn("closing sealed write-ahead log file", "file", s.file.Name(), "err", err)
		}
		s.file, s.fileFirst = f, s.nextLSN
		s.files = append(s.files, f.Name())
	}
	// Every file but the current one is sealed; the current one too when
	// the log is broken (it takes no more records).
	keep := 1
	if s.broken != nil {
		keep = 0
	}
	s.sealed = append(s.sealed, s.files[:len(s.files)-keep]...)
	s.files = append([]string(nil), s.files[len(s.files)-keep:]...)
	s.mu.Lock()
	s.inflight = append(s.inflight, s.pending...)
	s.pending = nil
	recs := s.inflight
	s.mu.Unlock()
	return recs, slices.Clone(s.sealed), nil
}

// storeShare is the part of the records one store takes.
type storeShare struct {
	events []lake.Event
	audit  []lake.AuditEvent
}

// commitRecords commits each store's share of recs.
func (s *Sink) commitRecords(ctx context.Context, recs []walRecord) error {
	last := recs[len(recs)-1].lsn
	shares := map[string]*storeShare{}
	for _, r := range recs {
		for _, g := range r.groups {
			for _, id := range g.stores {
				if r.lsn <= s.applied[id] {
					continue
				}
				sh := shares[id]
				if sh == nil {
					sh = &storeShare{}
					shares[id] = sh
				}
				sh.events = append(sh.events, g.events...)
				sh.audit = append(sh.audit, g.audit...)
			}
		}
	}
	batch := walBatchPrefix + strconv.FormatUint(last, 10)
	var done []string
	for _, id := range slices.Sorted(maps.Keys(shares)) {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := s.commitShare(ctx, id, batch, shares[id]); err != nil {
			return err
		}
		s.applied[id] = last
		done = append(done, id)
	}
	// Hints for the next open: the manifests are the truth, these survive
	// a compaction that rewrites the segments carrying the batch marks.
	return s.l.ControlUpdate(func(c lake.Control) error {
		for _, id := range done {
			if err := c.Put(controlNamespace, "applied/"+id, last); err != nil {
				return err
			}
		}
		return c.Put(controlNamespace, "floor", last)
	})
}

func (s *Sink) commitShare(ctx context.Context, id, batch string, sh *storeShare) error {
	st, err := s.l.GetStore(ctx, id)
	if errors.Is(err, lake.ErrStoreNotFound) {
		s.log.Warn("dropping logged events of a store that no longer exists", "store", id,
			"events", len(sh.events)+len(sh.audit))
		return nil
	}
	if err != nil {
		return err
	}
	var segs []lake.Segment
	switch kind := lake.RowKindOf(st); {
	case kind == lake.RowEvent && len(sh.events) > 0:
		segs, err = lake.WriteRowDays(ctx, s.l, id, batch, lake.PartitionByDay(sh.events))
	case kind == lake.RowAuditEvent && len(sh.audit) > 0:
		segs, err = lake.WriteRowDays(ctx, s.l, id, batch, lake.PartitionByDay(sh.audit))
	}
	if n := len(sh.events) + len(sh.audit) - int(segRows(segs)); n > 0 && err == nil {
		s.log.Warn("dropping logged events of the wrong schema for the store", "store", id, "events", n)
	}
	if err != nil {
		return fmt.Errorf("flush write-ahead log into store %s: %w", id, err)
	}
	if len(segs) == 0 {
		return nil
	}
	if _, err := s.l.Commit(ctx, id, lake.Change{Add: segs}); err != nil {
		for _, seg := range segs {
			_ = s.l.Bucket().Delete(context.WithoutCancel(ctx), seg.Key)
		}
		return fmt.Errorf("flush write-ahead log into store %s: %w", id, err)
	}
	return nil
}

func segRows(segs []lake.Segment) int64 {
	var n int64
	for _, s := range segs {
		n += s.Rows
	}
	return n
}
