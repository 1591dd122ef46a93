package importjob

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/auditlake/auditlake/ingest"
	"github.com/auditlake/auditlake/lake"
)

// saveInterval is how often a running import saves its progress and
// statistics besides each commit.
const saveInterval = 250 * time.Millisecond

// dest is one store an import writes: a destination, or (last in
// run.dests) the event history, written through the first destination's
// writer.
type dest struct {
	store lake.StoreInfo
	sel   *ingest.Selector // nil: the event history's selection
	w     *ingest.Writer   // nil for the event history
	// shares: the store's segments are the event history's for the events
	// it takes (ingest.Writer.ShareHistory), which the history's share then
	// leaves out.
	shares bool
}

func (d *dest) takes(ev *lake.Event) bool {
	if d.sel == nil {
		return ingest.HistoryTakes(ev)
	}
	return d.sel.Match(ev)
}

// run is one execution of an import.
type run struct {
	m          *Manager
	src        *source
	win        window
	dests      []*dest // the destinations, then the event history
	onProgress func(Import)

	saveMu sync.Mutex // orders saves

	mu       sync.Mutex // guards what follows
	im       Import
	prog     progress
	files    map[string]*fileState   // by object key, until done
	prefixes map[string]*prefixState // by prefix key, until done
	pending  pendingSave
}

// fileState is a file whose stores have not all committed it.
type fileState struct {
	prefix   string
	waiting  int
	events   int64
	size     int64
	failures []Failure
}

// prefixState is a prefix whose files are not all done.
type prefixState struct {
	waiting    int
	keys       []string // keys to drop from nsKeys once the prefix is done
	incomplete bool     // a file could not be read: the prefix stays open
}

// pendingSave is progress not saved yet.
type pendingSave struct {
	dirty    bool
	keys     []string
	prefixes []string
	dropKeys []string
	failures []Failure
}

// execute runs import id until it completes, fails, is stopped or ctx ends,
// and saves its final state. The error is only for failing to save it.
func (m *Manager) execute(ctx context.Context, id string, onProgress func(Import)) error {
	defer m.finished(id)
	r, err := m.newRun(ctx, id, onProgress)
	if err == nil {
		err = r.run(ctx)
		err = errors.Join(err, r.src.close())
	}
	status, msg := StatusCompleted, ""
	switch cause := context.Cause(ctx); {
	case err == nil:
	case errors.Is(cause, errStopped):
		status = StatusStopped
	case ctx.Err() != nil:
		status = StatusInProgress // interrupted: resumed later
	default:
		status, msg = StatusFailed, err.Error()
		m.log.Warn("import failed", "import", id, "err", err)
	}
	var final Import
	serr := m.lake.ControlUpdate(func(c lake.Control) error {
		im, err := loadImport(c, id)
		if err != nil {
			return err
		}
		if r != nil {
			r.mu.Lock()
			im.Stats = r.im.Stats
			r.mu.Unlock()
		}
		im.Status, im.Error, im.Updated = status, msg, m.opts.Now().UTC()
		if status == StatusFailed {
			// The API has no field for why an import failed: say it in its
			// failures, at the source's location.
			if err := addFailure(c, id, Failure{Location: im.Source, Status: FailureFailed, ErrorType: "ImportFailed",
				ErrorMessage: msg, Updated: im.Updated}); err != nil {
				return err
			}
			im.Stats.FailedEntries++
		}
		final = im
		return c.Put(nsImports, id, im)
	})
	if serr == nil && onProgress != nil {
		onProgress(final)
	}
	return serr
}

// newRun loads the import and its progress, opens the source and the
// destinations' writers.
func (m *Manager) newRun(ctx context.Context, id string, onProgress func(Import)) (*run, error) {
	r := &run{m: m, onProgress: onProgress, files: map[string]*fileState{}, prefixes: map[string]*prefixState{}}
	err := m.lake.ControlView(func(c lake.Control) error {
		var err error
		if r.im, err = loadImport(c, id); err != nil {
			return err
		}
		r.prog, err = loadProgress(c, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	r.win = r.im.window()
	// Counts of this run start again from what was saved as done.
	r.im.Stats.FilesFound, r.im.Stats.BytesFound, r.im.Stats.FilesRead, r.im.Stats.BytesRead = 0, 0, 0, 0
	for _, sid := range r.im.Destinations {
		st, err := m.destination(ctx, sid)
		if err != nil {
			return nil, err
		}
		sel, err := ingest.CompileSelectors(st.AdvancedEventSelectors)
		if err != nil {
			return nil, err
		}
		r.dests = append(r.dests, &dest{store: st, sel: sel})
	}
	hist, err := m.lake.History(ctx)
	if err != nil {
		return nil, err
	}
	for _, d := range r.dests {
		d.w = ingest.NewWriter(m.lake, d.store, m.opts.BufferBytes, r.committed)
		d.shares = d.w.ShareHistory()
	}
	// The event history is a tee of the first destination's writer, as of
	// ingest's: the same batches under the same memory budget.
	r.dests[0].w.SetTee(hist)
	r.dests = append(r.dests, &dest{store: hist})
	if r.src, err = openSource(ctx, r.im.Source, m.sourceDefaults(r.im.Region)); err != nil {
		return nil, err
	}
	return r, nil
}

// job is one file to import.
type job struct {
	prefix string
	obj    object
}

// run lists, reads, decodes and writes.
func (r *run) run(ctx context.Context) error {
	prefixes, walked, err := r.src.prefixes(ctx, r.win)
	if err != nil {
		return err
	}
	r.m.log.Info("import listed", "import", r.im.ID, "prefixes", len(prefixes), "digest_prefixes", walked.Digest, "insight_prefixes", walked.Insight)
	r.mu.Lock()
	r.im.Stats.PrefixesFound = int64(len(prefixes))
	r.im.Status = StatusInProgress
	r.pending.dirty = true
	r.mu.Unlock()
	if err := r.save(); err != nil {
		return err
	}

	stopSaver := make(chan struct{})
	saverDone := make(chan error, 1)
	go func() { saverDone <- r.saveLoop(stopSaver) }()

	g, gctx := errgroup.WithContext(ctx)
	jobs := make(chan job)
	outs := make(chan *fileOut, r.m.opts.Workers)
	g.Go(func() error {
		defer close(jobs)
		return r.list(gctx, prefixes, jobs)
	})
	files := make(chan fetched, r.m.opts.Workers)
	var downloads, decoders errgroup.Group
	for range r.m.opts.Downloads {
		downloads.Go(func() error {
			for j := range jobs {
				f, err := r.fetch(gctx, j)
				if err != nil {
					return err
				}
				select {
				case files <- f:
				case <-gctx.Done():
					return gctx.Err()
				}
			}
			return nil
		})
	}
	g.Go(func() error {
		defer close(files)
		return downloads.Wait()
	})
	for range r.m.opts.Workers {
		decoders.Go(func() error {
			dec := ingest.NewDecoder()
			for f := range files {
				fo, err := r.load(gctx, dec, f)
				if err != nil {
					return err
				}
				select {
				case outs <- fo:
				case <-gctx.Done():
					return gctx.Err()
				}
			}
			return nil
		})
	}
	g.Go(func() error {
		defer close(outs)
		return decoders.Wait()
	})
	g.Go(func() error { return r.write(gctx, outs) })
	err = g.Wait()
	close(stopSaver)
	return errors.Join(err, <-saverDone, r.save())
}

// saveLoop saves progress every saveInterval until stop is closed.
func (r *run) saveLoop(stop chan struct{}) error {
	t := time.NewTicker(saveInterval)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return nil
		case <-t.C:
			if err := r.save(); err != nil {
				return err
			}
		}
	}
}

// list sends the files of every prefix not done yet, minus the files done.
func (r *run) list(ctx context.Context, prefixes []prefix, jobs chan<- job) error {
	for _, p := range prefixes {
		if r.prog.prefixes[p.Key] {
			continue
		}
		objs, err := r.src.objects(ctx, p.Key, r.win)
		if err != nil {
			return err
		}
		ps := &prefixState{}
		var todo []object
		for _, o := range objs {
			ps.keys = append(ps.keys, o.Key)
			if !r.prog.keys[o.Key] {
				todo = append(todo, o)
			}
		}
		r.mu.Lock()
		ps.waiting = len(todo)
		r.prefixes[p.Key] = ps
		for _, o := range todo {
			r.im.Stats.FilesFound++
			r.im.Stats.BytesFound += o.Size
		}
		if len(todo) == 0 {
			r.prefixDone(p.Key, ps)
		}
		r.pending.dirty = true
		r.mu.Unlock()
		for _, o := range todo {
			select {
			case jobs <- job{prefix: p.Key, obj: o}:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}
	return nil
}

// write hands each read file to the writers of the stores that do not have
// it yet, then makes everything durable.
func (r *run) write(ctx context.Context, outs <-chan *fileOut) error {
	wctx := context.WithoutCancel(ctx) // a batch being written finishes even when the import stops
	seen := make([]ingest.DigestSet, len(r.dests))
	for i := range seen {
		seen[i] = ingest.DigestSet{}
	}
	closeAll := func() error {
		var errs []error
		for _, d := range r.dests[:len(r.dests)-1] {
			errs = append(errs, d.w.Close())
		}
		return errors.Join(errs...)
	}
	for fo := range outs {
		if fo.retry != nil {
			r.readFailed(fo)
			continue // not counted as read: a resumed import reads it again
		}
		if err := r.add(wctx, fo, seen); err != nil {
			return errors.Join(err, closeAll())
		}
		if ctx.Err() != nil {
			break
		}
	}
	if err := ctx.Err(); err != nil {
		return errors.Join(err, closeAll())
	}
	for _, d := range r.dests[:len(r.dests)-1] {
		if err := d.w.Flush(wctx); err != nil {
			return errors.Join(err, closeAll())
		}
	}
	return nil
}

// add hands one file to the writers. The event history's share goes to the
// first destination's writer as its tee, before that writer's own share,
// which is then added even when empty: its acknowledgement is the tee's.
func (r *run) add(ctx context.Context, fo *fileOut, seen []ingest.DigestSet) error {
	hi := len(r.dests) - 1
	for i, p := range fo.parts {
		if p.skip || !seen[i].Add(p.key) {
			fo.parts[i].skip = true
		}
	}
	tee := !fo.parts[hi].skip
	if tee && fo.parts[0].skip {
		fo.parts[0] = part{key: fo.parts[hi].key} // nothing new for the store; the ledger entry is written again
	}
	waiting := 0
	for _, p := range fo.parts[:hi] {
		if !p.skip {
			waiting++
		}
	}
	key := fo.job.obj.Key
	r.mu.Lock()
	r.im.Stats.FilesRead++
	r.im.Stats.BytesRead += fo.job.obj.Size
	r.pending.dirty = true
	fs := &fileState{prefix: fo.job.prefix, waiting: waiting, size: fo.job.obj.Size, failures: fo.failures}
	r.files[key] = fs
	if waiting == 0 {
		r.fileDone(key, fs)
	}
	r.mu.Unlock()
	if tee {
		h := fo.parts[hi]
		if err := r.dests[0].w.AddTee(ctx, lake.Source{Digest: h.key, Name: key}, h.events, fo.teeBytes); err != nil {
			return err
		}
	}
	for i, p := range fo.parts[:hi] {
		if p.skip {
			continue
		}
		src := ingest.SourceResult{Source: lake.Source{Digest: p.key, Name: key}, Selected: len(p.events)}
		if err := r.dests[i].w.Add(ctx, src, p.events); err != nil {
			return err
		}
	}
	return nil
}

// committed is a writer's acknowledgement: the sources are durable in its
// store (and in the event history, for the first destination's writer).
func (r *run) committed(done []ingest.SourceResult) {
	r.mu.Lock()
	for _, s := range done {
		fs := r.files[s.Name]
		if fs == nil {
			continue
		}
		fs.events += int64(s.Selected)
		if fs.waiting--; fs.waiting == 0 {
			r.fileDone(s.Name, fs)
		}
	}
	r.mu.Unlock()
	if err := r.save(); err != nil {
		r.m.log.Warn("saving import progress", "import", r.im.ID, "err", err)
	}
}

// fileDone accounts a file every store has; r.mu is held.
func (r *run) fileDone(key string, fs *fileState) {
	delete(r.files, key)
	st := &r.im.Stats
	st.FilesCompleted++
	st.EventsCompleted += fs.events
	st.BytesCompleted += fs.size
	st.FailedEntries += int64(len(fs.failures))
	r.pending.failures = append(r.pending.failures, fs.failures...)
	r.pending.keys = append(r.pending.keys, key)
	r.pending.dirty = true
	if ps := r.prefixes[fs.prefix]; ps != nil {
		if ps.waiting--; ps.waiting == 0 && !ps.incomplete {
			r.prefixDone(fs.prefix, ps)
		}
	}
}

// prefixDone accounts a prefix whose files are all done; r.mu is held.
func (r *run) prefixDone(key string, ps *prefixState) {
	delete(r.prefixes, key)
	r.im.Stats.PrefixesCompleted++
	r.pending.prefixes = append(r.pending.prefixes, key)
	r.pending.dropKeys = append(r.pending.dropKeys, ps.keys...)
	r.pending.dirty = true
}

// readFailed records a file that could not be read: a RETRY failure, and
// its prefix stays open for a resumed import to try it again.
func (r *run) readFailed(fo *fileOut) {
	r.mu.Lock()
	defer r.mu.Unlock()
	f := Failure{Location: r.src.location(fo.job.obj.Key), Status: FailureRetry, ErrorType: "ReadError",
		ErrorMessage: fmt.Sprintf("could not read the file: %v", fo.retry), Updated: r.m.opts.Now().UTC()}
	r.im.Stats.FailedEntries++
	r.pending.failures = append(r.pending.failures, f)
	r.pending.dirty = true
	if ps := r.prefixes[fo.job.prefix]; ps != nil {
		ps.incomplete = true
		ps.waiting--
	}
}

// save writes the progress gathered since the last save, with the
// statistics, in one transaction.
func (r *run) save() error {
	r.saveMu.Lock()
	defer r.saveMu.Unlock()
	r.mu.Lock()
	p := r.pending
	r.pending = pendingSave{}
	im := r.im
	seq := r.prog.failures
	r.prog.failures += int64(len(p.failures))
	r.mu.Unlock()
	if !p.dirty {
		return nil
	}
	im.Updated = r.m.opts.Now().UTC()
	err := r.m.lake.ControlUpdate(func(c lake.Control) error {
		cur, err := loadImport(c, im.ID)
		if err != nil {
			return err
		}
		cur.Stats, cur.Updated = im.Stats, im.Updated
		if cur.Status == StatusInitializing {
			cur.Status = im.Status
		}
		im = cur
		for _, k := range p.keys {
			if err := c.Put(nsKeys, recKey(im.ID, k), "done"); err != nil {
				return err
			}
		}
		for _, k := range p.dropKeys {
			if err := c.Delete(nsKeys, recKey(im.ID, k)); err != nil {
				return err
			}
		}
		for _, k := range p.prefixes {
			if err := c.Put(nsPrefixes, recKey(im.ID, k), "done"); err != nil {
				return err
			}
		}
		for i, f := range p.failures {
			if err := c.Put(nsFailures, recKey(im.ID, fmt.Sprintf("%012d", seq+int64(i))), f); err != nil {
				return err
			}
		}
		return c.Put(nsImports, im.ID, im)
	})
	if err != nil {
		return err
	}
	if r.onProgress != nil {
		r.onProgress(im)
	}
	return nil
}
