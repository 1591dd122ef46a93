package jobs

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/auditlake/auditlake/query"
)

// partMaxBytes bounds the size of one result file, whatever its rows.
const partMaxBytes = 8 << 20

// worker runs queued queries until the manager closes.
func (m *Manager) worker() {
	for {
		m.mu.Lock()
		for len(m.queue) == 0 && !m.closed {
			m.cond.Wait()
		}
		if m.closed {
			m.mu.Unlock()
			return
		}
		id := m.queue[0]
		m.queue = m.queue[1:]
		j := m.active[id]
		ctx, cancel := context.WithCancelCause(m.runCtx)
		j.running, j.cancel = true, cancel
		m.mu.Unlock()

		m.run(ctx, id)
		cancel(nil)
		m.mu.Lock()
		delete(m.active, id)
		m.mu.Unlock()
	}
}

// run executes one query and records how it ended.
func (m *Manager) run(ctx context.Context, id string) {
	log := m.log.With(logKeyID, id)
	if ctx.Err() != nil {
		return // shutting down: it stays QUEUED and runs after a restart
	}
	r, err := m.update(id, func(r *record) error {
		if r.Status != StatusQueued {
			return errStop // cancelled while queued
		}
		r.Status, r.Started = StatusRunning, m.now()
		return nil
	})
	if err != nil {
		log.Error("starting query", "err", err)
		return
	}
	if r.Status != StatusRunning {
		return
	}
	log.Info("query running")
	ctx, cancel := context.WithTimeoutCause(ctx, m.opts.Timeout, errTimedOut)
	defer cancel()
	runErr := m.execute(ctx, r)
	status, msg := StatusFinished, ""
	if runErr != nil {
		status, msg = m.classify(ctx, runErr)
	}
	final, err := m.update(id, func(r *record) error {
		if r.Status != StatusRunning {
			return errStop // cancelled: Cancel recorded it
		}
		r.Status, r.Error, r.Ended = status, truncate(msg), m.now()
		switch {
		case r.Delivery == "":
		case status == StatusFinished:
			r.Delivery = DeliveryPending
		default:
			r.Delivery = DeliveryFailed
		}
		return nil
	})
	if err != nil {
		log.Error("recording the end of a query", "err", err)
		return
	}
	if final.Status != status {
		return
	}
	m.metrics.ended(status)
	log.Info("query ended", "status", status, "rows", final.Rows, "err", msg)
	if status == StatusFinished && final.DeliveryURI != "" {
		m.deliver(m.runCtx, final) // a shutdown deadline stops it too
	}
}

// classify turns the error that ended a query into its final status and
// error message.
func (m *Manager) classify(ctx context.Context, err error) (Status, string) {
	switch cause := context.Cause(ctx); {
	case errors.Is(cause, errCancelled):
		return StatusCancelled, "the query was cancelled"
	case errors.Is(cause, errShutdown):
		return StatusFailed, errShutdown.Error()
	case errors.Is(cause, errTimedOut), errors.Is(err, context.DeadlineExceeded):
		return StatusTimedOut, fmt.Sprintf("the query ran longer than the time limit of %s", m.opts.Timeout)
	}
	return StatusFailed, err.Error()
}

// execute runs r's statement and writes its rows as result files,
// recording each in r's record as soon as it is stored.
func (m *Manager) execute(ctx context.Context, r *record) error {
	scanned, err := m.eventsScanned(ctx, r.Statement)
	if err != nil {
		return err
	}
	rows, err := m.eng.Query(ctx, r.Statement)
	if err != nil {
		return err
	}
	defer rows.Close()
	bytesRead := rows.Stats().BytesRead
	if _, err := m.update(r.ID, func(r *record) error {
		r.EventsScanned, r.BytesScanned = scanned, bytesRead
		return nil
	}); err != nil {
		return err
	}
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := query.WriteCSV(pw, rows)
		pw.CloseWithError(err)
		done <- err
	}()
	werr := m.writeParts(ctx, r.ID, pr)
	pr.CloseWithError(errWriterStopped) // unblocks WriteCSV if it is still writing
	qerr := <-done
	if qerr != nil && !errors.Is(qerr, errWriterStopped) {
		return qerr // the query's own error, which ended the CSV early
	}
	return werr
}

var errWriterStopped = errors.New("results writer stopped")

// eventsScanned counts the events in the segments the statement reads,
// from the manifests' row counts, after time pruning.
func (m *Manager) eventsScanned(ctx context.Context, stmt string) (int64, error) {
	reads, err := m.eng.Analyze(ctx, stmt)
	if err != nil {
		return 0, err
	}
	var n int64
	seen := map[string]bool{}
	for _, rd := range reads {
		man, err := m.l.Manifest(ctx, rd.Store.ID)
		if err != nil {
			return 0, err
		}
		for _, s := range man.Overlapping(rd.From, rd.To) {
			if !seen[s.ID] {
				seen[s.ID] = true
				n += s.Rows
			}
		}
	}
	return n, nil
}

// partWriter accumulates rows of one result file.
type partWriter struct {
	buf    bytes.Buffer
	cw     *csv.Writer
	rows   int64
	opened time.Time
}

// writeParts reads the CSV that query.WriteCSV produces and stores it as
// result files of at most PartRows rows, each with the header, flushing a
// file early when FlushInterval has passed since its first row. It always
// stores at least one file. A query cancelled meanwhile stops it.
func (m *Manager) writeParts(ctx context.Context, id string, src io.Reader) error {
	cr := csv.NewReader(src)
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = false
	header, err := cr.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			err = errors.New("results have no header row")
		}
		return fmt.Errorf("read results: %w", err)
	}
	if _, err := m.update(id, func(r *record) error { r.Columns = header; return nil }); err != nil {
		return err
	}
	n := 0
	var p *partWriter
	flush := func() error {
		n++
		if err := p.cw.Error(); err != nil {
			return err
		}
		return m.storePart(ctx, id, n, p)
	}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("read results: %w", err)
		}
		if p == nil {
			p = newPart(header, m.now())
		}
		if err := p.cw.Write(rec); err != nil {
			return err
		}
		p.rows++
		if p.rows >= int64(m.opts.PartRows) || p.buf.Len() >= partMaxBytes || m.now().Sub(p.opened) >= m.opts.FlushInterval {
			if err := flush(); err != nil {
				return err
			}
			p = nil
		}
	}
	if p != nil || n == 0 {
		if p == nil {
			p = newPart(header, m.now())
		}
		return flush()
	}
	return nil
}

func newPart(header []string, now time.Time) *partWriter {
	p := &partWriter{opened: now}
	p.cw = csv.NewWriter(&p.buf)
	_ = p.cw.Write(header) // a bytes.Buffer does not fail
	return p
}

// storePart writes result file n and records it, unless the query is no
// longer running.
func (m *Manager) storePart(ctx context.Context, id string, n int, p *partWriter) error {
	p.cw.Flush()
	if err := ctx.Err(); err != nil {
		return context.Cause(ctx)
	}
	data := p.buf.Bytes()
	if err := m.l.Bucket().WriteAll(ctx, partKey(id, n), data, false); err != nil {
		return fmt.Errorf("store results: %w", err)
	}
	_, err := m.update(id, func(r *record) error {
		if r.Status != StatusRunning {
			return errCancelled
		}
		if len(r.Parts) != n-1 {
			return fmt.Errorf("store results: result file %d follows %d files", n, len(r.Parts))
		}
		r.Parts = append(r.Parts, part{Rows: p.rows, Bytes: int64(len(data))})
		r.Rows += p.rows
		return nil
	})
	return err
}
