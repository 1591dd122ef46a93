package jobs

import "errors"

// Sentinel errors. Callers test them with errors.Is; api/apierr maps each to
// the CloudTrail exception named in its comment. The wrapped message says
// what was wrong. Invalid SQL is reported with query.ErrInvalidStatement
// (InvalidQueryStatementException) and unknown stores with
// lake.ErrStoreNotFound, as the query engine returns them.
var (
	// ErrQueryNotFound: QueryIdNotFoundException.
	ErrQueryNotFound = errors.New("query not found")
	// ErrMaxConcurrent: MaxConcurrentQueriesException.
	ErrMaxConcurrent = errors.New("too many queued or running queries")
	// ErrInactiveQuery: InactiveQueryException. The query already ended.
	ErrInactiveQuery = errors.New("query is not queued or running")
	// ErrInvalidNextToken: InvalidNextTokenException.
	ErrInvalidNextToken = errors.New("invalid next token")
	// ErrInvalidMaxResults: InvalidMaxResultsException.
	ErrInvalidMaxResults = errors.New("invalid max results")
	// ErrInvalidDateRange: InvalidDateRangeException.
	ErrInvalidDateRange = errors.New("invalid date range")
	// ErrInvalidQueryStatus: InvalidQueryStatusException.
	ErrInvalidQueryStatus = errors.New("invalid query status")
	// ErrInvalidParameter: InvalidParameterException (an empty or too long
	// statement, a missing EventDataStore, ...).
	ErrInvalidParameter = errors.New("invalid parameter")
	// ErrInvalidDeliveryURI: InvalidS3BucketNameException or
	// InvalidS3PrefixException; DeliveryS3Uri is not s3://bucket[/prefix].
	ErrInvalidDeliveryURI = errors.New("invalid delivery S3 URI")
	// ErrDeliveryBucketNotFound: S3BucketDoesNotExistException.
	ErrDeliveryBucketNotFound = errors.New("delivery S3 bucket does not exist")
	// ErrClosed: the manager is shutting down or closed; the server answers
	// with a retryable service error.
	ErrClosed = errors.New("query manager is closed")
)
