package pgwire_test

import (
	"encoding/binary"
	"io"
	"net"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// tally counts protocol messages seen by a wireProxy, so that a test can
// tell what a driver and the server really exchanged.
type tally struct {
	mu          sync.Mutex
	namedParses int // Parse messages with a statement name
	limitedExec int // Execute messages of a named portal with a row limit
	suspended   int // PortalSuspended messages
	binaryBinds int // Bind messages asking for a binary result column
}

func (t *tally) snapshot() tally {
	t.mu.Lock()
	defer t.mu.Unlock()
	return tally{namedParses: t.namedParses, limitedExec: t.limitedExec, suspended: t.suspended, binaryBinds: t.binaryBinds}
}

// wireProxy forwards plain (non-TLS) connections from a loopback port to
// addr and tallies the messages; it returns the port it listens on.
func wireProxy(t *testing.T, addr string, tl *tally) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var wg sync.WaitGroup
	t.Cleanup(func() {
		_ = ln.Close()
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			cl, err := ln.Accept()
			if err != nil {
				return
			}
			srv, err := net.Dial("tcp", addr)
			if err != nil {
				_ = cl.Close()
				continue
			}
			wg.Add(2)
			go func() { defer wg.Done(); relay(srv, cl, true, tl); _ = srv.Close() }()
			go func() { defer wg.Done(); relay(cl, srv, false, tl); _ = cl.Close() }()
		}
	}()
	return ln.Addr().(*net.TCPAddr).Port
}

// relay copies messages from src to dst until src ends. fromClient
// streams start with untyped startup packets (a cancel request is one).
func relay(dst io.Writer, src io.Reader, fromClient bool, tl *tally) {
	untyped := fromClient
	for {
		var typ byte
		hdr := make([]byte, 4)
		if !untyped {
			var b [1]byte
			if _, err := io.ReadFull(src, b[:]); err != nil {
				return
			}
			typ = b[0]
		}
		if _, err := io.ReadFull(src, hdr); err != nil {
			return
		}
		n := int(binary.BigEndian.Uint32(hdr))
		if n < 4 || n > 64<<20 {
			return
		}
		body := make([]byte, n-4)
		if _, err := io.ReadFull(src, body); err != nil {
			return
		}
		if untyped {
			untyped = false // one startup packet, then typed messages
			if _, err := dst.Write(append(hdr, body...)); err != nil {
				return
			}
			continue
		}
		tl.count(typ, fromClient, body)
		if _, err := dst.Write(append(append([]byte{typ}, hdr...), body...)); err != nil {
			return
		}
	}
}

func (t *tally) count(typ byte, fromClient bool, body []byte) {
	t.mu.Lock()
	defer t.mu.Unlock()
	switch {
	case fromClient && typ == 'P' && len(body) > 0 && body[0] != 0:
		t.namedParses++
	case fromClient && typ == 'E':
		if i := indexZero(body); i > 0 && len(body) >= i+5 && binary.BigEndian.Uint32(body[i+1:]) > 0 {
			t.limitedExec++
		}
	case fromClient && typ == 'B':
		if bindAsksBinary(body) {
			t.binaryBinds++
		}
	case !fromClient && typ == 's':
		t.suspended++
	}
}

func indexZero(b []byte) int {
	for i, c := range b {
		if c == 0 {
			return i
		}
	}
	return -1
}

// bindAsksBinary reports whether a Bind message body asks for any result
// column in binary format.
func bindAsksBinary(b []byte) bool {
	for range 2 { // portal and statement names
		i := indexZero(b)
		if i < 0 {
			return false
		}
		b = b[i+1:]
	}
	u16 := func() (int, bool) {
		if len(b) < 2 {
			return 0, false
		}
		v := int(binary.BigEndian.Uint16(b))
		b = b[2:]
		return v, true
	}
	nf, ok := u16()
	if !ok || len(b) < 2*nf {
		return false
	}
	b = b[2*nf:]
	np, ok := u16()
	if !ok {
		return false
	}
	for range np {
		if len(b) < 4 {
			return false
		}
		l := int32(binary.BigEndian.Uint32(b))
		b = b[4:]
		if l > 0 {
			if len(b) < int(l) {
				return false
			}
			b = b[l:]
		}
	}
	nr, ok := u16()
	if !ok {
		return false
	}
	for range nr {
		if f, ok := u16(); ok && f == 1 {
			return true
		}
	}
	return false
}
