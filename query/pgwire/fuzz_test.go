package pgwire

import (
	"bytes"
	"regexp"
	"testing"

	"github.com/jackc/pgx/v5/pgproto3"
)

// frontendStream encodes messages as a client sends them.
func frontendStream(tb testing.TB, msgs ...pgproto3.FrontendMessage) []byte {
	tb.Helper()
	var out []byte
	for _, m := range msgs {
		var err error
		if out, err = m.Encode(out); err != nil {
			tb.Fatal(err)
		}
	}
	return out
}

// bindOIDs are the parameter types paramLiteral is tried with.
var bindOIDs = []uint32{0, oidBool, oidInt2, oidInt4, oidInt8, oidOID, oidFloat4, oidFloat8, oidNumeric, oidText,
	oidVarchar, oidJSON, oidDate, oidTimestamp, oidTimestamptz, oidUUID}

// FuzzBackendReceive feeds arbitrary bytes to the server's message decoder
// in the order a session reads them: startup packets (SSL, GSS and cancel
// requests, the startup message), the two SASL messages of SCRAM, then
// messages of the simple and extended protocols. Decoded Parse and Bind
// messages go through the server's own statement and parameter code. It
// must return errors, never panic or allocate without bound, and a bound
// parameter must never become more than one SQL literal.
func FuzzBackendReceive(f *testing.F) {
	f.Add([]byte{0, 0, 0, 8, 4, 210, 22, 47})                                // SSLRequest
	f.Add([]byte("\x00\x00\x00\x0fQSELECT 1;\x00\x00"))                      // Query after a bad startup
	f.Add([]byte("P\x00\x00\x00\x10\x00SELECT $1\x00\x00\x00B\x00\x00\x00")) // truncated Parse/Bind
	f.Add(frontendStream(f, &pgproto3.CancelRequest{ProcessID: 7, SecretKey: []byte{1, 2, 3, 4}}))
	f.Add(frontendStream(f, &pgproto3.GSSEncRequest{}, &pgproto3.SSLRequest{},
		&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersion30, Parameters: map[string]string{"user": "AKIA", "database": "d", "application_name": "x"}}))
	session := frontendStream(f,
		&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersion30, Parameters: map[string]string{"user": "AKIA"}},
		&pgproto3.SASLInitialResponse{AuthMechanism: "SCRAM-SHA-256", Data: []byte("n,,n=,r=abcdef")},
		&pgproto3.SASLResponse{Data: []byte("c=biws,r=abcdefXYZ,p=cHJvb2Y=")},
		&pgproto3.Parse{Name: "s1", Query: "SELECT count(*) FROM prod WHERE eventName = $1 AND eventTime < $2 LIMIT $3", ParameterOIDs: []uint32{oidText, 0, oidInt8}},
		&pgproto3.Describe{ObjectType: 'S', Name: "s1"},
		&pgproto3.Bind{DestinationPortal: "p1", PreparedStatement: "s1", ParameterFormatCodes: []int16{0, 0, 1},
			Parameters: [][]byte{[]byte("Get'Object"), []byte("2024-01-01 00:10:00Z"), {0, 0, 0, 0, 0, 0, 0, 5}}, ResultFormatCodes: []int16{1}},
		&pgproto3.Describe{ObjectType: 'P', Name: "p1"},
		&pgproto3.Execute{Portal: "p1", MaxRows: 7},
		&pgproto3.Flush{},
		&pgproto3.Close{ObjectType: 'P', Name: "p1"},
		&pgproto3.Close{ObjectType: 'S', Name: "s1"},
		&pgproto3.Sync{},
		&pgproto3.Query{String: "COPY (SELECT 1) TO STDOUT WITH (FORMAT csv, HEADER)"},
		&pgproto3.CopyFail{Message: "x"},
		&pgproto3.Terminate{},
	)
	f.Add(session)
	f.Fuzz(func(t *testing.T, data []byte) {
		be := pgproto3.NewBackend(bytes.NewReader(data), &bytes.Buffer{})
		be.SetMaxBodyLen(1 << 16)
		for range 4 { // SSL and GSS requests come before the startup message
			msg, err := be.ReceiveStartupMessage()
			if err != nil {
				break
			}
			if _, ok := msg.(*pgproto3.StartupMessage); ok {
				break
			}
			if _, ok := msg.(*pgproto3.CancelRequest); ok {
				return
			}
		}
		for _, auth := range []uint32{pgproto3.AuthTypeSASL, pgproto3.AuthTypeSASLContinue} {
			if err := be.SetAuthType(auth); err != nil {
				t.Fatal(err)
			}
			if _, err := be.Receive(); err != nil {
				return
			}
		}
		for range 32 {
			msg, err := be.Receive()
			if err != nil {
				return
			}
			switch m := msg.(type) {
			case *pgproto3.Parse:
				_ = splitStatements(m.Query)
				_ = maxParam(m.Query)
			case *pgproto3.Bind:
				checkBind(t, m)
			case *pgproto3.Query:
				_ = splitStatements(m.String)
				_ = keyword(m.String)
			}
		}
	})
}

// safeLiteral matches what paramLiteral may return: NULL, a boolean, a
// number, a typed or plain string literal.
var safeLiteral = regexp.MustCompile(`^(?:NULL|TRUE|FALSE|"NaN"|"-?Infinity"|[+-]?[0-9A-Za-z.]+(?:[eE][+-]?[0-9]+)?|(?:(?:TIMESTAMP|DATE) )?'(?:[^']|'')*')$`)

// checkBind binds a Bind message's parameters with each type and format
// the message gives, as the server does, and checks each literal.
func checkBind(t *testing.T, m *pgproto3.Bind) {
	for i, v := range m.Parameters {
		var format int16
		switch {
		case len(m.ParameterFormatCodes) == 1:
			format = m.ParameterFormatCodes[0]
		case i < len(m.ParameterFormatCodes):
			format = m.ParameterFormatCodes[i]
		}
		for _, oid := range bindOIDs {
			lit, err := paramLiteral(v, oid, format)
			if err != nil {
				continue
			}
			if !safeLiteral.MatchString(lit) {
				t.Fatalf("parameter %q (OID %d, format %d) bound as %q, not one literal", v, oid, format, lit)
			}
			stmt := bindParams("SELECT $1 WHERE x = 1", []string{lit})
			if got := len(splitStatements(stmt)); got != 1 {
				t.Fatalf("parameter %q bound as %q splits %q into %d statements", v, lit, stmt, got)
			}
		}
	}
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
