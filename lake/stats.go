package lake

import (
	"context"
	"time"
)

// StoreStats are the storage figures of one store, from its manifest.
type StoreStats struct {
	Events   int64
	Segments int
	Bytes    int64
	Oldest   time.Time // eventTime of the oldest event; zero when empty
	Newest   time.Time // eventTime of the newest event; zero when empty
	// RetiredBytes are files no longer listed, awaiting deletion after
	// their grace period.
	RetiredBytes int64
}

// Stats returns the store's storage figures.
func (l *Lake) Stats(ctx context.Context, storeID string) (StoreStats, error) {
	m, err := l.Manifest(ctx, storeID)
	if err != nil {
		return StoreStats{}, err
	}
	st := StoreStats{Events: m.Rows(), Segments: len(m.Segments), Bytes: m.Bytes()}
	for _, s := range m.Segments {
		if st.Oldest.IsZero() || s.MinTime.Before(st.Oldest) {
			st.Oldest = s.MinTime
		}
		if s.MaxTime.After(st.Newest) {
			st.Newest = s.MaxTime
		}
	}
	retired, err := l.Retired(ctx)
	if err != nil {
		return st, err
	}
	for _, r := range retired {
		if r.Store == storeID {
			st.RetiredBytes += r.Bytes
		}
	}
	return st, nil
}
