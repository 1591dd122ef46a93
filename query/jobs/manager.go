package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"
	"gocloud.dev/blob"

	"github.com/auditlake/auditlake/lake"
	"github.com/auditlake/auditlake/query"
)

// Manager runs queries as jobs. It is safe for concurrent use. One Manager
// serves one open lake.
type Manager struct {
	l       *lake.Lake
	eng     *query.Engine
	opts    Options
	log     *slog.Logger
	metrics *metrics
	secret  []byte // HMAC key of page tokens

	runCtx  context.Context // parent of running queries; cancelled by Close
	stopRun context.CancelCauseFunc
	loopCtx context.Context // the sweep loop's
	stopLp  context.CancelFunc
	wg      sync.WaitGroup

	keyMu sync.Mutex // guards creating the signing key

	cache *resultCache // recent result files

	mu      sync.Mutex
	cond    *sync.Cond
	closed  bool
	closing chan struct{}   // closed by Close: waiters return
	active  map[string]*job // queued and running, by ID
	queue   []string        // queued IDs, oldest first
}

// Causes of a running query's context ending early.
var (
	errCancelled = errors.New("query cancelled")
	errTimedOut  = errors.New("query timed out")
	errShutdown  = errors.New("auditlake shut down while the query was running; run it again")
)

var deliveryURIRE = regexp.MustCompile(`^s3://[a-z0-9][.\-a-z0-9]{1,61}[a-z0-9](/.*)?$`)

// New opens the query manager of l: it settles queries a previous process
// left active (QUEUED ones are queued again, RUNNING ones end FAILED),
// sweeps expired ones and starts the workers. Close stops it.
func New(l *lake.Lake, eng *query.Engine, opts Options) (*Manager, error) {
	if l == nil || eng == nil {
		return nil, errors.New("new query manager: nil lake or engine")
	}
	if err := opts.normalize(); err != nil {
		return nil, fmt.Errorf("new query manager: %w", err)
	}
	m := &Manager{
		l: l, eng: eng, opts: opts, log: opts.Logger, active: map[string]*job{},
		closing: make(chan struct{}), cache: newResultCache(opts.ResultCacheBytes),
	}
	m.cond = sync.NewCond(&m.mu)
	var err error
	if m.metrics, err = newMetrics(opts.Registerer, m); err != nil {
		return nil, fmt.Errorf("new query manager: %w", err)
	}
	if m.secret, err = m.tokenSecret(); err != nil {
		return nil, fmt.Errorf("new query manager: %w", err)
	}
	if _, err := l.Bucket().SweepTemp(keyPrefix); err != nil {
		return nil, fmt.Errorf("new query manager: sweep results: %w", err)
	}
	if err := m.recover(); err != nil {
		return nil, fmt.Errorf("new query manager: %w", err)
	}
	if _, err := m.Sweep(context.Background()); err != nil {
		m.log.Warn("sweeping expired queries", "err", err)
	}
	m.runCtx, m.stopRun = context.WithCancelCause(context.Background())
	m.loopCtx, m.stopLp = context.WithCancel(context.Background())
	for range opts.Workers {
		m.wg.Go(m.worker)
	}
	if opts.SweepInterval > 0 {
		m.wg.Go(m.sweepLoop)
	}
	return m, nil
}

func (o *Options) normalize() error {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&o.MaxActive, DefaultMaxActive)
	def(&o.Workers, DefaultWorkers)
	def(&o.PartRows, DefaultPartRows)
	if o.ResultCacheBytes == 0 {
		o.ResultCacheBytes = DefaultResultCacheBytes
	}
	if o.Timeout == 0 {
		o.Timeout = DefaultTimeout
	}
	if o.ResultTTL == 0 {
		o.ResultTTL = DefaultResultTTL
	}
	if o.SweepInterval == 0 {
		o.SweepInterval = DefaultSweepInterval
	}
	if o.FlushInterval == 0 {
		o.FlushInterval = DefaultFlushInterval
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.OpenBucket == nil {
		o.OpenBucket = func(ctx context.Context, bucket string) (*blob.Bucket, error) {
			return blob.OpenBucket(ctx, "s3://"+bucket)
		}
	}
	switch {
	case o.MaxActive < 0, o.Workers < 0, o.PartRows < 0:
		return fmt.Errorf("negative MaxActive %d, Workers %d or PartRows %d", o.MaxActive, o.Workers, o.PartRows)
	case o.Timeout < 0, o.ResultTTL < 0, o.FlushInterval < 0:
		return fmt.Errorf("negative Timeout %s, ResultTTL %s or FlushInterval %s", o.Timeout, o.ResultTTL, o.FlushInterval)
	}
	return nil
}

func (m *Manager) now() time.Time { return m.opts.Now().UTC() }

// recover settles the queries a previous process left active.
func (m *Manager) recover() error {
	var queued []*record
	err := m.l.ControlUpdate(func(c lake.Control) error {
		var running []*record
		err := c.Scan(nsQueries, "", func(_ string, data []byte) (bool, error) {
			r, err := decodeRecord(data)
			if err != nil {
				return false, err
			}
			switch r.Status {
			case StatusQueued:
				queued = append(queued, r)
			case StatusRunning:
				running = append(running, r)
			}
			return true, nil
		})
		if err != nil {
			return err
		}
		for _, r := range running {
			r.Status, r.Ended = StatusFailed, m.now()
			r.Error = "auditlake stopped while the query was running; run it again"
			if r.Delivery != "" {
				r.Delivery = DeliveryFailed
			}
			m.log.Warn("query interrupted by a restart", logKeyID, r.ID)
			if err := putRecord(c, r, false); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("recover queries: %w", err)
	}
	slices.SortFunc(queued, func(a, b *record) int { return a.Created.Compare(b.Created) })
	for _, r := range queued {
		m.active[r.ID] = newJob(r.ID)
		m.queue = append(m.queue, r.ID)
	}
	return nil
}

// Start validates in.Statement, checks authorization and the concurrency
// limit, records the query QUEUED and returns it at once. Errors wrap
// ErrInvalidParameter, query.ErrInvalidStatement, lake.ErrStoreNotFound,
// lake.ErrInactiveStore, ErrInvalidDeliveryURI, ErrDeliveryBucketNotFound,
// ErrMaxConcurrent, ErrClosed, or are Authorize's error as is.
func (m *Manager) Start(ctx context.Context, in StartInput) (Query, error) {
	if n := len([]rune(in.Statement)); n == 0 || n > MaxStatementLength {
		return Query{}, fmt.Errorf("%w: the query statement has %d characters; it must have 1 to %d", ErrInvalidParameter, n, MaxStatementLength)
	}
	if in.DeliveryURI != "" && (len(in.DeliveryURI) > 1024 || !deliveryURIRE.MatchString(in.DeliveryURI)) {
		return Query{}, fmt.Errorf("%w: %q is not s3://bucket-name[/prefix]", ErrInvalidDeliveryURI, in.DeliveryURI)
	}
	if err := m.checkOpen(); err != nil {
		return Query{}, err
	}
	reads, err := m.eng.Analyze(ctx, in.Statement)
	if err != nil {
		return Query{}, err
	}
	stores := make([]lake.StoreInfo, len(reads))
	ids := make([]string, len(reads))
	for i, r := range reads {
		stores[i], ids[i] = r.Store, r.Store.ID
	}
	if in.Authorize != nil {
		if err := in.Authorize(ctx, stores); err != nil {
			return Query{}, err
		}
	}
	if in.DeliveryURI != "" {
		if err := m.checkDelivery(ctx, in.DeliveryURI); err != nil {
			return Query{}, err
		}
	}
	r := &record{
		ID: uuid.NewString(), Statement: in.Statement, Status: StatusQueued, Stores: ids,
		Created: m.now(), DeliveryURI: in.DeliveryURI,
	}
	if r.DeliveryURI != "" {
		r.Delivery = DeliveryPending
	}
	if err := m.reserve(r.ID); err != nil {
		return Query{}, err
	}
	if err := m.l.ControlUpdate(func(c lake.Control) error { return putRecord(c, r, true) }); err != nil {
		m.mu.Lock()
		delete(m.active, r.ID)
		m.mu.Unlock()
		return Query{}, fmt.Errorf("record query: %w", err)
	}
	m.mu.Lock()
	m.queue = append(m.queue, r.ID)
	m.cond.Signal()
	m.mu.Unlock()
	m.log.Info("query queued", logKeyID, r.ID, "stores", ids)
	return r.query(m.now()), nil
}

func (m *Manager) checkOpen() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return ErrClosed
	}
	return nil
}

// reserve takes one of the account's active-query slots for id.
func (m *Manager) reserve(id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return ErrClosed
	}
	if len(m.active) >= m.opts.MaxActive {
		return fmt.Errorf("%w: %d queries are queued or running, the most allowed; wait for some to finish or cancel them", ErrMaxConcurrent, len(m.active))
	}
	m.active[id] = newJob(id)
	return nil
}

// Describe returns the query with its statistics; ErrQueryNotFound if
// there is no such query (or it expired).
func (m *Manager) Describe(ctx context.Context, id string) (Query, error) {
	if !validID(id) {
		return Query{}, fmt.Errorf("%w: %q is not a query ID", ErrQueryNotFound, id)
	}
	r, err := m.get(id)
	if err != nil {
		return Query{}, err
	}
	m.withLiveStats(r)
	return r.query(m.now()), nil
}

// Cancel stops a queued or running query; it is CANCELLED when Cancel
// returns, and its DuckDB work stops promptly after. Errors wrap
// ErrQueryNotFound or ErrInactiveQuery.
func (m *Manager) Cancel(ctx context.Context, id string) (Query, error) {
	if !validID(id) {
		return Query{}, fmt.Errorf("%w: %q is not a query ID", ErrQueryNotFound, id)
	}
	scanned, bytes := m.liveStats(id)
	r, err := m.update(id, func(r *record) error {
		if !r.Status.Active() {
			return fmt.Errorf("%w: query %s is %s", ErrInactiveQuery, id, r.Status)
		}
		r.fillStats(scanned, bytes)
		now := m.now()
		if r.Started.IsZero() {
			r.Started = now
		}
		r.Status, r.Ended, r.Error = StatusCancelled, now, "the query was cancelled"
		if r.Delivery != "" {
			r.Delivery = DeliveryCancelled
		}
		return nil
	})
	if err != nil {
		return Query{}, err
	}
	m.mu.Lock()
	if j := m.active[id]; j != nil {
		j.ended = true
		j.wake()
		if j.running {
			j.cancel(errCancelled) // the worker removes it when DuckDB stops
		} else {
			delete(m.active, id)
			m.queue = slices.DeleteFunc(m.queue, func(q string) bool { return q == id })
		}
	}
	m.mu.Unlock()
	m.metrics.ended(StatusCancelled)
	m.log.Info("query cancelled", logKeyID, id)
	return r.query(m.now()), nil
}

// Close stops taking queries and waits, until ctx is done, for running
// queries to finish; then it cancels those still running and records them
// FAILED. Queued queries stay QUEUED and run when the lake is next served.
// Close does not close the lake or the engine.
func (m *Manager) Close(ctx context.Context) error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil
	}
	m.closed = true
	m.cond.Broadcast() // idle workers exit; busy ones exit after their query
	close(m.closing)   // waiting API calls answer
	m.mu.Unlock()
	m.stopLp()
	done := make(chan struct{})
	go func() { m.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
	}
	m.stopRun(errShutdown)
	<-done
	return nil
}
