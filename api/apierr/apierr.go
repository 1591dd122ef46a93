package apierr

import (
	"errors"
	"net/http"

	"github.com/auditlake/auditlake/lake"
	"github.com/auditlake/auditlake/query"
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
}

// From maps err to the model's error. Unknown errors become an internal
// failure whose message hides the cause.
func From(err error) *Error {
	var ae *Error
	if errors.As(err, &ae) {
		return ae
	}
	for _, m := range mapping {
		if errors.Is(err, m.err) {
			return &Error{Code: m.code, Status: http.StatusBadRequest, Message: err.Error(), Err: err}
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
