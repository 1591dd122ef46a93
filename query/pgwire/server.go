package pgwire

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/auditlake/auditlake/api/iam"
	"github.com/auditlake/auditlake/lake"
	"github.com/auditlake/auditlake/query"
)

// Defaults for zero Options fields.
const (
	DefaultMaxConns      = 256
	DefaultQueryTimeout  = time.Hour
	DefaultStartupTimout = 30 * time.Second
	DefaultServerVersion = "16.0 (auditlake)"
)

// Engine runs store queries: query.Engine implements it.
type Engine interface {
	// Analyze returns the stores a statement reads, without running it.
	Analyze(ctx context.Context, sql string) ([]query.StoreRead, error)
	// Query starts a statement; the caller closes the rows.
	Query(ctx context.Context, sql string) (*query.Rows, error)
}

// Stores lists the lake's event data stores: lake.Lake implements it.
type Stores interface {
	ListStores(ctx context.Context) ([]lake.StoreInfo, error)
}

// Keys finds access keys: iam.Keys implements it.
type Keys interface {
	// Secret returns a key's secret; an error wrapping
	// iam.ErrKeyNotFound when there is no such key.
	Secret(ctx context.Context, accessKeyID string) (string, error)
	// Identity returns who signs with a key and their policy.
	Identity(ctx context.Context, accessKeyID string) (iam.Identity, error)
}

// Options configure a Server. Engine, Stores and Keys are required; so is
// TLS unless AllowPlain is set.
type Options struct {
	Engine Engine
	Stores Stores
	Keys   Keys
	// TLS serves SSL requests and direct TLS (PostgreSQL 17's
	// sslnegotiation=direct, ALPN "postgresql"); nil refuses them, and
	// then only plain connections work, which AllowPlain must allow.
	TLS *tls.Config
	// AllowPlain lets clients that do not ask for TLS connect in the
	// clear. Off, a client must negotiate TLS.
	AllowPlain     bool
	MaxConns       int           // 0: DefaultMaxConns; beyond it, new connections get SQLSTATE 53300
	QueryTimeout   time.Duration // per statement; 0: DefaultQueryTimeout
	StartupTimeout time.Duration // to finish startup and authentication; 0: DefaultStartupTimout
	ServerVersion  string        // "": DefaultServerVersion
	Logger         *slog.Logger  // nil: discard
}

// Server serves the PostgreSQL wire protocol. It is safe for concurrent
// use.
type Server struct {
	opts Options
	log  *slog.Logger
	tls  *tls.Config // opts.TLS with ALPN "postgresql"; nil without TLS

	mu      sync.Mutex
	conns   map[uint32]*conn // by backend process ID
	schemas map[lake.RowKind][]column
	lns     map[net.Listener]bool
	closed  bool
	wg      sync.WaitGroup
}

// New validates opts and returns a server that serves nothing until
// Serve is called.
func New(opts Options) (*Server, error) {
	switch {
	case opts.Engine == nil || opts.Stores == nil || opts.Keys == nil:
		return nil, errors.New("new pgwire server: Engine, Stores and Keys are required")
	case opts.TLS == nil && !opts.AllowPlain:
		return nil, fmt.Errorf("%w: the Postgres port needs a TLS certificate and key, or plain connections allowed explicitly", lake.ErrInvalidParameter)
	case opts.MaxConns < 0 || opts.QueryTimeout < 0 || opts.StartupTimeout < 0:
		return nil, errors.New("new pgwire server: negative limit")
	}
	if opts.MaxConns == 0 {
		opts.MaxConns = DefaultMaxConns
	}
	if opts.QueryTimeout == 0 {
		opts.QueryTimeout = DefaultQueryTimeout
	}
	if opts.StartupTimeout == 0 {
		opts.StartupTimeout = DefaultStartupTimout
	}
	if opts.ServerVersion == "" {
		opts.ServerVersion = DefaultServerVersion
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{opts: opts, log: log, conns: map[uint32]*conn{}, schemas: map[lake.RowKind][]column{}, lns: map[net.Listener]bool{}}
	if opts.TLS != nil {
		s.tls = opts.TLS.Clone()
		if len(s.tls.NextProtos) == 0 {
			s.tls.NextProtos = []string{alpnPostgres}
		}
	}
	return s, nil
}

// Serve accepts connections on ln until ctx ends or Close is called, then
// closes ln and returns nil. Connections are served until they end or
// Close ends them.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return net.ErrClosed
	}
	s.lns[ln] = true
	s.mu.Unlock()
	stop := context.AfterFunc(ctx, func() { _ = ln.Close() })
	defer stop()
	for {
		nc, err := ln.Accept()
		if err != nil {
			s.mu.Lock()
			delete(s.lns, ln)
			closed := s.closed
			s.mu.Unlock()
			if closed || ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return nil
			}
			return fmt.Errorf("pgwire accept: %w", err)
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.serveConn(nc)
		}()
	}
}

// Close stops the listeners, cancels running statements, closes every
// connection and waits for their goroutines.
func (s *Server) Close() error {
	s.mu.Lock()
	s.closed = true
	for ln := range s.lns {
		_ = ln.Close()
	}
	for _, c := range s.conns {
		c.cancelRunning()
		_ = c.nc.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	return nil
}

// register gives c a process ID and secret key for cancel requests; it
// fails when the server is full or closed.
func (s *Server) register(c *conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || len(s.conns) >= s.opts.MaxConns {
		return false
	}
	for {
		var b [8]byte
		_, _ = rand.Read(b[:])
		c.pid = binary.BigEndian.Uint32(b[:4]) & 0x7fffffff
		c.secret = b[4:]
		if _, taken := s.conns[c.pid]; !taken && c.pid != 0 {
			break
		}
	}
	s.conns[c.pid] = c
	return true
}

func (s *Server) unregister(c *conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conns[c.pid] == c {
		delete(s.conns, c.pid)
	}
}

// cancel cancels the running statement of the connection with pid, if the
// secret key matches; like PostgreSQL it says nothing either way.
func (s *Server) cancel(pid uint32, secret []byte) {
	s.mu.Lock()
	c := s.conns[pid]
	s.mu.Unlock()
	if c != nil && subtle.ConstantTimeCompare(c.secret, secret) == 1 {
		c.cancelRunning()
	}
}
