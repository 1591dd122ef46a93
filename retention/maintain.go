package retention

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/auditlake/auditlake/lake"
)

// DefaultInterval is how often the maintenance loop runs.
const DefaultInterval = 10 * time.Minute

// Options configures a Maintainer. Zero values take the defaults.
type Options struct {
	Interval   time.Duration    // 0: DefaultInterval
	Grace      time.Duration    // how long retired files stay; 0: lake.DefaultRetireGrace, <0: none
	Compaction CompactionPolicy // which segments are merged
	// SweepResults removes expired query results (jobs.Manager.Sweep); nil:
	// results are left to their owner.
	SweepResults func(context.Context) (int, error)
	// Audit, when set, is told of every change maintenance makes to a store
	// (expired segments, a purge), for auditlake's own audit events.
	Audit  func(ctx context.Context, c lake.StoreChange)
	Now    func() time.Time // nil: time.Now
	Logger *slog.Logger
	// Registerer receives the maintenance metrics; nil: none.
	Registerer prometheus.Registerer
}

// Maintainer runs retention, compaction, the pending-deletion purge and the
// removal of expired query results over every store of a lake: once
// (RunOnce) or on a schedule (Start).
type Maintainer struct {
	l    *lake.Lake
	opts Options
	log  *slog.Logger
	m    *metrics

	mu     sync.Mutex // one pass at a time
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// New returns a Maintainer of l.
func New(l *lake.Lake, opts Options) (*Maintainer, error) {
	if opts.Interval == 0 {
		opts.Interval = DefaultInterval
	}
	if opts.Interval < 0 {
		return nil, fmt.Errorf("%w: maintenance interval %s", lake.ErrInvalidParameter, opts.Interval)
	}
	if opts.Grace == 0 {
		opts.Grace = lake.DefaultRetireGrace
	}
	if opts.Grace < 0 {
		opts.Grace = 0
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	opts.Compaction = opts.Compaction.withDefaults()
	return &Maintainer{l: l, opts: opts, log: opts.Logger, m: newMetrics(opts.Registerer)}, nil
}

// Report is what one pass planned and did.
type Report struct {
	Plans           []StorePlan
	SegmentsExpired int
	EventsExpired   int64
	SegmentsMerged  int
	SegmentsWritten int
	StoresPurged    int
	FilesDeleted    int
	BytesReclaimed  int64
	FilesWaiting    int // retired files still in their grace period or held by a query
	ResultsRemoved  int
	Failures        []error
}

// Err joins the pass's failures.
func (r *Report) Err() error { return errors.Join(r.Failures...) }

// Plan returns what a pass would do now, changing nothing.
func (mt *Maintainer) Plan(ctx context.Context) ([]StorePlan, error) {
	stores, err := mt.l.ListStores(ctx)
	if err != nil {
		return nil, err
	}
	pending, err := mt.l.PendingBatches()
	if err != nil {
		return nil, err
	}
	now := mt.opts.Now()
	plans := make([]StorePlan, 0, len(stores))
	for _, s := range stores {
		m, err := mt.l.Manifest(ctx, s.ID)
		if err != nil {
			return nil, fmt.Errorf("plan store %s: %w", s.ID, err)
		}
		after, _ := mt.l.PurgeAfter(s)
		plans = append(plans, PlanStore(now, s, m, pending, after, mt.opts.Compaction))
	}
	return plans, nil
}

// RunOnce runs one pass: it finishes interrupted purges, plans every
// store, and carries the plans out; then it deletes the files of retired
// segments whose grace period is over and removes expired query results.
// With dryRun it only plans. A failure in one store or merge is counted,
// logged and reported, and the pass goes on with the rest; the error
// returned is for failures that stop the pass.
func (mt *Maintainer) RunOnce(ctx context.Context, dryRun bool) (*Report, error) {
	mt.mu.Lock()
	defer mt.mu.Unlock()
	start := time.Now()
	rep := &Report{}
	failed := map[string]bool{}
	if !dryRun {
		st, err := mt.l.FinishPurges(ctx)
		rep.BytesReclaimed += st.Bytes
		mt.m.bytesReclaimed.Add(float64(st.Bytes))
		if err != nil {
			mt.fail(rep, TaskPurge, err)
			failed[TaskPurge] = true
		}
	}
	plans, err := mt.Plan(ctx)
	if err != nil {
		return rep, err
	}
	rep.Plans = plans
	if dryRun {
		return rep, nil
	}
	for _, p := range plans {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		mt.runStore(ctx, p, rep, failed)
	}
	mt.collect(ctx, rep, failed)
	if mt.opts.SweepResults != nil {
		mt.m.runs.WithLabelValues(TaskResults).Inc()
		n, err := mt.opts.SweepResults(ctx)
		rep.ResultsRemoved = n
		mt.m.resultsSwept.Add(float64(n))
		if err != nil {
			mt.fail(rep, TaskResults, err)
			failed[TaskResults] = true
		}
	}
	for _, t := range tasks {
		if !failed[t] {
			mt.m.lastSuccess.WithLabelValues(t).SetToCurrentTime()
		}
	}
	mt.m.passDuration.Observe(time.Since(start).Seconds())
	return rep, nil
}

func (mt *Maintainer) fail(rep *Report, task string, err error) {
	mt.m.failures.WithLabelValues(task).Inc()
	mt.log.Error("maintenance task failed", "task", task, "err", err)
	rep.Failures = append(rep.Failures, fmt.Errorf("%s: %w", task, err))
}

func (mt *Maintainer) runStore(ctx context.Context, p StorePlan, rep *Report, failed map[string]bool) {
	if p.Purge {
		mt.m.runs.WithLabelValues(TaskPurge).Inc()
		if err := mt.keepHistory(ctx, p.Store.ID, nil); err != nil {
			mt.fail(rep, TaskPurge, err)
			failed[TaskPurge] = true
			return
		}
		st, err := mt.l.PurgeStore(ctx, p.Store.ID)
		rep.BytesReclaimed += st.Bytes
		mt.m.bytesReclaimed.Add(float64(st.Bytes))
		if err != nil {
			mt.fail(rep, TaskPurge, err)
			failed[TaskPurge] = true
			return
		}
		rep.StoresPurged++
		mt.m.storesPurged.Inc()
		mt.audit(ctx, lake.StoreChange{Store: p.Store.ID, Action: lake.ChangePurge, Detail: "data removed after the pending-deletion window"})
		return
	}
	if len(p.Expire) > 0 {
		mt.m.runs.WithLabelValues(TaskRetention).Inc()
		if err := mt.expire(ctx, p, rep); err != nil {
			mt.fail(rep, TaskRetention, fmt.Errorf("store %s: %w", p.Store.ID, err))
			failed[TaskRetention] = true
		}
	}
	for _, g := range p.Compact {
		mt.m.runs.WithLabelValues(TaskCompaction).Inc()
		if _, err := mt.l.Compact(ctx, p.Store.ID, g); err != nil {
			mt.fail(rep, TaskCompaction, fmt.Errorf("store %s: %w", p.Store.ID, err))
			failed[TaskCompaction] = true
			continue
		}
		rep.SegmentsMerged += len(g)
		rep.SegmentsWritten++
		mt.m.segmentsMerged.Add(float64(len(g)))
		mt.m.segmentsWritten.Inc()
	}
}

// expire removes the plan's expired segments, after checking them again
// against the store as it is now: a retention period raised since the
// plan was made keeps what it now covers.
func (mt *Maintainer) expire(ctx context.Context, p StorePlan, rep *Report) error {
	s, err := mt.l.GetStore(ctx, p.Store.ID)
	if err != nil {
		return err
	}
	if s.Status == lake.StatusPendingDeletion {
		return nil
	}
	if err := CheckRetention(s); err != nil {
		return nil
	}
	m, err := mt.l.Manifest(ctx, s.ID)
	if err != nil {
		return err
	}
	planned := map[string]bool{}
	for _, seg := range p.Expire {
		planned[seg.ID] = true
	}
	var ids []string
	var segs []lake.Segment
	var events int64
	var oldest, newest time.Time
	for _, seg := range Expired(mt.opts.Now(), s.RetentionPeriod, m.Segments) {
		if !planned[seg.ID] {
			continue
		}
		ids = append(ids, seg.ID)
		segs = append(segs, seg)
		events += seg.Rows
		if oldest.IsZero() || seg.MinTime.Before(oldest) {
			oldest = seg.MinTime
		}
		newest = maxTime(newest, seg.MaxTime)
	}
	if len(ids) == 0 {
		return nil
	}
	if err := mt.keepHistory(ctx, s.ID, segs); err != nil {
		return err
	}
	if _, err := mt.l.Replace(ctx, s.ID, lake.Change{Remove: ids}, "retention"); err != nil {
		return err
	}
	rep.SegmentsExpired += len(ids)
	rep.EventsExpired += events
	mt.m.segmentsExpired.Add(float64(len(ids)))
	mt.m.eventsExpired.Add(float64(events))
	c := lake.StoreChange{Store: s.ID, Action: lake.ChangeRetention, Status: s.Status,
		Detail: fmt.Sprintf("%d events in %d segments expired (eventTime %s to %s; retention %d days, cutoff %s)",
			events, len(ids), oldest.Format(time.RFC3339), newest.Format(time.RFC3339), s.RetentionPeriod,
			Cutoff(mt.opts.Now(), s.RetentionPeriod).Format(time.RFC3339))}
	if err := mt.l.RecordStoreChange(c); err != nil {
		mt.log.Warn("recording retention in the store's history", "store", s.ID, "err", err)
	}
	mt.audit(ctx, c)
	mt.log.Info("expired events", "store", s.ID, "segments", len(ids), "events", events)
	return nil
}

// keepHistory copies into the event history what it still shows of the
// store's segments (all of them when segs is nil) before they leave the
// store: a store shorter-lived than the history, or one being purged, may
// hold the only copy (lake.KeepHistory).
func (mt *Maintainer) keepHistory(ctx context.Context, storeID string, segs []lake.Segment) error {
	if segs == nil {
		m, err := mt.l.Manifest(ctx, storeID)
		if err != nil {
			return fmt.Errorf("store %s: %w", storeID, err)
		}
		segs = m.Segments
	}
	n, err := mt.l.KeepHistory(ctx, storeID, segs, mt.opts.Now())
	if err != nil {
		return err
	}
	if n > 0 {
		mt.log.Info("kept events in the event history", "store", storeID, "events", n)
	}
	return nil
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func (mt *Maintainer) audit(ctx context.Context, c lake.StoreChange) {
	if mt.opts.Audit != nil {
		mt.opts.Audit(ctx, c)
	}
}

func (mt *Maintainer) collect(ctx context.Context, rep *Report, failed map[string]bool) {
	mt.m.runs.WithLabelValues(TaskCollect).Inc()
	st, err := mt.l.CollectRetired(ctx, mt.opts.Grace)
	rep.FilesDeleted += st.Segments
	rep.FilesWaiting += st.Waiting
	rep.BytesReclaimed += st.Bytes
	mt.m.bytesReclaimed.Add(float64(st.Bytes))
	if err != nil {
		mt.fail(rep, TaskCollect, err)
		failed[TaskCollect] = true
	}
}

// Start runs a pass every Interval in the background until Close.
func (mt *Maintainer) Start() {
	ctx, cancel := context.WithCancel(context.Background())
	mt.cancel = cancel
	mt.wg.Go(func() {
		t := time.NewTicker(mt.opts.Interval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			rep, err := mt.RunOnce(ctx, false)
			switch {
			case ctx.Err() != nil:
				return
			case err != nil:
				mt.log.Error("maintenance pass failed", "err", err)
			case !rep.empty():
				mt.log.Info("maintenance pass", "segments_expired", rep.SegmentsExpired, "events_expired", rep.EventsExpired,
					"segments_merged", rep.SegmentsMerged, "stores_purged", rep.StoresPurged,
					"bytes_reclaimed", rep.BytesReclaimed, "results_removed", rep.ResultsRemoved, "failures", len(rep.Failures))
			}
		}
	})
}

func (r *Report) empty() bool {
	return r.SegmentsExpired == 0 && r.SegmentsMerged == 0 && r.StoresPurged == 0 && r.FilesDeleted == 0 &&
		r.ResultsRemoved == 0 && len(r.Failures) == 0
}

// Close stops the loop and waits for a running pass to stop.
func (mt *Maintainer) Close() {
	if mt.cancel != nil {
		mt.cancel()
	}
	mt.wg.Wait()
}
