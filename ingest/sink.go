package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/auditlake/auditlake/internal/fsutil"
	"github.com/auditlake/auditlake/lake"
)

// Defaults of SinkOptions.
//
// A flush writes one segment per store and UTC day, so the flush age sets
// both how soon accepted events become visible to queries and how many
// segments a trickle of events makes: 30 s keeps a store's steady trickle
// to at most 2,880 segments a day (compaction merges them) while events show
// up in queries well within the minutes CloudTrail Lake takes. 32 MiB of
// logged events is a few tens of thousands of events: segments big enough
// to compress well, and flush memory a small part of ingest's budget.
const (
	DefaultFlushBytes = 32 << 20
	DefaultFlushAge   = 30 * time.Second
	// DefaultMaxPendingBytes bounds the logged events not yet in segments;
	// Append waits beyond it (flushes are failing or slower than appends).
	DefaultMaxPendingBytes = 4 * DefaultFlushBytes
)

// walBatchPrefix starts the Batch of segments a Sink flush commits: the
// rest is the highest log position (LSN) the flush covers.
const walBatchPrefix = "wal:"

// controlNamespace holds the Sink's hints in the control-plane database.
const controlNamespace = "wal"

// SinkOptions configures a Sink. Zero values take the defaults.
type SinkOptions struct {
	Dir             string // the log folder; "": <lake dir>/wal
	FlushBytes      int64  // flush when this much is logged; 0: DefaultFlushBytes
	FlushAge        time.Duration
	MaxPendingBytes int64 // 0: DefaultMaxPendingBytes
	Logger          *slog.Logger
}

// Sink accepts events durably: Append returns once the events are in a
// synced write-ahead log, and a background flusher moves them into segments
// of their stores and then drops the log. Concurrent Appends share one
// fsync. At OpenSink the log left by a previous process is replayed into
// segments without duplicating what it had already committed.
//
// One Sink writes a lake's log at a time; a Sink is safe for concurrent use.
type Sink struct {
	l    *lake.Lake
	opts SinkOptions
	log  *slog.Logger
	dir  string

	reqs     chan *appendReq
	flushReq chan chan error
	kick     chan struct{}
	quit     chan struct{}
	wg       sync.WaitGroup

	// fileMu is held by the log writer while it writes and syncs, and by a
	// flush while it rotates the log.
	fileMu    sync.Mutex
	file      *os.File
	files     []string // every log file, oldest first; the last is file
	nextLSN   uint64
	fileFirst uint64 // the LSN the current file starts at
	broken    error  // set after a failed write: no more appends

	mu        sync.Mutex
	closed    bool
	appending sync.WaitGroup
	pending   []walRecord // durable, not yet flushed, in LSN order
	pendBytes int64
	oldest    time.Time // when the first pending record was logged
	space     chan struct{}

	// flush state, owned by the flusher goroutine.
	inflight []walRecord
	sealed   []string
	applied  map[string]uint64 // store ID -> highest LSN committed to it
	sels     map[string]storeSel
}

type appendReq struct {
	payload []byte
	rec     walRecord
	done    chan error
}

type storeSel struct {
	updated time.Time
	sel     *Selector
}

// OpenSink opens the lake's write-ahead log, replays what a previous
// process logged and did not commit, and starts the flusher.
func OpenSink(ctx context.Context, l *lake.Lake, opts SinkOptions) (*Sink, error) {
	if opts.Dir == "" {
		opts.Dir = filepath.Join(l.Dir(), "wal")
	}
	if opts.FlushBytes <= 0 {
		opts.FlushBytes = DefaultFlushBytes
	}
	if opts.FlushAge <= 0 {
		opts.FlushAge = DefaultFlushAge
	}
	if opts.MaxPendingBytes <= 0 {
		opts.MaxPendingBytes = max(DefaultMaxPendingBytes, 4*opts.FlushBytes)
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Sink{
		l: l, opts: opts, log: opts.Logger, dir: opts.Dir,
		reqs: make(chan *appendReq, 256), flushReq: make(chan chan error), kick: make(chan struct{}, 1),
		quit: make(chan struct{}), space: make(chan struct{}),
		applied: map[string]uint64{}, sels: map[string]storeSel{},
	}
	if err := fsutil.MkdirAllDurable(s.dir); err != nil {
		return nil, fmt.Errorf("open sink: %w", err)
	}
	if _, err := l.History(ctx); err != nil {
		return nil, fmt.Errorf("open sink: %w", err)
	}
	if err := s.recover(ctx); err != nil {
		return nil, fmt.Errorf("open sink: %w", err)
	}
	f, err := createWALFile(s.dir, s.nextLSN)
	if err != nil {
		return nil, fmt.Errorf("open sink: %w", err)
	}
	s.file, s.fileFirst = f, s.nextLSN
	s.files = append(s.files, f.Name())
	s.wg.Add(2)
	go s.writeLoop()
	go s.flushLoop()
	if len(s.pending) > 0 {
		s.log.Info("replaying write-ahead log", "records", len(s.pending), "bytes", s.pendBytes)
		if err := s.Flush(ctx); err != nil {
			s.log.Warn("replaying write-ahead log; the flusher retries", "err", err)
		}
	}
	return s, nil
}

// recover reads the committed positions of every store and the log files,
// makes the records the stores lack pending, and cuts a torn tail.
func (s *Sink) recover(ctx context.Context) error {
	var floor uint64
	stores, err := s.l.ListStores(ctx)
	if err != nil {
		return err
	}
	for _, st := range stores {
		m, err := s.l.Manifest(ctx, st.ID)
		if err != nil {
			return err
		}
		for _, seg := range m.Segments {
			if lsn, ok := strings.CutPrefix(seg.Batch, walBatchPrefix); ok {
				if n, err := strconv.ParseUint(lsn, 10, 64); err == nil && n > s.applied[st.ID] {
					s.applied[st.ID] = n
				}
			}
		}
	}
	err = s.l.ControlView(func(c lake.Control) error {
		return c.Scan(controlNamespace, "", func(key string, data []byte) (bool, error) {
			n, err := strconv.ParseUint(string(data), 10, 64)
			if err != nil {
				return false, fmt.Errorf("%w: write-ahead log hint %s: %v", lake.ErrCorrupt, key, err)
			}
			if id, ok := strings.CutPrefix(key, "applied/"); ok {
				s.applied[id] = max(s.applied[id], n)
			} else {
				floor = max(floor, n)
			}
			return true, nil
		})
	})
	if err != nil {
		return err
	}
	for _, n := range s.applied {
		floor = max(floor, n)
	}
	files, err := listWALFiles(s.dir)
	if err != nil {
		return err
	}
	for i, path := range files {
		good, clean, err := readWALFile(path, func(lsn uint64, payload []byte) error {
			rec, err := decodePayload(lsn, payload)
			if err != nil {
				return fmt.Errorf("%w: %s: %v", lake.ErrCorrupt, path, err)
			}
			floor = max(floor, lsn)
			s.addPending(rec, time.Now())
			return nil
		})
		if err != nil {
			return err
		}
		if !clean {
			if i != len(files)-1 {
				return fmt.Errorf("%w: write-ahead log file %s is damaged at offset %d and is not the newest", lake.ErrCorrupt, path, good)
			}
			s.log.Info("dropping torn write-ahead log tail", "file", path, "offset", good)
			if err := truncateWALFile(path, good); err != nil {
				return err
			}
		}
		s.files = append(s.files, path)
	}
	s.nextLSN = floor + 1
	return nil
}

// addPending adds a durable record to the flush queue. Call with mu held,
// or before the loops start.
func (s *Sink) addPending(rec walRecord, now time.Time) {
	if len(s.pending) == 0 && len(s.inflight) == 0 {
		s.oldest = now
	}
	rec.at = now
	s.pending = append(s.pending, rec)
	s.pendBytes += rec.bytes
}

// Append logs events for the stores (IDs, names or ARNs) and returns once
// they are durable. Each store takes the events its advanced event
// selectors select; a store that is stopped or pending deletion takes none.
// The hidden event-history store (lake.HistoryStoreID) takes the management
// and Insights events of every Append, exactly once like any store.
// A store of events from outside AWS (ActivityAuditLog) takes no Events:
// use AppendAudit. The Sink keeps events; the caller must not change them
// afterwards. An error means the events may or may not be logged; they are
// never logged twice.
func (s *Sink) Append(ctx context.Context, stores []string, events []lake.Event) error {
	return s.appendRows(ctx, stores, lake.RowEvent, len(events), func(st lake.StoreInfo, sel *Selector) []int {
		var idx []int
		for i := range events {
			if sel.Match(&events[i]) {
				idx = append(idx, i)
			}
		}
		return idx
	}, func(g *walGroup, idx []int) {
		for _, i := range idx {
			g.events = append(g.events, events[i])
		}
	})
}

// AppendAudit is Append for events from outside AWS, which only stores of
// eventCategory ActivityAuditLog take.
func (s *Sink) AppendAudit(ctx context.Context, stores []string, events []lake.AuditEvent) error {
	return s.appendRows(ctx, stores, lake.RowAuditEvent, len(events), func(st lake.StoreInfo, sel *Selector) []int {
		var idx []int
		for i := range events {
			cat := events[i].EventCategory
			if sel.Match(&lake.Event{EventCategory: &cat}) {
				idx = append(idx, i)
			}
		}
		return idx
	}, func(g *walGroup, idx []int) {
		for _, i := range idx {
			g.audit = append(g.audit, events[i])
		}
	})
}

func (s *Sink) appendRows(ctx context.Context, refs []string, kind lake.RowKind, n int,
	match func(lake.StoreInfo, *Selector) []int, fill func(*walGroup, []int),
) error {
	if err := s.enter(); err != nil {
		return err
	}
	defer s.appending.Done()
	groups, err := s.route(ctx, refs, kind, n, match, fill)
	if err != nil || len(groups) == 0 {
		return err
	}
	payload, err := encodePayload(groups)
	if err != nil {
		return err
	}
	if err := s.waitForSpace(ctx); err != nil {
		return err
	}
	req := &appendReq{payload: payload, rec: walRecord{groups: groups, bytes: int64(len(payload))}, done: make(chan error, 1)}
	select {
	case s.reqs <- req:
	case <-ctx.Done():
		return ctx.Err()
	}
	return <-req.done // the writer always answers; the record may be durable
}

func (s *Sink) enter() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return lake.ErrClosed
	}
	s.appending.Add(1)
	return nil
}

// route groups the events by the set of stores that take them.
func (s *Sink) route(ctx context.Context, refs []string, kind lake.RowKind, n int,
	match func(lake.StoreInfo, *Selector) []int, fill func(*walGroup, []int),
) ([]walGroup, error) {
	takers := make([][]string, n) // event -> store IDs
	seen := map[string]bool{}
	if kind == lake.RowEvent {
		// The tee: the event history takes its share of every event.
		refs = append(refs[:len(refs):len(refs)], lake.HistoryStoreID)
	}
	for _, ref := range refs {
		st, err := s.l.GetStore(ctx, ref)
		if err != nil {
			return nil, err
		}
		if seen[st.ID] {
			continue
		}
		seen[st.ID] = true
		if k := lake.RowKindOf(st); k != kind {
			return nil, fmt.Errorf("%w: event data store %s holds %ss, not %ss", ErrChannelUnsupportedSchema, st.ID, k, kind)
		}
		if checkIngesting(st) != nil {
			continue
		}
		sel, err := s.selector(st)
		if err != nil {
			return nil, err
		}
		for _, i := range match(st, sel) {
			takers[i] = append(takers[i], st.ID)
		}
	}
	byKey := map[string]int{}
	var groups []walGroup
	var members [][]int
	for i, ids := range takers {
		if len(ids) == 0 {
			continue
		}
		key := strings.Join(ids, ",")
		gi, ok := byKey[key]
		if !ok {
			gi = len(groups)
			byKey[key] = gi
			groups = append(groups, walGroup{stores: ids, kind: kind})
			members = append(members, nil)
		}
		members[gi] = append(members[gi], i)
	}
	for gi := range groups {
		fill(&groups[gi], members[gi])
	}
	return groups, nil
}

func (s *Sink) selector(st lake.StoreInfo) (*Selector, error) {
	s.mu.Lock()
	c, ok := s.sels[st.ID]
	s.mu.Unlock()
	if ok && c.updated.Equal(st.UpdatedTimestamp) {
		return c.sel, nil
	}
	sel, err := selectorFor(st)
	if err != nil {
		return nil, fmt.Errorf("event data store %s: %w", st.ID, err)
	}
	s.mu.Lock()
	s.sels[st.ID] = storeSel{updated: st.UpdatedTimestamp, sel: sel}
	s.mu.Unlock()
	return sel, nil
}

// waitForSpace blocks while more than MaxPendingBytes wait for a flush.
func (s *Sink) waitForSpace(ctx context.Context) error {
	for {
		s.mu.Lock()
		full, space := s.pendBytes > s.opts.MaxPendingBytes, s.space
		s.mu.Unlock()
		if !full {
			return nil
		}
		s.poke()
		select {
		case <-space:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (s *Sink) poke() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// writeLoop is the log writer: it takes every queued Append, writes them
// as consecutive records, syncs once, and answers them all.
func (s *Sink) writeLoop() {
	defer s.wg.Done()
	var batch []*appendReq
	var buf []byte
	for {
		select {
		case r := <-s.reqs:
			batch = append(batch[:0], r)
		case <-s.quit:
			return
		}
	drain:
		for len(batch) < 1024 {
			select {
			case r := <-s.reqs:
				batch = append(batch, r)
			default:
				break drain
			}
		}
		buf = s.writeBatch(batch, buf[:0])
	}
}

func (s *Sink) writeBatch(batch []*appendReq, buf []byte) []byte {
	s.fileMu.Lock()
	defer s.fileMu.Unlock()
	if s.broken != nil {
		for _, r := range batch {
			r.done <- s.broken
		}
		return buf
	}
	first := s.nextLSN
	for i, r := range batch {
		buf = appendFrame(buf, first+uint64(i), r.payload)
	}
	_, err := s.file.Write(buf)
	if err == nil {
		err = s.file.Sync()
	}
	if err != nil {
		// After a failed write or fsync the file's contents are unknown:
		// take no more events. What is logged still flushes, and the next
		// OpenSink replays the good records and drops the torn tail.
		s.broken = fmt.Errorf("write-ahead log %s: %w", s.file.Name(), err)
		err = s.broken
	}
	if s.broken != nil {
		for _, r := range batch {
			r.done <- s.broken
		}
		return buf
	}
	s.nextLSN += uint64(len(batch))
	now := time.Now()
	s.mu.Lock()
	for i, r := range batch {
		r.rec.lsn = first + uint64(i)
		s.addPending(r.rec, now)
	}
	full := s.pendBytes >= s.opts.FlushBytes
	s.mu.Unlock()
	if full {
		s.poke()
	}
	for _, r := range batch {
		r.done <- nil
	}
	return buf
}

// Flush moves every event appended before the call into segments, and
// drops the log that held them.
func (s *Sink) Flush(ctx context.Context) error {
	done := make(chan error, 1)
	select {
	case s.flushReq <- done:
	case <-s.quit:
		return lake.ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close stops taking events, waits for Appends in progress, flushes what
// is logged and stops the Sink. If the last flush fails, the log stays and
// the next OpenSink replays it.
func (s *Sink) Close(ctx context.Context) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	s.appending.Wait()
	close(s.quit)
	s.wg.Wait()
	ctx = context.WithoutCancel(ctx)
	err := s.flush(ctx)
	s.fileMu.Lock()
	defer s.fileMu.Unlock()
	return errors.Join(err, s.file.Close())
}

// Pending reports the bytes of logged events not yet in segments.
func (s *Sink) Pending() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pendBytes
}

// flushLoop flushes when enough is logged, when the oldest pending event
// is FlushAge old, and on request.
func (s *Sink) flushLoop() {
	defer s.wg.Done()
	tick := time.NewTicker(min(s.opts.FlushAge/4, time.Second))
	defer tick.Stop()
	ctx := context.Background()
	for {
		var reply chan error
		select {
		case <-s.quit:
			return
		case reply = <-s.flushReq:
		case <-s.kick:
		case <-tick.C:
			s.mu.Lock()
			due := (len(s.pending) > 0 || len(s.inflight) > 0) && time.Since(s.oldest) >= s.opts.FlushAge
			s.mu.Unlock()
			if !due {
				continue
			}
		}
		err := s.flush(ctx)
		if err != nil && reply == nil {
			s.log.Warn("flushing write-ahead log; retrying", "err", err)
		}
		if reply != nil {
			reply <- err
		}
	}
}
