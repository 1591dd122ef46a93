package query

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/auditlake/auditlake/lake"
)

// Catalog is what the engine needs from the lake: resolving the stores a
// statement names and finding their segment files. Implementations must be
// safe for concurrent use.
type Catalog interface {
	// Store resolves a store reference as written in SQL: its ID
	// (case-insensitive) or its name. It returns an error wrapping
	// lake.ErrStoreNotFound when there is none the caller may read.
	Store(ctx context.Context, ref string) (lake.StoreInfo, error)
	// Segments returns the local paths of the store's Parquet segments whose
	// eventTime range overlaps [from, to] (a zero time is unbounded), checked
	// against their checksums and held (not deleted) until release is
	// called. release is never nil when err is nil and may be called once.
	Segments(ctx context.Context, storeID string, from, to time.Time) (paths []string, release func(), err error)
}

// keyCutter is a Catalog that knows which segments are cut only at the
// records' own eventID and requestID members (lake.Lake.KeyCuts). JSON
// calls over such segments read the stored eventJson without per-row
// checks (eventjson.go); with another Catalog they keep the checks.
type keyCutter interface {
	KeyCuts(ctx context.Context, storeID string, from, to time.Time) (bool, error)
}

// Sentinel errors of the package. Callers test them with errors.Is.
var (
	// ErrInvalidStatement means the SQL is not a single read-only SELECT
	// over event data stores, or does not parse. The error is a
	// *StatementError that says why and where.
	ErrInvalidStatement = errors.New("invalid query statement")
	// ErrResultLimit means a query produced more rows than
	// Options.MaxResultRows.
	ErrResultLimit = errors.New("query result row limit exceeded")
	// ErrClosed means the engine was closed.
	ErrClosed = errors.New("query engine is closed")
)

// StatementError is a refused or unparsable statement. It wraps
// ErrInvalidStatement.
type StatementError struct {
	Reason string // what is wrong, lower case
	// Offset is the byte offset in the statement as the caller wrote it,
	// or -1 when unknown. Line and Column (1-based, columns in characters)
	// are derived from it and are 0 when it is unknown.
	Offset       int
	Line, Column int
}

func (e *StatementError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s: %s at line %d, column %d", ErrInvalidStatement, e.Reason, e.Line, e.Column)
	}
	return fmt.Sprintf("%s: %s", ErrInvalidStatement, e.Reason)
}

// Unwrap returns ErrInvalidStatement.
func (e *StatementError) Unwrap() error { return ErrInvalidStatement }

// newStatementError builds a StatementError for src, the statement as the
// caller wrote it, at byte offset off (-1: unknown).
func newStatementError(src string, off int, format string, args ...any) *StatementError {
	e := &StatementError{Reason: fmt.Sprintf(format, args...), Offset: -1}
	if off >= 0 && off <= len(src) {
		e.Offset = off
		e.Line, e.Column = lineColumn(src, off)
	}
	return e
}

// lineColumn converts a byte offset into a 1-based line and character
// column.
func lineColumn(src string, off int) (line, col int) {
	line, col = 1, 1
	for _, r := range src[:off] {
		if r == '\n' {
			line++
			col = 1
			continue
		}
		col++
	}
	return line, col
}
