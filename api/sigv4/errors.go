package sigv4

import "errors"

// Sentinel errors of verification.
var (
	// ErrMissingAuth: no Authorization header and no X-Amz-Signature.
	ErrMissingAuth = errors.New("missing authentication token")
	// ErrIncomplete: the signature is there but malformed or incomplete.
	ErrIncomplete = errors.New("incomplete signature")
	// ErrMismatch: the signature, scope or clock window is wrong.
	ErrMismatch = errors.New("signature does not match")
	// ErrUnknownKey: the access key ID (or session token) is not known.
	ErrUnknownKey = errors.New("unrecognized client")
)

// Error is a verification failure: Kind is one of the sentinels and Msg
// the text AWS sends for it.
type Error struct {
	Kind error
	Msg  string
}

func (e *Error) Error() string { return e.Msg }

// Unwrap returns the sentinel.
func (e *Error) Unwrap() error { return e.Kind }

func fail(kind error, msg string) *Error { return &Error{Kind: kind, Msg: msg} }
