package pgwire

import (
	"context"
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/duckdb/duckdb-go/v2"
	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/auditlake/auditlake/lake"
	"github.com/auditlake/auditlake/query"
)

// pgError is an error the client sees with its SQLSTATE.
type pgError struct {
	code     string
	msg      string
	position int32 // 1-based character position in the statement; 0: none
}

func (e *pgError) Error() string { return e.msg }

// mapError turns an error of a statement into a *pgError with the
// SQLSTATE PostgreSQL would use.
func mapError(ctx context.Context, stmt string, err error) error {
	var pe *pgError
	var se *query.StatementError
	var de *duckdb.Error
	switch {
	case errors.As(err, &pe):
		return pe
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded):
		return &pgError{code: "57014", msg: "canceling statement due to statement timeout"}
	case errors.Is(err, context.Canceled) || errors.Is(ctx.Err(), context.Canceled):
		return &pgError{code: "57014", msg: "canceling statement due to user request"}
	case errors.Is(err, lake.ErrStoreNotFound):
		return &pgError{code: "42P01", msg: "relation does not exist: " + strings.TrimPrefix(err.Error(), lake.ErrStoreNotFound.Error()+": ")}
	case errors.As(err, &se):
		e := &pgError{code: "42601", msg: se.Reason}
		if !strings.Contains(se.Reason, "syntax") {
			e.code = "42000"
			if strings.Contains(se.Reason, "not found") || strings.Contains(se.Reason, "does not exist") {
				e.code = "42703"
			}
		}
		if se.Offset >= 0 && se.Offset <= len(stmt) {
			e.position = int32(utf8.RuneCountInString(stmt[:se.Offset]) + 1)
		}
		return e
	case errors.Is(err, query.ErrResultLimit):
		return &pgError{code: "54000", msg: err.Error()}
	case errors.As(err, &de):
		return duckError(de)
	}
	return err
}

// duckError maps an error of the catalog database.
func duckError(de *duckdb.Error) *pgError {
	msg := de.Msg
	if i := strings.Index(msg, "\n"); i >= 0 {
		msg = msg[:i]
	}
	msg = strings.NewReplacer("pgc.", "pg_catalog.", "pgi.", "information_schema.").Replace(msg)
	switch de.Type {
	case duckdb.ErrorTypeParser, duckdb.ErrorTypeSyntax:
		return &pgError{code: "42601", msg: msg}
	case duckdb.ErrorTypeCatalog:
		switch {
		case strings.Contains(msg, "Function"):
			return &pgError{code: "42883", msg: msg}
		case strings.Contains(msg, "Type"):
			return &pgError{code: "42704", msg: msg}
		}
		return &pgError{code: "42P01", msg: msg}
	case duckdb.ErrorTypeBinder:
		if strings.Contains(msg, "column") {
			return &pgError{code: "42703", msg: msg}
		}
		return &pgError{code: "42883", msg: msg}
	case duckdb.ErrorTypeConversion, duckdb.ErrorTypeInvalidInput:
		return &pgError{code: "22P02", msg: msg}
	case duckdb.ErrorTypeDivideByZero:
		return &pgError{code: "22012", msg: msg}
	}
	return &pgError{code: "XX000", msg: msg}
}

// sendError sends an ErrorResponse; errors that are not *pgError are
// logged and reported as internal errors.
func (c *conn) sendError(err error) {
	var pe *pgError
	if !errors.As(err, &pe) {
		c.s.log.Error("pgwire statement failed", "pid", c.pid, "user", c.id.AccessKeyID, "err", err)
		pe = &pgError{code: "XX000", msg: "internal error"}
	}
	c.be.Send(&pgproto3.ErrorResponse{
		Severity: "ERROR", SeverityUnlocalized: "ERROR", Code: pe.code, Message: pe.msg, Position: pe.position,
	})
}
