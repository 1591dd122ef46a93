package jobs

import (
	"context"
	"time"
)

// job is an active query in memory. Its fields are guarded by Manager.mu.
type job struct {
	id      string
	running bool
	cancel  context.CancelCauseFunc // set when running

	// What waiters watch: the result rows recorded so far and whether the
	// final status is recorded. changed is closed, and replaced, when
	// either changes.
	rows    int64
	ended   bool
	changed chan struct{}

	// Statistics of the running query that its record may not hold yet:
	// they are recorded with its first result file or its end.
	scanned, bytes int64
}

func newJob(id string) *job { return &job{id: id, changed: make(chan struct{})} }

// wake tells the job's waiters that it changed.
func (j *job) wake() {
	close(j.changed)
	j.changed = make(chan struct{})
}

// withJob applies fn to the active job id, if there is one.
func (m *Manager) withJob(id string, fn func(j *job)) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if j := m.active[id]; j != nil {
		fn(j)
	}
}

// note applies fn to the active job id, if there is one, and wakes its
// waiters.
func (m *Manager) note(id string, fn func(j *job)) {
	m.withJob(id, func(j *job) {
		fn(j)
		j.wake()
	})
}

// WaitEnd blocks until the query is no longer QUEUED or RUNNING, d has
// passed, ctx ends or the manager closes, whichever comes first. It returns
// at once for a query that is not active, or not known. The caller reads
// the query again afterwards: WaitEnd says nothing about why it returned.
func (m *Manager) WaitEnd(ctx context.Context, id string, d time.Duration) {
	m.wait(ctx, id, d, func(j *job) bool { return j.ended })
}

// WaitRows is WaitEnd that also returns once the query has recorded more
// than rows result rows: what a GetQueryResults page that found no rows to
// return waits for.
func (m *Manager) WaitRows(ctx context.Context, id string, rows int64, d time.Duration) {
	m.wait(ctx, id, d, func(j *job) bool { return j.ended || j.rows > rows })
}

func (m *Manager) wait(ctx context.Context, id string, d time.Duration, done func(j *job) bool) {
	if d <= 0 {
		return
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		m.mu.Lock()
		j := m.active[id]
		if j == nil || m.closed || done(j) {
			m.mu.Unlock()
			return
		}
		changed := j.changed
		m.mu.Unlock()
		select {
		case <-changed:
		case <-timer.C:
			return
		case <-ctx.Done():
			return
		case <-m.closing:
			return
		}
	}
}

// liveStats returns the statistics the running query id has in memory.
func (m *Manager) liveStats(id string) (scanned, bytes int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if j := m.active[id]; j != nil {
		return j.scanned, j.bytes
	}
	return 0, 0
}

// withLiveStats fills the statistics a running query's record does not
// hold yet from memory.
func (m *Manager) withLiveStats(r *record) {
	if r.Status != StatusRunning || r.EventsScanned != 0 || r.BytesScanned != 0 {
		return
	}
	r.EventsScanned, r.BytesScanned = m.liveStats(r.ID)
}
