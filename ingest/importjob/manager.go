package importjob

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/auditlake/auditlake/ingest"
	"github.com/auditlake/auditlake/lake"
)

// Defaults of Options.
const (
	// DefaultMaxFileBytes bounds one file an import reads into memory.
	// CloudTrail delivers files of a few MB; a larger one is reported as a
	// failure.
	DefaultMaxFileBytes = 256 << 20
	// DefaultDownloads is how many files an import downloads at once: an
	// object store answers each GET after a round trip, so many are in
	// flight while a few CPUs decode.
	DefaultDownloads = 16
	// DefaultMaxListResults is the page size of List and Failures.
	DefaultMaxListResults = 1000
)

// Options configures a Manager. Zero values take the defaults.
type Options struct {
	// Workers decode files in parallel; 0: GOMAXPROCS.
	Workers int
	// Downloads read files from the source in parallel; 0:
	// DefaultDownloads. Each holds one whole file.
	Downloads int
	// BufferBytes is each destination writer's buffer (ingest.Writer); 0:
	// ingest.DefaultBufferBytes.
	BufferBytes int64
	// MaxFileBytes bounds one file; 0: DefaultMaxFileBytes.
	MaxFileBytes int64
	// S3Defaults are gocloud.dev/blob S3 URL parameters (endpoint,
	// use_path_style, region, ...) applied to s3:// sources that do not set
	// them: the S3-compatible store the server imports from.
	S3Defaults url.Values
	Logger     *slog.Logger     // nil: discard
	Now        func() time.Time // nil: time.Now
}

// Manager starts, runs, stops and reports imports. Imports it runs in the
// background stop with Close and, left IN_PROGRESS, resume with
// ResumeAll. It is safe for concurrent use.
type Manager struct {
	lake *lake.Lake
	opts Options
	log  *slog.Logger

	mu      sync.Mutex
	running map[string]*handle
	closed  bool
	wg      sync.WaitGroup
}

// handle is a running import.
type handle struct {
	cancel context.CancelCauseFunc
	done   chan struct{}
}

// New returns a Manager for the lake.
func New(l *lake.Lake, opts Options) *Manager {
	if opts.Workers <= 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	if opts.Downloads <= 0 {
		opts.Downloads = DefaultDownloads
	}
	if opts.BufferBytes <= 0 {
		opts.BufferBytes = ingest.DefaultBufferBytes
	}
	if opts.MaxFileBytes <= 0 {
		opts.MaxFileBytes = DefaultMaxFileBytes
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Manager{lake: l, opts: opts, log: opts.Logger, running: map[string]*handle{}}
}

// StartInput describes an import to start, or names one to restart.
type StartInput struct {
	// ID restarts an existing import that is not running (STOPPED, FAILED,
	// or IN_PROGRESS and interrupted); the other fields must then be empty.
	ID           string
	Source       string   // s3://bucket/prefix[?params], file:///folder or a local path
	Region       string   // the source bucket's region (S3BucketRegion)
	RoleARN      string   // S3BucketAccessRoleArn: recorded, not used
	Destinations []string // event data stores: ID, name or ARN
	Start, End   time.Time
}

// Start records a new import (or restarts one) and runs it in the
// background. It returns the record as it starts.
func (m *Manager) Start(ctx context.Context, in StartInput) (Import, error) {
	if err := m.checkIdle(in.ID); err != nil {
		return Import{}, err
	}
	im, err := m.prepare(ctx, in)
	if err != nil {
		return Import{}, err
	}
	runCtx, cancel := context.WithCancelCause(context.Background())
	h, err := m.launch(im.ID, cancel, true)
	if err != nil {
		cancel(nil)
		return Import{}, err
	}
	go func() {
		defer m.wg.Done()
		defer close(h.done)
		defer cancel(nil)
		if err := m.execute(runCtx, im.ID, nil); err != nil {
			m.log.Error("import ended without saving its state", "import", im.ID, "err", err)
		}
	}()
	return im, nil
}

// Run runs an import in the foreground and returns its final record. With
// a non-empty in.ID it resumes that import. onProgress, when set, is called
// with the record each time its statistics change. When ctx ends the import
// stays IN_PROGRESS, to be resumed by running it again.
func (m *Manager) Run(ctx context.Context, in StartInput, onProgress func(Import)) (Import, error) {
	if err := m.checkIdle(in.ID); err != nil {
		return Import{}, err
	}
	im, err := m.prepare(ctx, in)
	if err != nil {
		return Import{}, err
	}
	runCtx, cancel := context.WithCancelCause(ctx)
	h, err := m.launch(im.ID, cancel, false)
	if err != nil {
		cancel(nil)
		return Import{}, err
	}
	defer func() {
		cancel(nil)
		close(h.done)
	}()
	if err := m.execute(runCtx, im.ID, onProgress); err != nil {
		return Import{}, err
	}
	return m.Get(ctx, im.ID)
}

// checkIdle refuses to start an import while one runs, before any record
// is written; launch checks again.
func (m *Manager) checkIdle(id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.running[id]; ok && id != "" {
		return fmt.Errorf("%w: import %s is running", ErrNotPermitted, id)
	}
	for other := range m.running {
		return fmt.Errorf("%w: import %s; stop it or wait for it to end", ErrOngoingImport, other)
	}
	return nil
}

// launch registers a run of id: one import runs at a time.
// A background run is counted in m.wg, which Close waits on.
func (m *Manager) launch(id string, cancel context.CancelCauseFunc, background bool) (*handle, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, lake.ErrClosed
	}
	if _, ok := m.running[id]; ok {
		return nil, fmt.Errorf("%w: import %s is running", ErrNotPermitted, id)
	}
	for other := range m.running {
		return nil, fmt.Errorf("%w: import %s; stop it or wait for it to end", ErrOngoingImport, other)
	}
	h := &handle{done: make(chan struct{}), cancel: cancel}
	m.running[id] = h
	if background {
		m.wg.Add(1)
	}
	return h, nil
}

func (m *Manager) finished(id string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.running, id)
}

// prepare validates in and saves the import's record: a new one in
// INITIALIZING, or the restarted one.
func (m *Manager) prepare(ctx context.Context, in StartInput) (Import, error) {
	if in.ID != "" {
		return m.restart(in)
	}
	if !in.Start.IsZero() && !in.End.IsZero() && in.End.Before(in.Start) {
		return Import{}, fmt.Errorf("%w: the end time %s is before the start time %s", ErrInvalidParameter, in.End.Format(time.RFC3339), in.Start.Format(time.RFC3339))
	}
	if len(in.Destinations) == 0 {
		return Import{}, fmt.Errorf("%w: name at least one destination event data store", ErrInvalidParameter)
	}
	var ids []string
	for _, ref := range in.Destinations {
		st, err := m.destination(ctx, ref)
		if err != nil {
			return Import{}, err
		}
		if !slices.Contains(ids, st.ID) {
			ids = append(ids, st.ID)
		}
	}
	src, err := openSource(ctx, in.Source, m.sourceDefaults(in.Region))
	if err != nil {
		return Import{}, err
	}
	_ = src.close()
	now := m.opts.Now().UTC()
	im := Import{
		ID: uuid.NewString(), Source: in.Source, Region: in.Region, RoleARN: in.RoleARN, Destinations: ids,
		Start: in.Start.UTC(), End: in.End.UTC(), Status: StatusInitializing, Created: now, Updated: now,
	}
	if in.Start.IsZero() {
		im.Start = time.Time{}
	}
	if in.End.IsZero() {
		im.End = time.Time{}
	}
	err = m.lake.ControlUpdate(func(c lake.Control) error { return c.Put(nsImports, im.ID, im) })
	return im, err
}

// restart makes a stopped, failed or interrupted import run again.
func (m *Manager) restart(in StartInput) (Import, error) {
	if in.Source != "" || len(in.Destinations) > 0 || !in.Start.IsZero() || !in.End.IsZero() {
		return Import{}, fmt.Errorf("%w: to restart import %s, give its ID alone", ErrInvalidParameter, in.ID)
	}
	var im Import
	err := m.lake.ControlUpdate(func(c lake.Control) error {
		var err error
		if im, err = loadImport(c, in.ID); err != nil {
			return err
		}
		if im.Status == StatusCompleted {
			return fmt.Errorf("%w: import %s is COMPLETED; start a new import to look for new files", ErrNotPermitted, in.ID)
		}
		im.Status, im.Error, im.Updated = StatusInitializing, "", m.opts.Now().UTC()
		return c.Put(nsImports, im.ID, im)
	})
	return im, err
}

// destination resolves and checks a destination store.
func (m *Manager) destination(ctx context.Context, ref string) (lake.StoreInfo, error) {
	st, err := m.lake.GetStore(ctx, ref)
	if err != nil {
		return st, err
	}
	if st.Hidden {
		return st, fmt.Errorf("%w: %s", lake.ErrStoreNotFound, ref)
	}
	switch st.Status {
	case lake.StatusPendingDeletion, lake.StatusStoppedIngestion, lake.StatusStoppingIngestion:
		return st, fmt.Errorf("%w: event data store %s (%s) is %s and takes no events", lake.ErrInactiveStore, st.Name, st.ID, st.Status)
	}
	if _, err := ingest.CompileSelectors(st.AdvancedEventSelectors); err != nil {
		return st, fmt.Errorf("event data store %s: %w", st.ID, err)
	}
	return st, nil
}

func (m *Manager) sourceDefaults(region string) url.Values {
	q := url.Values{}
	for k, v := range m.opts.S3Defaults {
		q[k] = v
	}
	if region != "" {
		q.Set("region", region)
	}
	return q
}

// Resumable returns the most recent unfinished import with the same
// source, destinations and time range as in, if any: running the same
// import command again resumes it.
func (m *Manager) Resumable(ctx context.Context, in StartInput) (Import, bool, error) {
	var ids []string
	for _, ref := range in.Destinations {
		st, err := m.destination(ctx, ref)
		if err != nil {
			return Import{}, false, err
		}
		ids = append(ids, st.ID)
	}
	var found Import
	ok := false
	err := m.lake.ControlView(func(c lake.Control) error {
		return c.Scan(nsImports, "", func(_ string, v []byte) (bool, error) {
			var im Import
			if err := json.Unmarshal(v, &im); err != nil {
				return false, err
			}
			if im.Status == StatusCompleted || im.Source != in.Source || !slices.Equal(im.Destinations, ids) ||
				!im.Start.Equal(in.Start) || !im.End.Equal(in.End) {
				return true, nil
			}
			if !ok || im.Created.After(found.Created) {
				found, ok = im, true
			}
			return true, nil
		})
	})
	return found, ok, err
}

// Get returns an import's record.
func (m *Manager) Get(ctx context.Context, id string) (Import, error) {
	var im Import
	err := m.lake.ControlView(func(c lake.Control) error {
		var err error
		im, err = loadImport(c, id)
		return err
	})
	return im, err
}

// ListInput filters and pages List.
type ListInput struct {
	Destination string // a store ID; "" for all
	Status      Status // "" for all
	NextToken   string
	MaxResults  int // 0: DefaultMaxListResults
}

// List returns imports in ID order, and the token of the next page.
func (m *Manager) List(ctx context.Context, in ListInput) ([]Import, string, error) {
	max := in.MaxResults
	if max <= 0 {
		max = DefaultMaxListResults
	}
	from := ""
	if in.NextToken != "" {
		from = in.NextToken + "\x00"
	}
	var out []Import
	next := ""
	err := m.lake.ControlView(func(c lake.Control) error {
		return c.Scan(nsImports, from, func(k string, v []byte) (bool, error) {
			var im Import
			if err := json.Unmarshal(v, &im); err != nil {
				return false, fmt.Errorf("%w: import %s: %v", lake.ErrCorrupt, k, err)
			}
			if (in.Destination != "" && !slices.Contains(im.Destinations, in.Destination)) || (in.Status != "" && im.Status != in.Status) {
				return true, nil
			}
			if len(out) == max {
				next = out[len(out)-1].ID
				return false, nil
			}
			out = append(out, im)
			return true, nil
		})
	})
	return out, next, err
}

// Failures returns a page of an import's failure entries, oldest first.
func (m *Manager) Failures(ctx context.Context, id, token string, max int) ([]Failure, string, error) {
	if max <= 0 {
		max = DefaultMaxListResults
	}
	var out []Failure
	var next string
	err := m.lake.ControlView(func(c lake.Control) error {
		if _, err := loadImport(c, id); err != nil {
			return err
		}
		var err error
		out, next, err = listFailures(c, id, token, max)
		return err
	})
	return out, next, err
}

// Stop stops an import: a running one finishes the batch it is writing,
// saves its progress and ends STOPPED. Starting it again (StartInput.ID)
// resumes it.
func (m *Manager) Stop(ctx context.Context, id string) (Import, error) {
	im, err := m.Get(ctx, id)
	if err != nil {
		return im, err
	}
	if im.Status == StatusCompleted || im.Status == StatusFailed {
		return im, fmt.Errorf("%w: import %s is %s", ErrNotPermitted, id, im.Status)
	}
	m.mu.Lock()
	h := m.running[id]
	m.mu.Unlock()
	if h != nil {
		h.cancel(errStopped)
		select {
		case <-h.done:
		case <-ctx.Done():
			return im, ctx.Err()
		}
	}
	err = m.lake.ControlUpdate(func(c lake.Control) error {
		cur, err := loadImport(c, id)
		if err != nil {
			return err
		}
		if cur.Status != StatusCompleted && cur.Status != StatusFailed {
			cur.Status, cur.Updated = StatusStopped, m.opts.Now().UTC()
		}
		im = cur
		return c.Put(nsImports, id, cur)
	})
	return im, err
}

// ResumeAll resumes, one after another in the background, every import
// left INITIALIZING or IN_PROGRESS by a process that ended (a server
// restart), oldest first.
func (m *Manager) ResumeAll(ctx context.Context) error {
	var ims []Import
	err := m.lake.ControlView(func(c lake.Control) error {
		return c.Scan(nsImports, "", func(k string, v []byte) (bool, error) {
			var im Import
			if err := json.Unmarshal(v, &im); err != nil {
				return false, fmt.Errorf("%w: import %s: %v", lake.ErrCorrupt, k, err)
			}
			if !im.Finished() {
				ims = append(ims, im)
			}
			return true, nil
		})
	})
	if err != nil || len(ims) == 0 {
		return err
	}
	slices.SortFunc(ims, func(a, b Import) int { return a.Created.Compare(b.Created) })
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return lake.ErrClosed
	}
	m.wg.Add(1)
	m.mu.Unlock()
	go func() {
		defer m.wg.Done()
		for _, im := range ims {
			m.log.Info("resuming import", "import", im.ID)
			if _, err := m.Start(context.WithoutCancel(ctx), StartInput{ID: im.ID}); err != nil {
				m.log.Warn("import not resumed", "import", im.ID, "err", err)
				continue
			}
			if !m.wait(im.ID) {
				return
			}
		}
	}()
	return nil
}

// wait waits for a running import to end; false once the manager closes.
func (m *Manager) wait(id string) bool {
	m.mu.Lock()
	h, closed := m.running[id], m.closed
	m.mu.Unlock()
	if h != nil {
		<-h.done
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return !closed && !m.closed
}

// Close interrupts the imports running in the background and waits for
// them; they stay IN_PROGRESS and ResumeAll continues them.
func (m *Manager) Close(ctx context.Context) error {
	m.mu.Lock()
	m.closed = true
	for _, h := range m.running { // m.wg counts them and the resumer
		h.cancel(lake.ErrClosed)
	}
	m.mu.Unlock()
	done := make(chan struct{})
	go func() {
		m.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
