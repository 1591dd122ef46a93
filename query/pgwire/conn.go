package pgwire

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/auditlake/auditlake/api/iam"
)

// conn is one client connection after startup. Its methods run on the
// connection's goroutine, except cancelRunning.
type conn struct {
	s      *Server
	nc     net.Conn
	be     *pgproto3.Backend
	id     iam.Identity
	db     string
	sess   *session
	pid    uint32
	secret []byte

	stmts   map[string]*prepared
	portals map[string]*portal
	cat     *catalogDB // built on the first catalog statement
	failed  bool       // an extended-protocol error: skip to Sync

	mu      sync.Mutex
	running context.CancelFunc // of the statement being executed
}

// prepared is a parsed statement.
type prepared struct {
	sql       string
	paramOIDs []uint32
}

// portal is a bound statement and, once executed, its open result.
type portal struct {
	sql     string
	formats []int16 // result format codes as Bind gave them
	res     *result
	ctx     context.Context
	cancel  context.CancelFunc
	rows    int64 // rows sent so far
}

func (p *portal) close() error {
	var err error
	if p.res != nil {
		err = p.res.close()
		p.res = nil
	}
	if p.cancel != nil {
		p.cancel()
	}
	return err
}

func newConn(s *Server, nc net.Conn, be *pgproto3.Backend, id iam.Identity, db string, params map[string]string) *conn {
	return &conn{
		s: s, nc: nc, be: be, id: id, db: db,
		sess:    newSession(s.opts.ServerVersion, id.AccessKeyID, db, params["application_name"]),
		stmts:   map[string]*prepared{},
		portals: map[string]*portal{},
	}
}

func (c *conn) cancelRunning() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.running != nil {
		c.running()
	}
}

func (c *conn) setRunning(cancel context.CancelFunc) {
	c.mu.Lock()
	c.running = cancel
	c.mu.Unlock()
}

func (c *conn) close() {
	for name, p := range c.portals {
		_ = p.close()
		delete(c.portals, name)
	}
	if c.cat != nil {
		_ = c.cat.close()
	}
}

// serve reads and answers messages until the client terminates or the
// connection fails.
func (c *conn) serve() {
	for {
		msg, err := c.be.Receive()
		if err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
				c.s.log.Debug("pgwire read failed", "pid", c.pid, "err", err)
			}
			return
		}
		if c.failed {
			if _, ok := msg.(*pgproto3.Sync); !ok {
				if _, ok := msg.(*pgproto3.Terminate); !ok {
					continue
				}
			}
		}
		if err := c.handle(msg); err != nil {
			if errors.Is(err, errTerminate) {
				return
			}
			c.sendError(err)
			if _, simple := msg.(*pgproto3.Query); simple {
				c.be.Send(&pgproto3.ReadyForQuery{TxStatus: c.txStatus()})
			} else {
				c.failed = true
			}
		}
		if err := c.be.Flush(); err != nil {
			return
		}
	}
}

var errTerminate = errors.New("terminate")

func (c *conn) txStatus() byte {
	if c.sess.inTx {
		return 'T'
	}
	return 'I'
}

func (c *conn) handle(msg pgproto3.FrontendMessage) error {
	switch m := msg.(type) {
	case *pgproto3.Query:
		return c.simpleQuery(m.String)
	case *pgproto3.Parse:
		return c.parse(m)
	case *pgproto3.Bind:
		return c.bind(m)
	case *pgproto3.Describe:
		return c.describe(m)
	case *pgproto3.Execute:
		return c.execute(m)
	case *pgproto3.Sync:
		c.failed = false
		if !c.sess.inTx {
			c.closePortals()
		}
		c.be.Send(&pgproto3.ReadyForQuery{TxStatus: c.txStatus()})
		return nil
	case *pgproto3.Close:
		if m.ObjectType == 'S' {
			delete(c.stmts, m.Name)
		} else if p := c.portals[m.Name]; p != nil {
			_ = p.close()
			delete(c.portals, m.Name)
		}
		c.be.Send(&pgproto3.CloseComplete{})
		return nil
	case *pgproto3.Flush:
		return nil
	case *pgproto3.Terminate:
		return errTerminate
	case *pgproto3.CopyData, *pgproto3.CopyDone, *pgproto3.CopyFail:
		return nil
	}
	return &pgError{code: "08P01", msg: fmt.Sprintf("unexpected message %T", msg)}
}

func (c *conn) closePortals() {
	for name, p := range c.portals {
		_ = p.close()
		delete(c.portals, name)
	}
}

// simpleQuery runs each statement of a Query message in turn and stops at
// the first error.
func (c *conn) simpleQuery(text string) error {
	stmts := splitStatements(text)
	if len(stmts) == 0 {
		c.be.Send(&pgproto3.EmptyQueryResponse{})
		c.be.Send(&pgproto3.ReadyForQuery{TxStatus: c.txStatus()})
		return nil
	}
	for _, st := range stmts {
		p := &portal{sql: st}
		err := c.run(p, 0, true)
		_ = p.close()
		if err != nil {
			return err
		}
	}
	c.be.Send(&pgproto3.ReadyForQuery{TxStatus: c.txStatus()})
	return nil
}

func (c *conn) parse(m *pgproto3.Parse) error {
	if m.Name != "" {
		if _, ok := c.stmts[m.Name]; ok {
			return &pgError{code: "42P05", msg: fmt.Sprintf("prepared statement %q already exists", m.Name)}
		}
	}
	if n := len(splitStatements(m.Query)); n > 1 {
		return &pgError{code: "42601", msg: "cannot insert multiple commands into a prepared statement"}
	}
	// Parameter types are not inferred: one the client leaves unspecified
	// is described as unspecified (0), not text, so that drivers encode
	// their values in their own text form (pgx cannot encode an integer or
	// a time as text); it is bound as a string literal, which the engine
	// casts where it is compared.
	oids := make([]uint32, max(maxParam(m.Query), len(m.ParameterOIDs)))
	copy(oids, m.ParameterOIDs)
	c.stmts[m.Name] = &prepared{sql: m.Query, paramOIDs: oids}
	c.be.Send(&pgproto3.ParseComplete{})
	return nil
}

func (c *conn) bind(m *pgproto3.Bind) error {
	st := c.stmts[m.PreparedStatement]
	if st == nil {
		return &pgError{code: "26000", msg: fmt.Sprintf("prepared statement %q does not exist", m.PreparedStatement)}
	}
	if len(m.Parameters) != len(st.paramOIDs) {
		return &pgError{code: "08P01", msg: fmt.Sprintf("bind message supplies %d parameters, but prepared statement %q requires %d", len(m.Parameters), m.PreparedStatement, len(st.paramOIDs))}
	}
	lits := make([]string, len(m.Parameters))
	for i, v := range m.Parameters {
		var format int16
		switch {
		case len(m.ParameterFormatCodes) == 1:
			format = m.ParameterFormatCodes[0]
		case i < len(m.ParameterFormatCodes):
			format = m.ParameterFormatCodes[i]
		}
		lit, err := paramLiteral(v, st.paramOIDs[i], format)
		if err != nil {
			return err
		}
		lits[i] = lit
	}
	if old := c.portals[m.DestinationPortal]; old != nil {
		if m.DestinationPortal != "" {
			return &pgError{code: "42P03", msg: fmt.Sprintf("portal %q already exists", m.DestinationPortal)}
		}
		_ = old.close()
	}
	c.portals[m.DestinationPortal] = &portal{sql: bindParams(st.sql, lits), formats: m.ResultFormatCodes}
	c.be.Send(&pgproto3.BindComplete{})
	return nil
}

func (c *conn) describe(m *pgproto3.Describe) error {
	if m.ObjectType == 'S' {
		st := c.stmts[m.Name]
		if st == nil {
			return &pgError{code: "26000", msg: fmt.Sprintf("prepared statement %q does not exist", m.Name)}
		}
		c.be.Send(&pgproto3.ParameterDescription{ParameterOIDs: st.paramOIDs})
		nulls := make([]string, len(st.paramOIDs))
		for i := range nulls {
			nulls[i] = "NULL"
		}
		cols, err := c.describeSQL(bindParams(st.sql, nulls))
		if err != nil {
			return err
		}
		c.sendRowDescription(cols, nil)
		return nil
	}
	p := c.portals[m.Name]
	if p == nil {
		return &pgError{code: "34000", msg: fmt.Sprintf("portal %q does not exist", m.Name)}
	}
	if err := c.open(p); err != nil {
		return err
	}
	c.sendRowDescription(p.res.cols, p.formats)
	return nil
}

func (c *conn) execute(m *pgproto3.Execute) error {
	p := c.portals[m.Portal]
	if p == nil {
		return &pgError{code: "34000", msg: fmt.Sprintf("portal %q does not exist", m.Portal)}
	}
	return c.run(p, int64(m.MaxRows), false)
}
