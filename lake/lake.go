package lake

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/cockroachdb/pebble/v2"
	bolt "go.etcd.io/bbolt"

	"github.com/auditlake/auditlake/internal/fsutil"
)

// Defaults for Options.
const (
	DefaultRegion    = "us-east-1"
	DefaultAccountID = "123456789012"
	DefaultMaxStores = 100
)

// Options configures a Lake. Zero values take the defaults.
type Options struct {
	// Bucket is the object storage URL of segments and manifests;
	// "": file://<dir>/objects.
	Bucket string
	// Region and AccountID make store ARNs. They are fixed for a lake at its
	// first open; a later open with different values is an error.
	Region    string
	AccountID string
	// MaxStores bounds the number of stores, as CloudTrail's quota does.
	MaxStores int
	// PendingDeletion is how long a deleted store can be restored before
	// its data is purged; 0: DefaultPendingDeletionDays days.
	PendingDeletion time.Duration
	// Now is the clock; nil: time.Now.
	Now    func() time.Time
	Logger *slog.Logger
	// QueryOnly opens the lake for a process that only reads stores (the
	// query command): Open skips crash recovery, which reads every store's
	// manifest and lists every object, and leaves the ingest ledger closed,
	// so that the cost of an open does not grow with the lake. Uncommitted
	// segments are invisible to readers and unsettled ingest batches matter
	// only to ingest, so readers see the same data. Such a lake refuses
	// Commit, BeginBatch and the ledger's calls (ErrQueryOnly); the next
	// ordinary open recovers.
	QueryOnly bool
}

// Lake is an open lake: the control-plane database, the ingest ledger and
// the lock in a local folder, and the segments and manifests in its bucket. One process opens a
// lake at a time; a Lake is safe for concurrent use by its goroutines.
type Lake struct {
	dir    string
	opts   Options
	log    *slog.Logger
	lock   *fsutil.Lock
	db     *bolt.DB
	bucket *Bucket
	tmpDir string
	cache  *segmentCache

	ledgerMu sync.RWMutex // held (shared) while the ledger is used; Close takes it alone
	ledger   *pebble.DB   // the ingest ledger's entries (ledgerdb.go); nil once closed

	mu        sync.Mutex // guards manifests and commits
	manifests map[string]*manifestState
	closed    bool
}

type manifestState struct {
	m       *Manifest
	highest int64 // highest version present, possibly torn
}

// Open opens (creating if needed) the lake whose local state is in dir. It
// takes the lake's lock (ErrLocked if another process has it), sweeps what
// an interrupted write left behind and settles unfinished ingest batches.
func Open(ctx context.Context, dir string, opts Options) (*Lake, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.MaxStores == 0 {
		opts.MaxStores = DefaultMaxStores
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if err := fsutil.MkdirAllDurable(abs); err != nil {
		return nil, fmt.Errorf("open lake %s: %w", dir, err)
	}
	lk, err := fsutil.TryLock(filepath.Join(abs, "LOCK"))
	if err != nil {
		if errors.Is(err, fsutil.ErrLocked) {
			return nil, fmt.Errorf("open lake %s: %w: %w; stop it, or use its API", dir, ErrLocked, err)
		}
		return nil, fmt.Errorf("open lake %s: %w", dir, err)
	}
	l := &Lake{dir: abs, opts: opts, log: opts.Logger, lock: lk, manifests: map[string]*manifestState{}}
	if err := l.open(ctx); err != nil {
		return nil, errors.Join(fmt.Errorf("open lake %s: %w", dir, err), l.closeAll())
	}
	return l, nil
}

func (l *Lake) open(ctx context.Context) error {
	if err := l.openControlPlane(); err != nil {
		return err
	}
	if err := l.initSettings(); err != nil {
		return err
	}
	// A query-only lake leaves the ingest ledger closed: queries do not
	// read it, and opening it (or moving an old one) costs every query.
	if !l.opts.QueryOnly {
		if err := l.openLedger(); err != nil {
			return err
		}
		if err := l.migrateLedger(); err != nil {
			return err
		}
		if err := l.compactControlPlane(); err != nil {
			return err
		}
	}
	l.tmpDir = filepath.Join(l.dir, "tmp")
	if err := os.RemoveAll(l.tmpDir); err != nil {
		return err
	}
	if err := fsutil.MkdirAllDurable(l.tmpDir); err != nil {
		return err
	}
	var err error
	bucketURL := l.opts.Bucket
	if bucketURL == "" {
		bucketURL = "file://" + filepath.ToSlash(filepath.Join(l.dir, "objects"))
	}
	if l.bucket, err = OpenBucket(ctx, bucketURL); err != nil {
		return err
	}
	if l.cache, err = newSegmentCache(l.bucket, filepath.Join(l.dir, "cache")); err != nil {
		return err
	}
	if l.opts.QueryOnly {
		return nil
	}
	return l.recover(ctx)
}

// recover makes the lake consistent after any crash: temporary files and
// segments no manifest lists are removed, and each unfinished ingest batch
// is settled by whether its segments were committed.
func (l *Lake) recover(ctx context.Context) error {
	stores, err := l.ListStores(ctx)
	if err != nil {
		return err
	}
	for _, s := range stores {
		if _, err := l.bucket.SweepTemp(storePrefix(s.ID)); err != nil {
			return fmt.Errorf("sweep store %s: %w", s.ID, err)
		}
		m, err := l.Manifest(ctx, s.ID)
		if err != nil {
			return err
		}
		if err := l.sweepOrphans(ctx, m); err != nil {
			return err
		}
		if err := l.settleBatches(m); err != nil {
			return err
		}
	}
	return nil
}

// sweepOrphans removes data objects of the store that its manifest does not
// list: segments written by a process that died before committing them.
// Nobody else writes while this process holds the lock.
func (l *Lake) sweepOrphans(ctx context.Context, m *Manifest) error {
	objs, err := l.bucket.List(ctx, dataPrefix(m.Store))
	if err != nil {
		return err
	}
	listed := make(map[string]bool, len(m.Segments))
	for _, s := range m.Segments {
		listed[s.Key] = true
	}
	for _, o := range objs {
		if listed[o.Key] {
			continue
		}
		l.log.Info("removing uncommitted segment", "store", m.Store, "key", o.Key)
		if err := l.bucket.Delete(ctx, o.Key); err != nil {
			return err
		}
	}
	return nil
}

// Dir is the lake's local folder.
func (l *Lake) Dir() string { return l.dir }

// Bucket is the lake's object storage.
func (l *Lake) Bucket() *Bucket { return l.bucket }

func (l *Lake) now() time.Time { return l.opts.Now().UTC() }

// checkWritable refuses changes to stores' data in a QueryOnly lake, which
// has not recovered from a crash that another process may have left.
func (l *Lake) checkWritable(op string) error {
	if l.opts.QueryOnly {
		return fmt.Errorf("%s: %w", op, ErrQueryOnly)
	}
	return nil
}

func (l *Lake) checkOpen() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return ErrClosed
	}
	return nil
}

// Close releases the lake. Segments held by readers stay on disk; nothing
// deletes them while this process runs.
func (l *Lake) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	l.mu.Unlock()
	return l.closeAll()
}

func (l *Lake) closeAll() error {
	var errs []error
	if l.bucket != nil {
		errs = append(errs, l.bucket.Close())
	}
	errs = append(errs, l.closeLedger())
	if l.db != nil {
		errs = append(errs, l.db.Close())
	}
	errs = append(errs, l.lock.Unlock())
	return errors.Join(errs...)
}
