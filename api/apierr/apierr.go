package apierr

import (
	"errors"
	"net/http"

	"github.com/auditlake/auditlake/api/iam"
	"github.com/auditlake/auditlake/api/model"
	"github.com/auditlake/auditlake/api/sigv4"
	"github.com/auditlake/auditlake/ingest"
	"github.com/auditlake/auditlake/ingest/importjob"
	"github.com/auditlake/auditlake/lake"
	"github.com/auditlake/auditlake/query"
	"github.com/auditlake/auditlake/query/history"
	"github.com/auditlake/auditlake/query/jobs"
)

// Error is an AWS-style error: the model's exception name, the HTTP status
// it travels with, and a message for the caller.
type Error struct {
	Code    string
	Status  int
	Message string
	Err     error // the cause; logged, and shown to the caller only for client faults
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

var mapping = []struct {
	err  error
	code string
}{
	{lake.ErrStoreNotFound, "EventDataStoreNotFoundException"},
	{lake.ErrStoreExists, "EventDataStoreAlreadyExistsException"},
	{lake.ErrStoreLimit, "EventDataStoreMaxLimitExceededException"},
	{lake.ErrInvalidEventSelectors, "InvalidEventSelectorsException"},
	{lake.ErrInvalidARN, "EventDataStoreARNInvalidException"},
	{lake.ErrTerminationProtected, "EventDataStoreTerminationProtectedException"},
	{lake.ErrInvalidStatus, "InvalidEventDataStoreStatusException"},
	{lake.ErrInactiveStore, "InactiveEventDataStoreException"},
	{lake.ErrInvalidParameter, "InvalidParameterException"},
	{query.ErrInvalidStatement, "InvalidQueryStatementException"},
	{jobs.ErrQueryNotFound, "QueryIdNotFoundException"},
	{jobs.ErrMaxConcurrent, "MaxConcurrentQueriesException"},
	{jobs.ErrInactiveQuery, "InactiveQueryException"},
	{jobs.ErrInvalidNextToken, "InvalidNextTokenException"},
	{jobs.ErrInvalidMaxResults, "InvalidMaxResultsException"},
	{jobs.ErrInvalidDateRange, "InvalidDateRangeException"},
	{jobs.ErrInvalidQueryStatus, "InvalidQueryStatusException"},
	{jobs.ErrInvalidParameter, "InvalidParameterException"},
	{jobs.ErrInvalidDeliveryURI, "InvalidS3BucketNameException"},
	{jobs.ErrDeliveryBucketNotFound, "S3BucketDoesNotExistException"},
	{jobs.ErrClosed, ServiceUnavailable},
	{ingest.ErrChannelNotFound, "ChannelNotFoundException"},
	{ingest.ErrChannelExists, "ChannelAlreadyExistsException"},
	{ingest.ErrChannelLimit, "ChannelMaxLimitExceededException"},
	{ingest.ErrChannelARNInvalid, "ChannelARNInvalidException"},
	{ingest.ErrInvalidSource, "InvalidSourceException"},
	{ingest.ErrInvalidEventDataStoreCategory, "InvalidEventDataStoreCategoryException"},
	{ingest.ErrChannelInsufficientPermission, "ChannelInsufficientPermission"},
	{ingest.ErrChannelUnsupportedSchema, "ChannelUnsupportedSchema"},
	{ingest.ErrDuplicatedAuditEventID, "DuplicatedAuditEventId"},
	{ingest.ErrUnsupportedOperation, UnsupportedOperation},
	{ingest.ErrInvalidNextToken, "InvalidNextTokenException"},
	{ingest.ErrChannelExistsForEventDataStore, "ChannelExistsForEDSException"},
	{ingest.ErrInvalidAuditEvents, Validation},
	{importjob.ErrImportNotFound, "ImportNotFoundException"},
	{importjob.ErrInvalidSource, "InvalidImportSourceException"},
	{importjob.ErrNotPermitted, "OperationNotPermittedException"},
	{importjob.ErrInvalidParameter, InvalidParameter},
	{importjob.ErrOngoingImport, "AccountHasOngoingImportException"},
	{history.ErrInvalidLookupAttributes, "InvalidLookupAttributesException"},
	{history.ErrInvalidTimeRange, "InvalidTimeRangeException"},
	{history.ErrInvalidMaxResults, "InvalidMaxResultsException"},
	{history.ErrInvalidNextToken, "InvalidNextTokenException"},
	{history.ErrInvalidEventCategory, "InvalidEventCategoryException"},
	{iam.ErrInvalidPolicy, "InvalidParameterException"},
	{iam.ErrInvalidKey, "InvalidParameterException"},
	{iam.ErrKeyExists, "InvalidParameterException"},
	{iam.ErrKeyNotFound, "ResourceNotFoundException"},
	{sigv4.ErrMissingAuth, "MissingAuthenticationTokenException"},
	{sigv4.ErrIncomplete, "IncompleteSignatureException"},
	{sigv4.ErrMismatch, "InvalidSignatureException"},
	{sigv4.ErrUnknownKey, "UnrecognizedClientException"},
}

// From maps err to the model's error. Unknown errors become an internal
// failure whose message hides the cause.
func From(err error) *Error {
	var ae *Error
	if errors.As(err, &ae) {
		return ae
	}
	var ser *model.SerializationError
	if errors.As(err, &ser) {
		return &Error{Code: Serialization, Status: http.StatusBadRequest, Message: ser.Error(), Err: err}
	}
	for _, m := range mapping {
		if errors.Is(err, m.err) {
			e := New(m.code, err.Error())
			e.Err = err
			return e
		}
	}
	return &Error{Code: "InternalFailure", Status: http.StatusInternalServerError, Message: "internal error", Err: err}
}

// Describe renders err for a person at a terminal: the model's error name
// when it has one, then what went wrong.
func Describe(err error) string {
	ae := From(err)
	if ae.Status == http.StatusInternalServerError {
		return err.Error()
	}
	return ae.Code + ": " + ae.Err.Error()
}
