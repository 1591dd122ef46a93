package api

import (
	"time"

	"github.com/auditlake/auditlake/lake"
)

// StoreShape is an event data store in the shape of the model's
// CreateEventDataStore, GetEventDataStore, UpdateEventDataStore and
// RestoreEventDataStore responses (and ListEventDataStores entries). T is
// how timestamps are written: epoch seconds on the wire, CLITime where
// auditlake's own command line prints a store (eds create, get, list, ...),
// so that the CLI and the API print the same fields in the same order.
type StoreShape[T any] struct {
	EventDataStoreArn            string                       `json:"EventDataStoreArn"`
	Name                         string                       `json:"Name"`
	Status                       lake.Status                  `json:"Status"`
	AdvancedEventSelectors       []lake.AdvancedEventSelector `json:"AdvancedEventSelectors"`
	MultiRegionEnabled           bool                         `json:"MultiRegionEnabled"`
	OrganizationEnabled          bool                         `json:"OrganizationEnabled"`
	RetentionPeriod              int                          `json:"RetentionPeriod"`
	TerminationProtectionEnabled bool                         `json:"TerminationProtectionEnabled"`
	TagsList                     []lake.Tag                   `json:"TagsList,omitempty"`
	CreatedTimestamp             T                            `json:"CreatedTimestamp"`
	UpdatedTimestamp             T                            `json:"UpdatedTimestamp"`
	KmsKeyID                     string                       `json:"KmsKeyId,omitempty"`
	BillingMode                  string                       `json:"BillingMode,omitempty"`
}

func shapeOf[T any](s lake.StoreInfo, ts func(time.Time) T) StoreShape[T] {
	return StoreShape[T]{
		EventDataStoreArn:            s.ARN,
		Name:                         s.Name,
		Status:                       s.Status,
		AdvancedEventSelectors:       s.AdvancedEventSelectors,
		MultiRegionEnabled:           s.MultiRegionEnabled,
		OrganizationEnabled:          s.OrganizationEnabled,
		RetentionPeriod:              s.RetentionPeriod,
		TerminationProtectionEnabled: s.TerminationProtectionEnabled,
		CreatedTimestamp:             ts(s.CreatedTimestamp),
		UpdatedTimestamp:             ts(s.UpdatedTimestamp),
		KmsKeyID:                     s.KmsKeyID,
		BillingMode:                  s.BillingMode,
	}
}

// StoreStats are the storage figures auditlake adds to GetEventDataStore's
// answer, as a Stats member, and `eds get` prints: events, segments and
// bytes of the store's current manifest, and the eventTime of its oldest
// and newest event (absent when the store is empty). The model has no such
// member; AWS SDKs and the aws CLI skip members their model lacks, so they
// see the answer they expect, and the console and raw clients get the
// figures without a query.
type StoreStats[T any] struct {
	Events         int64 `json:"Events"`
	Segments       int   `json:"Segments"`
	Bytes          int64 `json:"Bytes"`
	FirstEventTime *T    `json:"FirstEventTime,omitempty"`
	LastEventTime  *T    `json:"LastEventTime,omitempty"`
}

func statsOf[T any](st lake.StoreStats, ts func(time.Time) T) StoreStats[T] {
	out := StoreStats[T]{Events: st.Events, Segments: st.Segments, Bytes: st.Bytes}
	if st.Events > 0 {
		first, last := ts(st.Oldest), ts(st.Newest)
		out.FirstEventTime, out.LastEventTime = &first, &last
	}
	return out
}

// CLIStats are the storage figures with CLITime timestamps.
func CLIStats(st lake.StoreStats) StoreStats[CLITime] {
	return statsOf(st, func(t time.Time) CLITime { return CLITime(t) })
}

// CLIStore is the store as `aws cloudtrail get-event-data-store --output
// json` prints GetEventDataStore's answer: the same fields as the API, with
// CLITime timestamps. Callers printing a CreateEventDataStore answer set
// TagsList, as the API does.
func CLIStore(s lake.StoreInfo) StoreShape[CLITime] {
	return shapeOf(s, func(t time.Time) CLITime { return CLITime(t) })
}

// CLITime is a timestamp as the aws CLI prints one in JSON output (its
// default iso8601 timestamp format: Python's isoformat of the parsed
// time): 2026-11-21T20:30:37.123000+00:00, or without the fraction when
// the time has no milliseconds. The wire carries milliseconds, so the
// fraction is too.
type CLITime time.Time

// MarshalJSON writes the time as a JSON string.
func (t CLITime) MarshalJSON() ([]byte, error) {
	return []byte(`"` + t.String() + `"`), nil
}

// String is the time in the aws CLI's format, in UTC.
func (t CLITime) String() string {
	tt := time.Time(t).UTC().Truncate(time.Millisecond)
	if tt.Nanosecond() == 0 {
		return tt.Format("2006-01-02T15:04:05+00:00")
	}
	return tt.Format("2006-01-02T15:04:05.000000+00:00")
}
