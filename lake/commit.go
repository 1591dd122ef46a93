package lake

import (
	"context"
	"errors"
	"fmt"
)

// Manifest returns the store's current manifest. The returned value is
// shared and must not be modified.
func (l *Lake) Manifest(ctx context.Context, storeID string) (*Manifest, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	st, err := l.manifestLocked(ctx, storeID)
	if err != nil {
		return nil, err
	}
	return st.m, nil
}

func (l *Lake) manifestLocked(ctx context.Context, storeID string) (*manifestState, error) {
	if l.closed {
		return nil, ErrClosed
	}
	if st, ok := l.manifests[storeID]; ok {
		return st, nil
	}
	m, highest, skipped, err := loadManifest(ctx, l.bucket, storeID)
	if err != nil {
		return nil, err
	}
	for _, e := range skipped {
		l.log.Warn("skipping unreadable manifest version", "store", storeID, "err", e)
	}
	st := &manifestState{m: m, highest: highest}
	l.manifests[storeID] = st
	return st, nil
}

// Commit applies c to the store's manifest as one new version. It returns
// only after the new manifest is durable; from then on readers see all of c
// or, before, none of it.
func (l *Lake) Commit(ctx context.Context, storeID string, c Change) (*Manifest, error) {
	if err := l.checkWritable("commit"); err != nil {
		return nil, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	st, err := l.manifestLocked(ctx, storeID)
	if err != nil {
		return nil, err
	}
	next, err := st.m.apply(c, st.highest+1, l.now())
	if err != nil {
		return nil, err
	}
	data, err := encodeManifest(next)
	if err != nil {
		return nil, err
	}
	if err := l.bucket.WriteAll(ctx, manifestKey(storeID, next.Version), data, true); err != nil {
		if errors.Is(err, ErrExists) {
			return nil, fmt.Errorf("commit store %s version %d: %w: another writer committed it", storeID, next.Version, err)
		}
		return nil, fmt.Errorf("commit store %s version %d: %w", storeID, next.Version, err)
	}
	st.m, st.highest = next, next.Version
	l.pruneManifests(ctx, storeID, next.Version)
	return next, nil
}

// pruneManifests removes manifest versions older than the last few. A
// failure only leaves extra old versions behind.
func (l *Lake) pruneManifests(ctx context.Context, storeID string, newest int64) {
	old := newest - manifestsKept
	if old < 1 {
		return
	}
	if err := l.bucket.Delete(ctx, manifestKey(storeID, old)); err != nil {
		l.log.Warn("removing old manifest version", "store", storeID, "version", old, "err", err)
	}
}
