package lake

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"sync"
	"syscall"
	"time"

	bolt "go.etcd.io/bbolt"
)

var bucketVerified = []byte("verified")

// segmentCache gives DuckDB a local, verified file for each segment: the
// object itself in a local bucket, a checked copy under cache/ otherwise.
type segmentCache struct {
	bucket *Bucket
	dir    string

	mu       sync.Mutex
	verified map[string]fileStamp // segment ID -> the file state that was checked
	fetching map[string]*sync.Mutex
	holds    map[string]int // segment ID -> readers holding it
}

// fileStamp identifies a file's state cheaply: a file rewritten in place
// changes its size, mtime or inode.
type fileStamp struct {
	Size  int64 `json:"size"`
	MTime int64 `json:"mtime"`
	Ino   uint64
}

func (s fileStamp) String() string { return fmt.Sprintf("%d:%d:%d", s.Size, s.MTime, s.Ino) }

func stampOf(path string) (fileStamp, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return fileStamp{}, err
	}
	st := fileStamp{Size: fi.Size(), MTime: fi.ModTime().UnixNano()}
	if sys, ok := fi.Sys().(*syscall.Stat_t); ok {
		st.Ino = sys.Ino
	}
	return st, nil
}

func newSegmentCache(b *Bucket, dir string) (*segmentCache, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	return &segmentCache{bucket: b, dir: dir, verified: map[string]fileStamp{}, fetching: map[string]*sync.Mutex{}, holds: map[string]int{}}, nil
}

// Store resolves a store reference as SQL writes it (ID, name or ARN) to a
// store that can be queried: a store pending deletion answers no queries,
// and a hidden store is not found.
func (l *Lake) Store(ctx context.Context, ref string) (StoreInfo, error) {
	s, err := l.GetStore(ctx, ref)
	if err != nil {
		return StoreInfo{}, err
	}
	if s.Hidden {
		return StoreInfo{}, fmt.Errorf("%w: %s", ErrStoreNotFound, ref)
	}
	if s.Status == StatusPendingDeletion {
		return StoreInfo{}, fmt.Errorf("%w: event data store %s is pending deletion", ErrInactiveStore, s.ID)
	}
	return s, nil
}

// Segments returns local paths of the store's segments whose eventTime range
// overlaps [from, to] (zero bounds are open), each checked against the size
// and SHA-256 in the manifest. The files stay in place until release is
// called.
func (l *Lake) Segments(ctx context.Context, storeID string, from, to time.Time) ([]string, func(), error) {
	m, err := l.Manifest(ctx, storeID)
	if err != nil {
		return nil, nil, err
	}
	return l.localSegments(ctx, storeID, m.Overlapping(from, to))
}

// localSegments returns local, checked paths of segs, a store's, held until
// release is called.
func (l *Lake) localSegments(ctx context.Context, storeID string, segs []Segment) ([]string, func(), error) {
	paths := make([]string, 0, len(segs))
	held := make([]string, 0, len(segs))
	checked := map[string]fileStamp{}
	release := func() { l.cache.release(held) }
	defer func() { l.recordVerified(checked) }()
	for _, seg := range segs {
		if err := ctx.Err(); err != nil {
			release()
			return nil, nil, err
		}
		if seg.Format != FormatVersion {
			release()
			return nil, nil, fmt.Errorf("%w: segment %s of store %s has format version %d; this auditlake reads version %d only (re-ingest the store's inputs with this version)", ErrCorrupt, seg.ID, storeID, seg.Format, FormatVersion)
		}
		p, err := l.localSegment(ctx, seg, checked)
		if err != nil {
			release()
			return nil, nil, err
		}
		l.cache.hold(seg.ID)
		held = append(held, seg.ID)
		paths = append(paths, p)
	}
	return paths, release, nil
}

// KeyCuts reports whether every segment of the store whose eventTime range
// overlaps [from, to] has its eventJson cut only at the records' own eventID
// and requestID members (Segment.KeyCuts), so that a JSON path reading
// neither may read the stored text. It stays true once true: new segments
// and merges of such segments have the mark.
func (l *Lake) KeyCuts(ctx context.Context, storeID string, from, to time.Time) (bool, error) {
	m, err := l.Manifest(ctx, storeID)
	if err != nil {
		return false, err
	}
	for _, s := range m.Overlapping(from, to) {
		if !s.KeyCuts {
			return false, nil
		}
	}
	return true, nil
}

func (c *segmentCache) hold(id string) {
	c.mu.Lock()
	c.holds[id]++
	c.mu.Unlock()
}

func (c *segmentCache) release(ids []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, id := range ids {
		if c.holds[id]--; c.holds[id] <= 0 {
			delete(c.holds, id)
		}
	}
}

// Held reports whether a reader holds the segment.
func (l *Lake) Held(segmentID string) bool {
	l.cache.mu.Lock()
	defer l.cache.mu.Unlock()
	return l.cache.holds[segmentID] > 0
}

// localSegment returns a verified local file for seg. A check it makes is
// added to checked, for recordVerified.
func (l *Lake) localSegment(ctx context.Context, seg Segment, checked map[string]fileStamp) (string, error) {
	c := l.cache
	path, local := c.bucket.LocalPath(seg.Key)
	if !local {
		path = filepath.Join(c.dir, filepath.FromSlash(seg.Key))
	}
	c.mu.Lock()
	fm, ok := c.fetching[seg.ID]
	if !ok {
		fm = &sync.Mutex{}
		c.fetching[seg.ID] = fm
	}
	c.mu.Unlock()
	fm.Lock()
	defer fm.Unlock()

	st, err := stampOf(path)
	switch {
	case err == nil:
		if l.alreadyVerified(seg.ID, st) {
			return path, nil
		}
	case local || !os.IsNotExist(err):
		return "", fmt.Errorf("segment %s: %w", seg.ID, err)
	default:
		tmp := path + ".tmp-fetch"
		if err := c.bucket.Download(ctx, seg.Key, tmp); err != nil {
			return "", fmt.Errorf("fetch segment %s: %w", seg.ID, err)
		}
		if err := verifyFile(tmp, seg); err != nil {
			_ = os.Remove(tmp)
			return "", err
		}
		if err := os.Rename(tmp, path); err != nil {
			return "", err
		}
		if st, err = stampOf(path); err != nil {
			return "", err
		}
		l.markVerified(seg.ID, st, checked)
		return path, nil
	}
	if err := verifyFile(path, seg); err != nil {
		if !local {
			_ = os.Remove(path) // a bad cached copy is fetched again next time
		}
		return "", err
	}
	l.markVerified(seg.ID, st, checked)
	return path, nil
}

// alreadyVerified reports whether this exact file state was checked before,
// in this process or (through the control-plane database) an earlier one.
func (l *Lake) alreadyVerified(id string, st fileStamp) bool {
	l.cache.mu.Lock()
	got, ok := l.cache.verified[id]
	l.cache.mu.Unlock()
	if ok {
		return got == st
	}
	var stored string
	_ = l.db.View(func(tx *bolt.Tx) error {
		if b := tx.Bucket(bucketVerified); b != nil {
			stored = string(b.Get([]byte(id)))
		}
		return nil
	})
	if stored == st.String() {
		l.cache.mu.Lock()
		l.cache.verified[id] = st
		l.cache.mu.Unlock()
		return true
	}
	return false
}

func (l *Lake) markVerified(id string, st fileStamp, checked map[string]fileStamp) {
	l.cache.mu.Lock()
	l.cache.verified[id] = st
	l.cache.mu.Unlock()
	checked[id] = st
}

// recordVerified remembers this call's checks for later processes, in one
// transaction. A failure only means they are checked again.
func (l *Lake) recordVerified(checked map[string]fileStamp) {
	if len(checked) == 0 {
		return
	}
	err := l.db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketVerified)
		if err != nil {
			return err
		}
		for id, st := range checked {
			if err := b.Put([]byte(id), []byte(st.String())); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		l.log.Warn("recording segment verification", "segments", len(checked), "err", err)
	}
}
