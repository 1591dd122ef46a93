package query

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"

	"github.com/duckdb/duckdb-go/v2"
)

// Every query runs in a database of its own (openSandbox), and making one
// (a DuckDB instance, a connection and the settings that do not depend on
// the query) takes about 7 ms on the bench machine: a fifth of a small
// query. An engine makes the next query's database ahead of time, in the
// background: a spare. A spare is as fresh as a database made on demand,
// never used by any query before the one that takes it, which applies the
// query's own settings and locks the configuration as before. The query
// command's single query takes the spare started when its engine was made,
// while it opened the lake and parsed the statement.

// sandboxDB is one query's DuckDB database and its connection.
type sandboxDB struct {
	connector *duckdb.Connector
	db        *sql.DB
	conn      *sql.Conn
}

// newSandboxDB makes a database with the settings every query of o shares.
func newSandboxDB(o Options) (*sandboxDB, error) {
	connector, err := duckdb.NewConnector("", nil)
	if err != nil {
		return nil, err
	}
	s := &sandboxDB{connector: connector, db: sql.OpenDB(connector)}
	if s.conn, err = s.db.Conn(context.Background()); err != nil {
		return nil, errors.Join(err, s.close())
	}
	for _, q := range sharedSandboxSettings(o) {
		if _, err := s.conn.ExecContext(context.Background(), q); err != nil {
			return nil, errors.Join(fmt.Errorf("%s: %w", q, err), s.close())
		}
	}
	return s, nil
}

func (s *sandboxDB) close() error {
	var errs []error
	if s.conn != nil {
		errs = append(errs, s.conn.Close())
	}
	return errors.Join(append(errs, s.db.Close(), s.connector.Close())...)
}

// closer is what spares keeps: a *sandboxDB.
type closer interface{ close() error }

// spares keeps up to want databases made ahead of the queries that take
// them.
type spares[T closer] struct {
	make func() (T, error)
	want int

	mu       sync.Mutex
	ready    chan spareResult[T] // capacity want
	inflight int
	closed   bool
	wg       sync.WaitGroup
}

type spareResult[T closer] struct {
	db  T
	err error
}

func newSpares[T closer](want int, mk func() (T, error)) *spares[T] {
	s := &spares[T]{make: mk, want: want, ready: make(chan spareResult[T], want)}
	s.fill()
	return s
}

// fill starts making spares up to want.
func (s *spares[T]) fill() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for !s.closed && len(s.ready)+s.inflight < s.want {
		s.inflight++
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			db, err := s.make()
			s.mu.Lock()
			defer s.mu.Unlock()
			s.inflight--
			if s.closed {
				if err == nil {
					_ = db.close()
				}
				return
			}
			s.ready <- spareResult[T]{db, err} // never blocks: len(ready)+inflight <= want
		}()
	}
}

// take returns a spare, waiting for one being made rather than making
// another, or a database made now when none is ready or coming.
func (s *spares[T]) take(ctx context.Context) (T, error) {
	s.mu.Lock()
	coming := len(s.ready) > 0 || s.inflight > 0
	s.mu.Unlock()
	if coming {
		select {
		case r := <-s.ready:
			s.fill()
			if r.err == nil {
				return r.db, nil
			}
			// A spare that failed is made again here, and fails with
			// the query's error if it fails again.
		case <-ctx.Done():
			var zero T
			return zero, ctx.Err()
		}
	}
	s.fill()
	return s.make()
}

// close stops making spares and closes those ready. No take may run.
func (s *spares[T]) close() error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.wg.Wait()
	var errs []error
	for {
		select {
		case r := <-s.ready:
			if r.err == nil {
				errs = append(errs, r.db.close())
			}
		default:
			return errors.Join(errs...)
		}
	}
}
