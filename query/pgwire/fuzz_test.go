package pgwire

import (
	"bytes"
	"testing"

	"github.com/jackc/pgx/v5/pgproto3"
)

// FuzzBackendReceive feeds arbitrary bytes to the message decoder the
// server uses, as a startup packet and then as messages of a session; it
// must return errors, never panic or allocate without bound.
func FuzzBackendReceive(f *testing.F) {
	f.Add([]byte{0, 0, 0, 8, 4, 210, 22, 47})                                // SSLRequest
	f.Add([]byte("\x00\x00\x00\x0fQSELECT 1;\x00\x00"))                      // Query after a bad startup
	f.Add([]byte("P\x00\x00\x00\x10\x00SELECT $1\x00\x00\x00B\x00\x00\x00")) // truncated Parse/Bind
	f.Fuzz(func(t *testing.T, data []byte) {
		be := pgproto3.NewBackend(bytes.NewReader(data), &bytes.Buffer{})
		be.SetMaxBodyLen(1 << 16)
		_, _ = be.ReceiveStartupMessage()
		for range 16 {
			if _, err := be.Receive(); err != nil {
				return
			}
		}
	})
}

// FuzzLexer checks that the statement helpers never panic and that lex
// keeps every byte.
func FuzzLexer(f *testing.F) {
	f.Add("SELECT 'a''b', \"x\"\"y\", $1, $$q$$ FROM pg_catalog.pg_class WHERE c.relname OPERATOR(pg_catalog.~) '^x$' COLLATE pg_catalog.default; -- c")
	f.Add("select 'prod'::regclass::oid, x::pg_catalog.regtype /* c /* d */ */")
	f.Fuzz(func(t *testing.T, s string) {
		var b bytes.Buffer
		for _, tk := range lex(s) {
			b.WriteString(tk.text)
		}
		if b.String() != s {
			t.Fatalf("lex lost bytes: %q -> %q", s, b.String())
		}
		_ = rewriteCatalog(s)
		_ = stripSchema(s)
		_ = splitStatements(s)
		_, _, _ = parseSet(s)
		_ = bindParams(s, []string{"1", "'a'"})
	})
}
