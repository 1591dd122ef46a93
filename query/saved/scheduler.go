package saved

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/auditlake/auditlake/lake"
	"github.com/auditlake/auditlake/query/jobs"
)

// Runner runs a statement to completion and writes its result as CSV, a
// header row first, to w.
type Runner interface {
	// Run must call in.Authorize with the stores the statement reads
	// before it reads any, and stop with its error; a run whose Runner
	// did not call it is recorded FAILED and writes nothing.
	Run(ctx context.Context, in RunInput, w io.Writer) (queryID string, rows int64, err error)
}

// RunInput is one statement for a Runner.
type RunInput struct {
	Statement string
	Authorize func(ctx context.Context, stores []lake.StoreInfo) error
}

// Signer signs a report's CSV as delivered query results are signed
// (jobs.Manager.SignFiles): files maps file names to their bytes.
type Signer interface {
	SignFiles(completed time.Time, files map[string][]byte) (jobs.SignFile, error)
}

var _ Signer = (*jobs.Manager)(nil)

// Options configures a Scheduler. Runner is required.
type Options struct {
	Runner Runner
	// Signer, when set, signs each run's CSV: <fire time>_sign.json is
	// written beside it. serve always sets it.
	Signer   Signer
	Interval time.Duration    // between scheduling steps; 0: DefaultInterval
	Grace    time.Duration    // 0: DefaultGrace
	Now      func() time.Time // nil: time.Now
	Logger   *slog.Logger     // nil: discard
	// HTTPClient calls webhooks; nil: a client with a 30 s timeout.
	HTTPClient      *http.Client
	WebhookAttempts int           // 0: DefaultWebhookAttempts
	WebhookBackoff  time.Duration // 0: DefaultWebhookBackoff
	// Sleep waits between webhook attempts; nil: a timer that ctx stops.
	Sleep func(ctx context.Context, d time.Duration) error
}

// Scheduler runs the reports of one lake. One Scheduler per lake.
type Scheduler struct {
	st   *Store
	l    *lake.Lake
	opts Options
	log  *slog.Logger

	mu      sync.Mutex // serializes scheduling steps and manual runs
	stop    context.CancelFunc
	wg      sync.WaitGroup
	started bool
}

// NewScheduler settles the runs a previous process left RUNNING (they end
// FAILED and are not run again) and returns a Scheduler; Start starts its
// loop. The Store must have an Authorizer: every run is checked with it.
func NewScheduler(st *Store, opts Options) (*Scheduler, error) {
	if st == nil || opts.Runner == nil {
		return nil, errors.New("new scheduler: nil Store or Runner")
	}
	if st.authz == nil {
		return nil, errors.New("new scheduler: the Store has no Authorizer, and reports run only with their writers' authority")
	}
	if opts.Interval <= 0 {
		opts.Interval = DefaultInterval
	}
	if opts.Grace <= 0 {
		opts.Grace = DefaultGrace
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	if opts.WebhookAttempts <= 0 {
		opts.WebhookAttempts = DefaultWebhookAttempts
	}
	if opts.WebhookBackoff <= 0 {
		opts.WebhookBackoff = DefaultWebhookBackoff
	}
	if opts.Sleep == nil {
		opts.Sleep = sleep
	}
	s := &Scheduler{st: st, l: st.l, opts: opts, log: opts.Logger}
	if err := s.recover(); err != nil {
		return nil, fmt.Errorf("new scheduler: %w", err)
	}
	return s, nil
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *Scheduler) now() time.Time { return s.opts.Now().UTC().Truncate(time.Millisecond) }

// recover ends the runs a previous process left RUNNING.
func (s *Scheduler) recover() error {
	return s.l.ControlUpdate(func(c lake.Control) error {
		var stale []Run
		err := c.Scan(nsRuns, "", func(key string, data []byte) (bool, error) {
			var r Run
			if err := json.Unmarshal(data, &r); err != nil {
				return false, fmt.Errorf("%w: report run %s: %v", lake.ErrCorrupt, key, err)
			}
			if r.Status == RunRunning {
				stale = append(stale, r)
			}
			return true, nil
		})
		if err != nil {
			return err
		}
		for _, r := range stale {
			r.Status, r.Ended = RunFailed, s.now()
			r.Error = "auditlake stopped while this run was in progress; its fire time is not run again"
			s.log.Warn("report run interrupted by a restart", "report", r.ReportID, "fire_time", r.FireTime)
			if err := c.Put(nsRuns, runKey(r.ReportID, r.FireTime), r); err != nil {
				return err
			}
		}
		return nil
	})
}

// Start runs scheduling steps every Interval until Close.
func (s *Scheduler) Start() {
	ctx, cancel := context.WithCancel(context.Background())
	s.stop, s.started = cancel, true
	s.wg.Go(func() {
		t := time.NewTicker(s.opts.Interval)
		defer t.Stop()
		for {
			if err := s.RunDue(ctx); err != nil && ctx.Err() == nil {
				s.log.Error("report scheduling step", "err", err)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	})
}

// Close stops the loop and waits for it; a run in progress is cancelled
// and ends FAILED.
func (s *Scheduler) Close() error {
	if s.started {
		s.stop()
		s.wg.Wait()
	}
	return nil
}

// plan splits the fire times after r.LastFire up to now into those to run
// and those to record SKIPPED, by r.CatchUp. dropped counts missed fire
// times too old to get a record of their own.
func (s *Scheduler) plan(r Report, sched Schedule, now time.Time) (run, skip []time.Time, dropped int) {
	var due []time.Time
	for t, n := sched.Next(r.LastFire), 0; !t.After(now) && n < maxScan; t, n = sched.Next(t), n+1 {
		due = append(due, t)
	}
	if len(due) == 0 {
		return nil, nil, 0
	}
	last := due[len(due)-1]
	switch r.CatchUp {
	case CatchUpAll:
		k := max(0, len(due)-MaxCatchUp)
		run, skip = due[k:], due[:k]
	case CatchUpLatest:
		run, skip = due[len(due)-1:], due[:len(due)-1]
	default:
		if now.Sub(last) <= s.opts.Grace {
			run, skip = due[len(due)-1:], due[:len(due)-1]
		} else {
			skip = due
		}
	}
	if len(skip) > maxSkipRecords {
		dropped = len(skip) - maxSkipRecords
		skip = skip[dropped:]
	}
	return run, skip, dropped
}

// RunDue does one scheduling step: for each enabled report, it records
// missed fire times SKIPPED and runs the due ones, one after another.
func (s *Scheduler) RunDue(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	reports, err := s.st.ListReports(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for _, r := range reports {
		if !r.Enabled {
			continue
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		sched, err := ParseSchedule(r.Schedule, r.TimeZone)
		if err != nil {
			errs = append(errs, fmt.Errorf("report %s: %w", r.ID, err))
			continue
		}
		run, skip, dropped := s.plan(r, sched, s.now())
		if len(skip) > 0 {
			if err := s.skip(r.ID, skip, dropped); err != nil {
				errs = append(errs, err)
				continue
			}
		}
		for _, fire := range run {
			if err := s.runOne(ctx, r.ID, fire, nil); err != nil {
				errs = append(errs, err)
				break
			}
		}
	}
	return errors.Join(errs...)
}

// skip records fire times SKIPPED and moves LastFire past them.
func (s *Scheduler) skip(reportID string, fires []time.Time, dropped int) error {
	return s.l.ControlUpdate(func(c lake.Control) error {
		var r Report
		if err := c.Get(nsReports, reportID, &r); err != nil {
			return missing(err, "report", reportID)
		}
		for i, f := range fires {
			if !f.After(r.LastFire) {
				continue
			}
			run := Run{ReportID: reportID, FireTime: f, Status: RunSkipped, Started: s.now(), Ended: s.now(),
				Error: "missed while auditlake was not running (catch-up policy " + string(r.CatchUp) + ")"}
			if i == 0 && dropped > 0 {
				run.Error += fmt.Sprintf("; %d earlier fire times were missed too", dropped)
			}
			if err := c.Put(nsRuns, runKey(reportID, f), run); err != nil {
				return err
			}
			r.LastFire = f
		}
		return c.Put(nsReports, reportID, r)
	})
}

// RunNow runs a report at once, outside its schedule, with the window
// ending now, and returns the finished run. by, who starts it, must be
// allowed to read the stores too.
func (s *Scheduler) RunNow(ctx context.Context, reportID string, by Principal) (Run, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fire := s.now()
	if err := s.runOne(ctx, reportID, fire, &by); err != nil {
		return Run{}, err
	}
	var run Run
	err := s.l.ControlView(func(c lake.Control) error { return c.Get(nsRuns, runKey(reportID, fire), &run) })
	return run, err
}

// claim records the run RUNNING and, for a scheduled run, moves LastFire
// to fire, in one transaction. ok is false when another step claimed the
// fire time already.
func (s *Scheduler) claim(reportID string, fire time.Time, manual bool) (r Report, q Query, run Run, ok bool, err error) {
	err = s.l.ControlUpdate(func(c lake.Control) error {
		if err := c.Get(nsReports, reportID, &r); err != nil {
			return missing(err, "report", reportID)
		}
		var exists Run
		if err := c.Get(nsRuns, runKey(reportID, fire), &exists); err == nil || (!manual && !fire.After(r.LastFire)) {
			return nil
		}
		if err := c.Get(nsQueries, r.SavedQueryID, &q); err != nil {
			return missing(err, "saved query", r.SavedQueryID)
		}
		start := r.LastFire
		if r.Window > 0 || manual {
			start = fire.Add(-time.Duration(r.Window))
		}
		if manual && r.Window == 0 {
			start = fire.Add(-24 * time.Hour)
		}
		run = Run{ReportID: reportID, FireTime: fire, Status: RunRunning, WindowStart: start, WindowEnd: fire, Started: s.now(), Manual: manual}
		if !manual {
			r.LastFire = fire
			if err := c.Put(nsReports, reportID, r); err != nil {
				return err
			}
		}
		ok = true
		return c.Put(nsRuns, runKey(reportID, fire), run)
	})
	return r, q, run, ok, err
}

// runOne claims, runs and records one fire time of a report. by is set
// for a manual run: who started it.
func (s *Scheduler) runOne(ctx context.Context, reportID string, fire time.Time, by *Principal) error {
	r, q, run, ok, err := s.claim(reportID, fire, by != nil)
	if err != nil || !ok {
		return err
	}
	run.StartedBy = by
	log := s.log.With("report", r.ID, "fire_time", fire)
	run.QueryID, run.Rows, run.Location, run.SignLocation, err = s.execute(ctx, r, q, run, by)
	run.Status, run.Ended = RunSuccess, s.now()
	if err != nil {
		run.Status, run.Error = RunFailed, err.Error()
		log.Warn("report run failed", "err", err)
	} else {
		log.Info("report run succeeded", "rows", run.Rows, "location", run.Location)
	}
	if err := s.putRun(run); err != nil {
		return err
	}
	if r.Webhook == "" {
		return nil
	}
	run.Webhook = "SENT"
	if err := s.notify(context.WithoutCancel(ctx), r, run); err != nil {
		run.Webhook = "FAILED"
		log.Warn("report webhook failed", "err", err)
	}
	return s.putRun(run)
}

func (s *Scheduler) putRun(run Run) error {
	return s.l.ControlUpdate(func(c lake.Control) error { return c.Put(nsRuns, runKey(run.ReportID, run.FireTime), run) })
}

// notify posts the run to the report's webhook, retrying with exponential
// backoff.
func (s *Scheduler) notify(ctx context.Context, r Report, run Run) error {
	body, err := json.Marshal(struct {
		ReportName string `json:"ReportName"`
		Run
		Bucket string `json:"Bucket"`
	}{r.Name, run, s.l.Bucket().URL()})
	if err != nil {
		return err
	}
	wait := s.opts.WebhookBackoff
	var last error
	for attempt := range s.opts.WebhookAttempts {
		if attempt > 0 {
			if err := s.opts.Sleep(ctx, wait); err != nil {
				return errors.Join(last, err)
			}
			wait *= 2
		}
		if last = s.post(ctx, r.Webhook, body); last == nil {
			return nil
		}
	}
	return last
}

func (s *Scheduler) post(ctx context.Context, url string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.opts.HTTPClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("webhook %s answered %s", strings.SplitN(url, "?", 2)[0], resp.Status)
	}
	return nil
}
