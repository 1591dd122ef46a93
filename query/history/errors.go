package history

import "errors"

// Errors of Lookup, each the meaning of the LookupEvents exception of the
// same name; api/apierr maps them.
var (
	ErrInvalidLookupAttributes = errors.New("invalid lookup attributes")
	ErrInvalidTimeRange        = errors.New("invalid time range")
	ErrInvalidMaxResults       = errors.New("invalid max results")
	ErrInvalidNextToken        = errors.New("invalid next token")
	ErrInvalidEventCategory    = errors.New("invalid event category")
)
