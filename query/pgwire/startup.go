package pgwire

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/xdg-go/scram"

	"github.com/auditlake/auditlake/api/iam"
)

// scramIterations is PostgreSQL's default scram_iterations.
const scramIterations = 4096

// maxMessage bounds a client message; statements longer than this are
// refused.
const maxMessage = 16 << 20

// serveConn runs one client connection from the startup packet to its
// end.
func (s *Server) serveConn(nc net.Conn) {
	defer nc.Close()
	_ = nc.SetDeadline(time.Now().Add(s.opts.StartupTimeout))
	c, err := s.startup(nc)
	if err != nil || c == nil {
		if err != nil {
			s.log.Debug("pgwire startup ended", "remote", nc.RemoteAddr().String(), "err", err)
		}
		return
	}
	defer s.unregister(c)
	defer c.close()
	_ = c.nc.SetDeadline(time.Time{})
	c.serve()
}

// startup negotiates TLS, reads the startup message, authenticates the
// user and greets them. It returns nil and no error for cancel requests.
func (s *Server) startup(nc net.Conn) (*conn, error) {
	nc, secure, err := s.directTLS(nc)
	if err != nil || nc == nil {
		return nil, err
	}
	be := pgproto3.NewBackend(nc, nc)
	be.SetMaxBodyLen(maxMessage)
	for {
		msg, err := be.ReceiveStartupMessage()
		if err != nil {
			return nil, fmt.Errorf("read startup message: %w", err)
		}
		switch m := msg.(type) {
		case *pgproto3.SSLRequest:
			if s.opts.TLS == nil || secure {
				if _, err := nc.Write([]byte{'N'}); err != nil {
					return nil, err
				}
				continue
			}
			if _, err := nc.Write([]byte{'S'}); err != nil {
				return nil, err
			}
			tc := tls.Server(nc, s.tls)
			if err := tc.Handshake(); err != nil {
				return nil, fmt.Errorf("tls handshake: %w", err)
			}
			nc, secure = tc, true
			be = pgproto3.NewBackend(nc, nc)
			be.SetMaxBodyLen(maxMessage)
		case *pgproto3.GSSEncRequest:
			if _, err := nc.Write([]byte{'N'}); err != nil {
				return nil, err
			}
		case *pgproto3.CancelRequest:
			s.cancel(m.ProcessID, m.SecretKey)
			return nil, nil
		case *pgproto3.StartupMessage:
			return s.greet(nc, be, m, secure)
		default:
			return nil, fmt.Errorf("unexpected startup message %T", msg)
		}
	}
}

// tlsRecordHandshake is the first byte of a TLS ClientHello; no startup
// packet starts with it (its length would be at least 352 MB).
const tlsRecordHandshake = 0x16

// alpnPostgres is the ALPN protocol of PostgreSQL 17's direct TLS.
const alpnPostgres = "postgresql"

// directTLS serves PostgreSQL 17's direct TLS negotiation
// (sslnegotiation=direct): a client that opens with a TLS ClientHello
// instead of an SSLRequest. It returns the connection to read the startup
// packet from and whether it is encrypted; a nil connection and no error
// end the connection quietly, as PostgreSQL does when it has no TLS.
func (s *Server) directTLS(nc net.Conn) (net.Conn, bool, error) {
	var first [1]byte
	if _, err := io.ReadFull(nc, first[:]); err != nil {
		return nil, false, fmt.Errorf("read startup message: %w", err)
	}
	pc := &prefixConn{Conn: nc, prefix: first[:]}
	if first[0] != tlsRecordHandshake {
		return pc, false, nil
	}
	if s.opts.TLS == nil {
		return nil, false, nil
	}
	tc := tls.Server(pc, s.tls)
	if err := tc.Handshake(); err != nil {
		return nil, false, fmt.Errorf("direct tls handshake: %w", err)
	}
	if tc.ConnectionState().NegotiatedProtocol != alpnPostgres {
		// PostgreSQL refuses direct TLS without ALPN, so that a TLS
		// connection meant for another protocol cannot be replayed here.
		return nil, false, errors.New("direct tls without ALPN protocol \"postgresql\"")
	}
	return tc, true, nil
}

// prefixConn is a connection whose first bytes were already read.
type prefixConn struct {
	net.Conn
	prefix []byte
}

func (c *prefixConn) Read(p []byte) (int, error) {
	if len(c.prefix) > 0 {
		n := copy(p, c.prefix)
		c.prefix = c.prefix[n:]
		return n, nil
	}
	return c.Conn.Read(p)
}

// fatal sends a FATAL error response during startup.
func fatal(be *pgproto3.Backend, code, msg string) error {
	be.Send(&pgproto3.ErrorResponse{Severity: "FATAL", SeverityUnlocalized: "FATAL", Code: code, Message: msg})
	_ = be.Flush()
	return errors.New(msg)
}

func (s *Server) greet(nc net.Conn, be *pgproto3.Backend, m *pgproto3.StartupMessage, secure bool) (*conn, error) {
	user := m.Parameters["user"]
	if !secure && !s.opts.AllowPlain {
		return nil, fatal(be, "28000", fmt.Sprintf("no pg_hba.conf entry for user %q, SSL off: this server requires SSL (sslmode=require)", user))
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.opts.StartupTimeout)
	defer cancel()
	id, err := s.authenticate(ctx, be, user)
	if err != nil {
		return nil, err
	}
	db := m.Parameters["database"]
	if db == "" {
		db = user
	}
	c := newConn(s, nc, be, id, db, m.Parameters)
	if !s.register(c) {
		return nil, fatal(be, "53300", "sorry, too many clients already")
	}
	be.Send(&pgproto3.AuthenticationOk{})
	for _, p := range c.sess.startupStatus() {
		be.Send(&pgproto3.ParameterStatus{Name: p[0], Value: p[1]})
	}
	be.Send(&pgproto3.BackendKeyData{ProcessID: c.pid, SecretKey: c.secret})
	be.Send(&pgproto3.ReadyForQuery{TxStatus: 'I'})
	if err := be.Flush(); err != nil {
		s.unregister(c)
		return nil, err
	}
	return c, nil
}

// authenticate runs SCRAM-SHA-256 with the access key's secret as the
// password. Unknown keys run the exchange to its end with a random secret
// so that the answer does not tell which keys exist.
func (s *Server) authenticate(ctx context.Context, be *pgproto3.Backend, user string) (iam.Identity, error) {
	failed := func() (iam.Identity, error) {
		return iam.Identity{}, fatal(be, "28P01", fmt.Sprintf("password authentication failed for user %q", user))
	}
	secret, err := s.opts.Keys.Secret(ctx, user)
	known := err == nil
	if err != nil && !errors.Is(err, iam.ErrKeyNotFound) {
		s.log.Warn("pgwire key lookup failed", "user", user, "err", err)
	}
	if !known {
		secret = rand.Text()
	}
	salt := make([]byte, 16)
	_, _ = rand.Read(salt)
	srv, err := scram.SHA256.NewServer(func(string) (scram.StoredCredentials, error) {
		cl, err := scram.SHA256.NewClientUnprepped(user, secret, "")
		if err != nil {
			return scram.StoredCredentials{}, err
		}
		return cl.GetStoredCredentials(scram.KeyFactors{Salt: string(salt), Iters: scramIterations}), nil
	})
	if err != nil {
		return iam.Identity{}, err
	}
	conv := srv.NewConversation()
	be.Send(&pgproto3.AuthenticationSASL{AuthMechanisms: []string{"SCRAM-SHA-256"}})
	if err := be.Flush(); err != nil {
		return iam.Identity{}, err
	}
	be.SetAuthType(pgproto3.AuthTypeSASL)
	msg, err := be.Receive()
	if err != nil {
		return iam.Identity{}, fmt.Errorf("read sasl initial response: %w", err)
	}
	first, ok := msg.(*pgproto3.SASLInitialResponse)
	if !ok || first.AuthMechanism != "SCRAM-SHA-256" {
		return iam.Identity{}, fatal(be, "28000", "expected SASL mechanism SCRAM-SHA-256")
	}
	out, err := conv.Step(string(first.Data))
	if err != nil {
		return failed()
	}
	be.Send(&pgproto3.AuthenticationSASLContinue{Data: []byte(out)})
	if err := be.Flush(); err != nil {
		return iam.Identity{}, err
	}
	be.SetAuthType(pgproto3.AuthTypeSASLContinue)
	if msg, err = be.Receive(); err != nil {
		return iam.Identity{}, fmt.Errorf("read sasl response: %w", err)
	}
	final, ok := msg.(*pgproto3.SASLResponse)
	if !ok {
		return iam.Identity{}, fatal(be, "08P01", "expected a SASL response")
	}
	out, err = conv.Step(string(final.Data))
	if err != nil || !conv.Valid() || !known {
		return failed()
	}
	id, err := s.opts.Keys.Identity(ctx, user)
	if err != nil {
		return failed()
	}
	be.Send(&pgproto3.AuthenticationSASLFinal{Data: []byte(out)})
	return id, nil
}
