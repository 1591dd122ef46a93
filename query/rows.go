package query

import (
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Column is one result column.
type Column struct {
	Name       string
	DuckDBType string // as DuckDB spells it, such as TIMESTAMP or MAP(VARCHAR, VARCHAR)
}

// Stats describe one query.
type Stats struct {
	FilesRead    int           // segment files the query was allowed to read, after pruning
	BytesRead    int64         // total size of those files
	RowsReturned int64         // rows returned by Next so far
	Elapsed      time.Duration // from Query until the last row, an error, or Close
}

// Rows is the streaming result of a query. It is not safe for concurrent
// use. Close it to release the segments and the query's database.
type Rows struct {
	rows    *sql.Rows
	cols    []Column
	vals    []any
	ptrs    []any
	closers []func() error // run in reverse order by Close

	start  time.Time
	done   bool
	max    int64
	stats  Stats
	err    error
	ctxErr func() error
	rw     *rewritten
	closed bool
}

func (r *Rows) init(rows *sql.Rows) error {
	r.rows = rows
	r.closers = append(r.closers, rows.Close)
	types, err := rows.ColumnTypes()
	if err != nil {
		return fmt.Errorf("result columns: %w", err)
	}
	r.cols = make([]Column, len(types))
	r.vals = make([]any, len(types))
	r.ptrs = make([]any, len(types))
	for i, t := range types {
		name := t.Name()
		if strings.HasPrefix(name, unnamedColumn) {
			name = "_col" + strconv.Itoa(i) // Trino numbers by output position, after * is expanded
		}
		r.cols[i] = Column{Name: name, DuckDBType: t.DatabaseTypeName()}
		r.ptrs[i] = &r.vals[i]
	}
	return nil
}

// Columns returns the result columns in select-list order.
func (r *Rows) Columns() []Column { return r.cols }

// Next advances to the next row. It returns false at the end of the result
// or on an error, which Err then returns.
func (r *Rows) Next() bool {
	if r.done {
		return false
	}
	if !r.rows.Next() {
		if err := r.rows.Err(); err != nil {
			r.err = queryError(r.ctxErr(), r.rw, err)
		}
		r.finish()
		return false
	}
	if r.max > 0 && r.stats.RowsReturned >= r.max {
		r.err = fmt.Errorf("%w: more than %d rows", ErrResultLimit, r.max)
		r.finish()
		return false
	}
	clear(r.vals)
	if err := r.rows.Scan(r.ptrs...); err != nil {
		r.err = fmt.Errorf("read row: %w", err)
		r.finish()
		return false
	}
	r.stats.RowsReturned++
	return true
}

func (r *Rows) finish() {
	if !r.done {
		r.done = true
		r.stats.Elapsed = time.Since(r.start)
	}
}

// Values returns the current row. Values are those of duckdb-go: nil,
// bool, integers, float32/64, string, []byte, time.Time, *big.Int,
// duckdb.Decimal, duckdb.Interval, duckdb.OrderedMap (MAP),
// map[string]any (STRUCT) and []any (LIST). The slice is reused by Next.
func (r *Rows) Values() []any { return r.vals }

// Err returns the error that ended the iteration, if any.
func (r *Rows) Err() error { return r.err }

// Stats returns the query's statistics so far.
func (r *Rows) Stats() Stats {
	s := r.stats
	if !r.done {
		s.Elapsed = time.Since(r.start)
	}
	return s
}

// Close ends the query, closes its database and releases its segments. It
// may be called more than once.
func (r *Rows) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	r.finish()
	var errs []error
	for i := len(r.closers) - 1; i >= 0; i-- {
		errs = append(errs, r.closers[i]())
	}
	return errors.Join(errs...)
}
