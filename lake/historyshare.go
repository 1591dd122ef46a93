package lake

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// The event history shares the segments of the stores that keep its events
// long enough. Ingest tees into the history store only the management and
// Insights events that no such store takes in the same run; the segments
// it writes for a sharing store are marked (Segment.History), and the
// lookup reads the history store together with the marked segments of
// every store (HistorySegments), dropping the repeats. Before a marked
// segment leaves its store (retention, a purge), KeepHistory copies the
// events the history still shows into the history store.
//
// This keeps one copy of each management event instead of two: on the
// 1M-event bench trail the second copy was a fifth of ingest's time
// (docs/lookup.md).

// HistoryShares reports whether the event history may read the management
// and Insights events that store s takes from s's own segments, instead of
// a copy in the history store: s is a user's store of CloudTrail events
// that keeps events at least as long as the history does.
func HistoryShares(s StoreInfo) bool {
	return !s.Hidden && RowKindOf(s) == RowEvent && s.RetentionPeriod >= HistoryRetentionDays
}

// EventCategory returns the event's eventCategory. Records written before
// CloudTrail added the field (eventVersion < 1.07) get one derived from the
// fields they do have, in this order: eventType AwsCloudTrailInsight is
// Insight, eventType AwsVpceEvent is NetworkActivity, managementEvent false
// is Data, anything else (managementEvent true or absent) is Management.
// query/history derives it in SQL the same way.
func EventCategory(ev *Event) string {
	if ev.EventCategory != nil && *ev.EventCategory != "" {
		return *ev.EventCategory
	}
	if ev.EventType != nil {
		switch *ev.EventType {
		case "AwsCloudTrailInsight":
			return CategoryInsight
		case "AwsVpceEvent":
			return CategoryNetworkActivity
		}
	}
	if ev.ManagementEvent != nil && !*ev.ManagementEvent {
		return CategoryData
	}
	return CategoryManagement
}

// InHistory reports whether the event history keeps ev: a management or
// Insights event (HistorySelectors).
func InHistory(ev *Event) bool {
	c := EventCategory(ev)
	return c == CategoryManagement || c == CategoryInsight
}

// HistorySegments returns local paths of the segments the event history
// reads for eventTimes in [from, to] (zero bounds are open): the history
// store's, and the marked segments of every other store of CloudTrail
// events, pending deletion or not. A marked segment also holds events the
// history does not show; the reader keeps those that InHistory keeps. The
// files stay in place until release is called.
func (l *Lake) HistorySegments(ctx context.Context, from, to time.Time) ([]string, func(), error) {
	stores, err := l.ListStores(ctx)
	if err != nil {
		return nil, nil, err
	}
	var paths []string
	var releases []func()
	release := func() {
		for _, r := range releases {
			r()
		}
	}
	for _, s := range stores {
		if s.ID != HistoryStoreID && (s.Hidden || RowKindOf(s) != RowEvent) {
			continue
		}
		m, err := l.Manifest(ctx, s.ID)
		if err != nil {
			release()
			return nil, nil, err
		}
		segs := m.Overlapping(from, to)
		if s.ID != HistoryStoreID {
			segs = markedSegments(segs)
		}
		if len(segs) == 0 {
			continue
		}
		p, r, err := l.localSegments(ctx, s.ID, segs)
		if err != nil {
			release()
			return nil, nil, err
		}
		paths = append(paths, p...)
		releases = append(releases, r)
	}
	return paths, release, nil
}

func markedSegments(segs []Segment) []Segment {
	var out []Segment
	for _, s := range segs {
		if s.History {
			out = append(out, s)
		}
	}
	return out
}

// keepBatchBytes bounds the events KeepHistory holds before it writes them
// to the history store.
const keepBatchBytes = 64 << 20

// KeepHistory copies into the history store the management and Insights
// events of the store's marked segments among segs that the event history
// still shows at now (eventTime within HistoryRetentionDays), and returns
// how many it copied. Call it before the segments leave the store: a
// retention that removes them, a purge. A crash before they leave makes
// the next attempt copy them again; the lookup drops the repeats.
func (l *Lake) KeepHistory(ctx context.Context, storeID string, segs []Segment, now time.Time) (int64, error) {
	if storeID == HistoryStoreID {
		return 0, nil
	}
	cutoff := now.Add(-HistoryRetentionDays * 24 * time.Hour)
	var todo []Segment
	for _, s := range markedSegments(segs) {
		if !s.MaxTime.Before(cutoff) {
			todo = append(todo, s)
		}
	}
	if len(todo) == 0 {
		return 0, nil
	}
	if _, err := l.History(ctx); err != nil {
		return 0, err
	}
	paths, release, err := l.localSegments(ctx, storeID, todo)
	if err != nil {
		return 0, fmt.Errorf("keep event history of store %s: %w", storeID, err)
	}
	defer release()
	var copied int64
	var pending []Event
	var bytes int
	flush := func() error {
		if len(pending) == 0 {
			return nil
		}
		if err := l.writeHistory(ctx, pending); err != nil {
			return fmt.Errorf("keep event history of store %s: %w", storeID, err)
		}
		copied += int64(len(pending))
		pending, bytes = nil, 0
		return nil
	}
	for _, p := range paths {
		src, err := openSource[Event](p)
		if err != nil {
			return copied, err
		}
		for {
			if err := ctx.Err(); err != nil {
				return copied, errors.Join(err, src.close())
			}
			ev, ok, err := src.head()
			if err != nil || !ok {
				if err := errors.Join(err, src.close()); err != nil {
					return copied, fmt.Errorf("keep event history of store %s: %w", storeID, err)
				}
				break
			}
			src.pos++
			if ev.EventTime.Before(cutoff) || !InHistory(ev) {
				continue
			}
			pending = append(pending, *ev)
			if bytes += len(ev.EventJSON) + eventBytes; bytes >= keepBatchBytes {
				if err := flush(); err != nil {
					return copied, errors.Join(err, src.close())
				}
			}
		}
	}
	return copied, flush()
}

// eventBytes is about the memory of a read event beyond its JSON text.
const eventBytes = 1800

// writeHistory writes events into the history store as one ledger batch
// without sources: segments, commit, end of the batch.
func (l *Lake) writeHistory(ctx context.Context, events []Event) error {
	id, err := l.BeginBatch(ctx, HistoryStoreID, nil)
	if err != nil {
		return err
	}
	segs, err := l.WriteSegments(ctx, HistoryStoreID, id, events)
	if err != nil {
		return err
	}
	if _, err := l.Commit(ctx, HistoryStoreID, Change{Add: segs}); err != nil {
		return err
	}
	return l.FinishBatch(ctx, id)
}
