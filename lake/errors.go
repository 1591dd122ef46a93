package lake

import "errors"

// Sentinel errors. Callers test them with errors.Is; api/apierr maps each to
// the CloudTrail error code of the same meaning. The wrapped message says
// what was wrong and where.
var (
	ErrStoreNotFound         = errors.New("event data store not found")
	ErrStoreExists           = errors.New("event data store already exists")
	ErrStoreLimit            = errors.New("event data store limit reached")
	ErrInvalidParameter      = errors.New("invalid parameter")
	ErrInvalidEventSelectors = errors.New("invalid advanced event selectors")
	ErrInvalidARN            = errors.New("invalid event data store ARN")
	ErrTerminationProtected  = errors.New("event data store has termination protection enabled")
	ErrInvalidStatus         = errors.New("event data store status does not allow this operation")
	ErrInactiveStore         = errors.New("event data store is not active")
	ErrLocked                = errors.New("lake is in use by another process")
	ErrClosed                = errors.New("lake is closed")
	ErrQueryOnly             = errors.New("lake is open for queries only")
	ErrCorrupt               = errors.New("lake data is corrupt")
)
