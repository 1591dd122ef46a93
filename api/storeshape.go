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
