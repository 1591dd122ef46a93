package jobs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"

	"github.com/auditlake/auditlake/internal/fsutil"
	"github.com/auditlake/auditlake/query"
)

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
		j.wake() // in case run could not record the end
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
	release, last, runErr := m.execute(ctx, r)
	status, msg := StatusFinished, ""
	if runErr != nil {
		status, msg = m.classify(ctx, runErr)
	}
	final, err := m.end(id, status, msg, last)
	// The engine's rows are released once the end is recorded: closing the
	// query's database takes milliseconds that callers need not wait for.
	if release != nil {
		release()
	}
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

// end records the final status of a running query, with the statistics
// it has in memory and, when it FINISHED, its last result file (written,
// not recorded yet; nil if there is none), and wakes its waiters: they
// see the last rows and the end at once. A query that is no longer
// RUNNING (cancelled meanwhile) is returned unchanged.
func (m *Manager) end(id string, status Status, msg string, last *partWriter) (*record, error) {
	if status != StatusFinished {
		last = nil
	}
	if last != nil {
		m.cache.put(partKey(id, last.n), last.data) // it is written; readers find it once it is recorded
	}
	scanned, bytes := m.liveStats(id)
	final, err := m.update(id, func(r *record) error {
		if r.Status != StatusRunning {
			return errStop // cancelled: Cancel recorded it
		}
		if last != nil {
			if err := r.addPart(last); err != nil {
				return err
			}
		}
		r.fillStats(scanned, bytes)
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
	if err == nil && final.Status == status {
		m.note(id, func(j *job) { j.ended, j.rows = true, final.Rows })
	}
	return final, err
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
// recording each but the last in r's record as soon as it is stored (see
// writeParts). release, when not nil, releases the engine's rows; the
// caller calls it once it recorded the query's end.
func (m *Manager) execute(ctx context.Context, r *record) (release func(), last *partWriter, err error) {
	scanned := make(chan error, 1)
	go func() { // these overlap the engine's work
		m.prepareResults(r.ID)
		n, err := m.eventsScanned(ctx, r.Statement)
		m.withJob(r.ID, func(j *job) { j.scanned = n })
		scanned <- err
	}()
	rows, err := m.eng.Query(ctx, r.Statement)
	serr := <-scanned
	if err != nil {
		return nil, nil, err
	}
	release = func() {
		if err := rows.Close(); err != nil {
			m.log.Warn("closing query rows", logKeyID, r.ID, "err", err)
		}
	}
	if serr != nil {
		return release, nil, serr
	}
	bytesRead := rows.Stats().BytesRead
	m.withJob(r.ID, func(j *job) { j.bytes = bytesRead })
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := query.WriteCSV(pw, rows)
		pw.CloseWithError(err)
		done <- err
	}()
	last, werr := m.writeParts(ctx, r.ID, pr)
	pr.CloseWithError(errWriterStopped) // unblocks WriteCSV if it is still writing
	qerr := <-done
	if qerr != nil && !errors.Is(qerr, errWriterStopped) {
		return release, nil, qerr // the query's own error, which ended the CSV early
	}
	return release, last, werr
}

var errWriterStopped = errors.New("results writer stopped")

// prepareResults creates the folder of a query's result files in a local
// bucket, durably, so that storing its first file need not wait for that.
// Storing creates it anyway, so an error here is left to that.
func (m *Manager) prepareResults(id string) {
	if path, ok := m.l.Bucket().LocalPath(partKey(id, 1)); ok {
		_ = fsutil.MkdirAllDurable(filepath.Dir(path))
	}
}

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
