package lake

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/parquet-go/parquet-go"
)

// AuditEvent is one row of an event data store of events from outside AWS
// (selectors with eventCategory ActivityAuditLog, filled by PutAuditEvents
// through a channel): the CloudTrail Lake schema of such events, in which
// CloudTrail sets the header columns and the customer's payload is the
// eventData struct. EventJSON holds the whole record (header and the
// eventData exactly as sent), so that no field is ever lost; as for Event,
// eventJsonChecksum is not stored but derived by the query engine. The struct
// is the Parquet schema; see docs/format/events.md.
type AuditEvent struct {
	EventVersion       string         `parquet:"eventVersion,dict"`
	EventCategory      string         `parquet:"eventCategory,dict"` // ActivityAuditLog
	EventType          string         `parquet:"eventType,dict"`     // ActivityLog
	EventID            string         `parquet:"eventID"`            // assigned at ingest, a UUID
	EventTime          time.Time      `parquet:"eventTime,timestamp(millisecond:local)"`
	AWSRegion          string         `parquet:"awsRegion,dict"`
	RecipientAccountID string         `parquet:"recipientAccountId,dict"`
	Addendum           *AuditAddendum `parquet:"addendum,optional"`
	Metadata           AuditMetadata  `parquet:"metadata"`
	EventData          AuditEventData `parquet:"eventData"`
	EventJSON          string         `parquet:"eventJson"`
}

// AuditAddendum is the addendum struct CloudTrail adds to a corrected event.
type AuditAddendum struct {
	Reason          *string `parquet:"reason,optional"`
	UpdatedFields   *string `parquet:"updatedFields,optional"`
	OriginalUID     *string `parquet:"originalUID,optional"`
	OriginalEventID *string `parquet:"originalEventID,optional"`
}

// AuditMetadata is the metadata struct: when the event was accepted and
// through which channel.
type AuditMetadata struct {
	IngestionTime time.Time `parquet:"ingestionTime,timestamp(millisecond:local)"`
	ChannelARN    string    `parquet:"channelArn,dict"`
}

// AuditEventData is the customer's payload. Maps hold the first level of a
// free-form object; scalar values are their text, nested objects and arrays
// compact JSON text, as in Event.
type AuditEventData struct {
	Version             string            `parquet:"version,dict"`
	UserIdentity        AuditUserIdentity `parquet:"userIdentity"`
	UserAgent           *string           `parquet:"userAgent,optional,dict"`
	EventSource         string            `parquet:"eventSource,dict"`
	EventName           string            `parquet:"eventName,dict"`
	EventTime           string            `parquet:"eventTime"` // as the customer wrote it
	UID                 string            `parquet:"UID"`
	RequestParameters   map[string]string `parquet:"requestParameters,optional"`
	ResponseElements    map[string]string `parquet:"responseElements,optional"`
	ErrorCode           *string           `parquet:"errorCode,optional,dict"`
	ErrorMessage        *string           `parquet:"errorMessage,optional"`
	SourceIPAddress     *string           `parquet:"sourceIPAddress,optional,dict"`
	RecipientAccountID  string            `parquet:"recipientAccountId,dict"`
	AdditionalEventData map[string]string `parquet:"additionalEventData,optional"`
}

// AuditUserIdentity is eventData.userIdentity.
type AuditUserIdentity struct {
	Type        string            `parquet:"type,dict"`
	PrincipalID string            `parquet:"principalId,dict"`
	Details     map[string]string `parquet:"details,optional"`
}

// Row is the constraint of the row types a segment may hold: Event for
// stores of CloudTrail events, AuditEvent for stores of events from outside
// AWS. One store holds one row type, chosen by its selectors (RowKindOf).
type Row interface {
	Event | AuditEvent
}

// RowKind names a segment row type.
type RowKind int

// The row kinds.
const (
	RowEvent      RowKind = iota + 1 // Event
	RowAuditEvent                    // AuditEvent
)

func (k RowKind) String() string {
	switch k {
	case RowEvent:
		return "CloudTrail event"
	case RowAuditEvent:
		return "ActivityAuditLog event"
	}
	return "unknown"
}

// RowKindOf returns the row type of a store: AuditEvent when its selectors
// choose eventCategory ActivityAuditLog, else Event.
func RowKindOf(s StoreInfo) RowKind {
	if SelectorFamily(s.AdvancedEventSelectors) == CategoryActivityAuditLog {
		return RowAuditEvent
	}
	return RowEvent
}

// rowTime returns the eventTime of a row.
func rowTime[R Row](r *R) time.Time {
	switch v := any(r).(type) {
	case *Event:
		return v.EventTime
	case *AuditEvent:
		return v.EventTime
	}
	panic("lake: unknown row type")
}

// EmptySegment returns the path of a Parquet file in dir with the schema of
// kind and no rows, writing it on first use; it stands in for a store with
// no segments in a query's range. Concurrent calls are safe.
func EmptySegment(dir string, kind RowKind) (string, error) {
	path := filepath.Join(dir, fmt.Sprintf("empty-%d.parquet", kind))
	if _, err := os.Stat(path); err == nil {
		return path, nil
	}
	f, err := os.CreateTemp(dir, "empty-*.parquet.tmp")
	if err != nil {
		return "", fmt.Errorf("write empty segment: %w", err)
	}
	var werr error
	switch kind {
	case RowAuditEvent:
		werr = parquet.NewGenericWriter[AuditEvent](f).Close()
	default:
		werr = parquet.NewGenericWriter[Event](f).Close()
	}
	if err := errors.Join(werr, f.Close()); err != nil {
		_ = os.Remove(f.Name())
		return "", fmt.Errorf("write empty segment: %w", err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		_ = os.Remove(f.Name())
		return "", fmt.Errorf("write empty segment: %w", err)
	}
	return path, nil
}
