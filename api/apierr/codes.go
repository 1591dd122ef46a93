package apierr

import "net/http"

// Codes the protocol layer answers with that no internal sentinel carries.
const (
	AccessDenied           = "AccessDeniedException"
	UnsupportedOperation   = "UnsupportedOperationException"
	UnknownOperation       = "UnknownOperationException"
	Serialization          = "SerializationException"
	InvalidParameter       = "InvalidParameterException"
	InvalidNextToken       = "InvalidNextTokenException"
	InvalidMaxResults      = "InvalidMaxResultsException"
	InvalidTagParameter    = "InvalidTagParameterException"
	TagsLimitExceeded      = "TagsLimitExceededException"
	ResourceNotFound       = "ResourceNotFoundException"
	ResourceTypeNotSupport = "ResourceTypeNotSupportedException"
	InvalidQueryStatement  = "InvalidQueryStatementException"
	RequestTooLarge        = "RequestEntityTooLargeException"
	ServiceUnavailable     = "ServiceUnavailableException"
	Validation             = "ValidationException" // cloudtrail-data's name for a malformed request
	InternalFailure        = "InternalFailure"
)

// statuses are the codes that do not travel with HTTP 400.
var statuses = map[string]int{
	InternalFailure:    http.StatusInternalServerError,
	ServiceUnavailable: http.StatusServiceUnavailable,
	RequestTooLarge:    http.StatusRequestEntityTooLarge,
}

// New makes an error with the model's code, its HTTP status and a message.
func New(code, message string) *Error {
	st, ok := statuses[code]
	if !ok {
		st = http.StatusBadRequest
	}
	return &Error{Code: code, Status: st, Message: message}
}

// dataNames are the cloudtrail-data model's names for errors that the
// cloudtrail model names otherwise.
var dataNames = map[string]string{
	"ChannelNotFoundException":   "ChannelNotFound",
	"ChannelARNInvalidException": "InvalidChannelARN",
	InvalidParameter:             Validation,
	Serialization:                Validation,
}

// ForData renames e for the cloudtrail-data (REST-JSON) API and gives the
// authentication failures the 403 status REST services use.
func ForData(e *Error) *Error {
	out := *e
	if n, ok := dataNames[e.Code]; ok {
		out.Code = n
	}
	switch e.Code {
	case "MissingAuthenticationTokenException", "UnrecognizedClientException", "InvalidSignatureException", "IncompleteSignatureException", AccessDenied:
		out.Status = http.StatusForbidden
	}
	return &out
}
