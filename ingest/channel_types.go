package ingest

import (
	"errors"
	"time"

	"github.com/auditlake/auditlake/lake"
)

// Sentinel errors of channels and PutAuditEvents. Callers test them with
// errors.Is; api/apierr maps each to the exception of the same name in the
// CloudTrail API models. Store errors (lake.ErrStoreNotFound,
// lake.ErrInvalidARN, lake.ErrInactiveStore, lake.ErrInvalidParameter) pass
// through wrapped as they are.
var (
	ErrChannelNotFound                = errors.New("channel not found")                                      // ChannelNotFoundException / ChannelNotFound
	ErrChannelExists                  = errors.New("channel already exists")                                 // ChannelAlreadyExistsException
	ErrChannelLimit                   = errors.New("channel limit reached")                                  // ChannelMaxLimitExceededException
	ErrChannelARNInvalid              = errors.New("invalid channel ARN")                                    // ChannelARNInvalidException / InvalidChannelARN
	ErrInvalidSource                  = errors.New("invalid channel source")                                 // InvalidSourceException
	ErrInvalidEventDataStoreCategory  = errors.New("event data store does not hold events from outside AWS") // InvalidEventDataStoreCategoryException
	ErrChannelInsufficientPermission  = errors.New("caller may not put events into this channel")            // ChannelInsufficientPermission
	ErrChannelUnsupportedSchema       = errors.New("channel destination does not take this event schema")    // ChannelUnsupportedSchema
	ErrDuplicatedAuditEventID         = errors.New("two or more audit events have the same id")              // DuplicatedAuditEventId
	ErrUnsupportedOperation           = errors.New("operation not supported")                                // UnsupportedOperationException
	ErrInvalidNextToken               = errors.New("invalid next token")                                     // InvalidNextTokenException
	ErrChannelExistsForEventDataStore = errors.New("event data store is a destination of a channel")         // ChannelExistsForEDSException
	ErrInvalidAuditEvents             = errors.New("invalid audit events request")                           // ValidationException (request shape)
)

// Limits of channels and PutAuditEvents (API models; quotas of CloudTrail).
const (
	MinChannelNameChars   = 3   // ChannelName
	MaxChannelNameChars   = 128 // ChannelName
	MaxSourceChars        = 256 // Source
	MaxDestinations       = 200 // Destinations
	MinLocationChars      = 3   // Location
	MaxLocationChars      = 1024
	DefaultMaxChannels    = 25 // CloudTrail quota: channels per account and region
	MaxChannelListResults = 1000
	MaxAuditEvents        = 100     // AuditEvents
	MaxAuditEventsBytes   = 1 << 20 // 1 MB of eventData per call
	MaxAuditEventIDChars  = 128     // Uuid
	MinExternalIDChars    = 2       // ExternalId
	MaxExternalIDChars    = 1224
)

// SourceCustom is the Source of a channel for the customer's own events.
const SourceCustom = "Custom"

// Destination types of the API model.
const (
	DestinationEventDataStore = "EVENT_DATA_STORE"
	DestinationAWSService     = "AWS_SERVICE"
)

// Destination is where a channel delivers events: for EVENT_DATA_STORE, the
// ARN of an ActivityAuditLog store.
type Destination struct {
	Type     string `json:"Type"`
	Location string `json:"Location"`
}

// Channel is a channel's configuration, in the JSON shape of the API's
// CreateChannel response.
type Channel struct {
	ARN          string        `json:"ChannelArn"`
	Name         string        `json:"Name"`
	Source       string        `json:"Source"`
	Destinations []Destination `json:"Destinations"`
	Tags         []lake.Tag    `json:"Tags,omitempty"`
	// ExternalIDs, when not empty, are the external IDs PutAuditEvents
	// accepts (a resource policy's sts:ExternalId condition); empty: any.
	ExternalIDs []string  `json:"ExternalIds,omitempty"`
	Created     time.Time `json:"CreatedTimestamp"`
	Updated     time.Time `json:"UpdatedTimestamp"`
}

// ID is the UUID at the end of the channel's ARN.
func (c Channel) ID() string { return channelIDOf(c.ARN) }

// IngestionStatus is GetChannel's report of the latest PutAuditEvents
// calls. It is kept in memory: a restarted server reports calls since it
// started.
type IngestionStatus struct {
	LatestIngestionSuccessTime    *time.Time `json:"LatestIngestionSuccessTime,omitempty"`
	LatestIngestionSuccessEventID string     `json:"LatestIngestionSuccessEventID,omitempty"`
	LatestIngestionErrorCode      string     `json:"LatestIngestionErrorCode,omitempty"`
	LatestIngestionAttemptTime    *time.Time `json:"LatestIngestionAttemptTime,omitempty"`
	LatestIngestionAttemptEventID string     `json:"LatestIngestionAttemptEventID,omitempty"`
}

// ChannelInfo is GetChannel's answer: the channel and its ingestion status.
type ChannelInfo struct {
	Channel
	IngestionStatus IngestionStatus
}

// ChannelSummary is one entry of ListChannels.
type ChannelSummary struct {
	ARN  string `json:"ChannelArn"`
	Name string `json:"Name"`
}

// CreateChannelInput is CreateChannel's request.
type CreateChannelInput struct {
	Name         string
	Source       string
	Destinations []Destination
	Tags         []lake.Tag
}

// UpdateChannelInput is UpdateChannel's request; nil fields are unchanged.
type UpdateChannelInput struct {
	Name         *string
	Destinations []Destination // nil: unchanged
}

// AuditEventInput is one entry of PutAuditEvents' auditEvents.
type AuditEventInput struct {
	ID                string `json:"id"`
	EventData         string `json:"eventData"`
	EventDataChecksum string `json:"eventDataChecksum,omitempty"`
}

// AuditEventResult is one entry of PutAuditEvents' successful list.
type AuditEventResult struct {
	ID      string `json:"id"`
	EventID string `json:"eventID"`
}

// AuditEventFailure is one entry of PutAuditEvents' failed list.
type AuditEventFailure struct {
	ID           string `json:"id"`
	ErrorCode    string `json:"errorCode"`
	ErrorMessage string `json:"errorMessage"`
}

// Error codes of PutAuditEvents' failed entries (API model, ResultErrorEntry).
const (
	CodeFieldTooLong         = "FieldTooLong"
	CodeFieldNotFound        = "FieldNotFound"
	CodeInvalidChecksum      = "InvalidChecksum"
	CodeInvalidData          = "InvalidData"
	CodeInvalidRecipient     = "InvalidRecipient"
	CodeInvalidEventSource   = "InvalidEventSource"
	CodeAccountNotSubscribed = "AccountNotSubscribed"
	CodeThrottling           = "Throttling"
	CodeInternalFailure      = "InternalFailure"
)
