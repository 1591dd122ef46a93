package lake

import (
	"context"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// The event history is CloudTrail's "Event history": the last 90 days of
// management and Insights events, searchable without creating any store.
// auditlake keeps it as a hidden event data store with a fixed ID: every
// ingest path (trail files, the write-ahead log Sink, the import job) also
// writes the events it takes into this store, through the same ledger and
// log positions that make ingest into any store exactly-once. Segments,
// manifests, crash recovery and retention are those of any store.
// (Owner: the API engineer; query/history reads it, docs/lookup.md.)
const (
	// HistoryStoreID is the ID of the hidden event-history store.
	HistoryStoreID = "00000000-0000-4000-8000-00000000e415"
	// HistoryStoreName is its name; it is not a valid store name, so no
	// store a user creates can take it.
	HistoryStoreName = "(event history)"
	// HistoryRetentionDays is how long the event history keeps events.
	HistoryRetentionDays = 90
)

// History returns the hidden event-history store, creating it on first use.
// The store is ENABLED, termination-protected, keeps events
// HistoryRetentionDays and does not count against MaxStores.
func (l *Lake) History(ctx context.Context) (StoreInfo, error) {
	if err := l.checkOpen(); err != nil {
		return StoreInfo{}, err
	}
	var s StoreInfo
	err := l.db.View(func(tx *bolt.Tx) error {
		var err error
		s, err = findStore(tx, HistoryStoreID)
		return err
	})
	if err == nil {
		return s, nil
	}
	err = l.db.Update(func(tx *bolt.Tx) error {
		if got, err := findStore(tx, HistoryStoreID); err == nil {
			s = got
			return nil
		}
		now := l.now()
		s = StoreInfo{
			ID:                           HistoryStoreID,
			ARN:                          l.storeARN(HistoryStoreID),
			Name:                         HistoryStoreName,
			Status:                       StatusEnabled,
			AdvancedEventSelectors:       HistorySelectors(),
			MultiRegionEnabled:           true,
			RetentionPeriod:              HistoryRetentionDays,
			TerminationProtectionEnabled: true,
			BillingMode:                  BillingExtendable,
			CreatedTimestamp:             now,
			UpdatedTimestamp:             now,
			Hidden:                       true,
		}
		return putStore(tx, s)
	})
	if err != nil {
		return StoreInfo{}, fmt.Errorf("event history store: %w", err)
	}
	return s, nil
}

// HistorySelectors describes what the event history takes: management
// events and Insights events. (Two families that no user store may mix;
// ingest compiles them for the history store without that check.)
func HistorySelectors() []AdvancedEventSelector {
	return []AdvancedEventSelector{
		{Name: "Management events", FieldSelectors: []AdvancedFieldSelector{{Field: FieldEventCategory, Equals: []string{CategoryManagement}}}},
		{Name: "Insights events", FieldSelectors: []AdvancedFieldSelector{{Field: FieldEventCategory, Equals: []string{CategoryInsight}}}},
	}
}

// historyRow is what the event history stores of e: the columns LookupEvents
// filters on and returns, and eventJson, the whole record. The other
// columns are left NULL (the record has them), which makes the history's
// second copy of each management event cheap to write and to keep.
// query/history reads only these columns.
func historyRow(e *Event) Event {
	h := Event{
		EventTime:       e.EventTime,
		EventSource:     e.EventSource,
		EventName:       e.EventName,
		AWSRegion:       e.AWSRegion,
		SourceIPAddress: e.SourceIPAddress,
		ErrorCode:       e.ErrorCode,
		RequestID:       e.RequestID,
		EventID:         e.EventID,
		ReadOnly:        e.ReadOnly,
		Resources:       e.Resources,
		EventType:       e.EventType,
		EventCategory:   e.EventCategory,
		EventJSON:       e.EventJSON,
		CutEventID:      e.CutEventID,
		CutRequestID:    e.CutRequestID,
		EventIDAt:       e.EventIDAt,
		RequestIDAt:     e.RequestIDAt,
	}
	if u := e.UserIdentity; u != nil {
		h.UserIdentity = &UserIdentity{Type: u.Type, PrincipalID: u.PrincipalID, ARN: u.ARN,
			AccessKeyID: u.AccessKeyID, UserName: u.UserName, InvokedBy: u.InvokedBy}
	}
	return h
}
