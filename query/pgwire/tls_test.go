package pgwire_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/require"

	"github.com/auditlake/auditlake/query/pgwire"
)

// testCert is a self-signed CA and a server certificate it signed, for
// localhost and 127.0.0.1.
type testCert struct {
	server tls.Certificate
	caFile string // PEM of the CA, for sslrootcert
}

func newTestCert(t *testing.T) testCert {
	t.Helper()
	now := time.Now()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "auditlake test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	require.NoError(t, err)
	ca, err := x509.ParseCertificate(caDER)
	require.NoError(t, err)

	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "localhost"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	require.NoError(t, err)
	keyDER, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	server, err := tls.X509KeyPair(
		pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}))
	require.NoError(t, err)
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	require.NoError(t, os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o600))
	return testCert{server: server, caFile: caFile}
}

// tlsDSN is a libpq connection string with the given SSL settings.
func (e *env) tlsDSN(host, ssl string) string {
	return fmt.Sprintf("host=%s port=%d user=%s password=%s dbname=auditlake %s", host, e.port, rootKey, rootSecret, ssl)
}

func TestTLS(t *testing.T) {
	cert := newTestCert(t)
	tlsConfig := &tls.Config{Certificates: []tls.Certificate{cert.server}, MinVersion: tls.VersionTLS12}
	e := newEnv(t, pgwire.Options{TLS: tlsConfig}) // plain connections not allowed
	ctx := context.Background()

	pgxCount := func(t *testing.T, dsn string) (*pgx.Conn, int64) {
		t.Helper()
		conn, err := pgx.Connect(ctx, dsn)
		require.NoError(t, err)
		t.Cleanup(func() { conn.Close(ctx) })
		var n int64
		require.NoError(t, conn.QueryRow(ctx, "SELECT count(*) FROM prod").Scan(&n))
		return conn, n
	}

	t.Run("pgx require", func(t *testing.T) {
		conn, n := pgxCount(t, e.tlsDSN("127.0.0.1", "sslmode=require"))
		require.EqualValues(t, testEvents, n)
		tc, ok := conn.PgConn().Conn().(*tls.Conn)
		require.True(t, ok, "connection is %T, not TLS", conn.PgConn().Conn())
		require.True(t, tc.ConnectionState().HandshakeComplete)
	})
	t.Run("pgx verify-full", func(t *testing.T) {
		_, n := pgxCount(t, e.tlsDSN("localhost", "sslmode=verify-full sslrootcert="+cert.caFile))
		require.EqualValues(t, testEvents, n)
	})
	t.Run("pgx verify-full with another CA", func(t *testing.T) {
		other := newTestCert(t)
		_, err := pgx.Connect(ctx, e.tlsDSN("localhost", "sslmode=verify-full sslrootcert="+other.caFile))
		require.ErrorContains(t, err, "certificate signed by unknown authority")
	})
	t.Run("pgx plain refused", func(t *testing.T) {
		_, err := pgx.Connect(ctx, e.tlsDSN("127.0.0.1", "sslmode=disable"))
		var pe *pgconn.PgError
		require.True(t, errors.As(err, &pe), "error %v", err)
		require.Equal(t, "28000", pe.Code)
		require.Equal(t, "FATAL", pe.Severity)
		require.Contains(t, pe.Message, "SSL off")
	})
	t.Run("pgx cancel over TLS", func(t *testing.T) {
		// pgx sends the cancel request on a new plain connection, as libpq
		// does: it must work on a TLS-only port.
		conn, _ := pgxCount(t, e.tlsDSN("127.0.0.1", "sslmode=require"))
		done := make(chan error, 1)
		go func() {
			_, err := conn.Exec(ctx, "SELECT count(*) FROM prod a, prod b, prod c, prod d, prod e, prod f")
			done <- err
		}()
		var err error
	wait:
		for range 100 {
			select {
			case err = <-done:
				break wait
			case <-time.After(100 * time.Millisecond):
				require.NoError(t, conn.PgConn().CancelRequest(ctx))
			}
		}
		var pe *pgconn.PgError
		require.True(t, errors.As(err, &pe), "error %v", err)
		require.Equal(t, "57014", pe.Code)
		var n int64
		require.NoError(t, conn.QueryRow(ctx, "SELECT count(*) FROM prod").Scan(&n), "the connection survives a cancel")
		require.EqualValues(t, testEvents, n)
	})

	t.Run("pgx direct TLS", func(t *testing.T) {
		// PostgreSQL 17's sslnegotiation=direct: a TLS ClientHello first,
		// with ALPN "postgresql", no SSLRequest.
		conn, n := pgxCount(t, e.tlsDSN("localhost", "sslmode=verify-full sslnegotiation=direct sslrootcert="+cert.caFile))
		require.EqualValues(t, testEvents, n)
		tc, ok := conn.PgConn().Conn().(*tls.Conn)
		require.True(t, ok)
		require.Equal(t, "postgresql", tc.ConnectionState().NegotiatedProtocol)
	})
	t.Run("direct TLS without ALPN", func(t *testing.T) {
		tc, err := tls.Dial("tcp", e.addr, &tls.Config{InsecureSkipVerify: true}) //nolint:gosec // test of the server's refusal
		require.NoError(t, err)
		defer tc.Close()
		require.NoError(t, tc.SetDeadline(time.Now().Add(10*time.Second)))
		_, err = tc.Write([]byte{0, 0, 0, 8, 0, 3, 0, 0}) // a startup message with no parameters
		if err == nil {
			_, err = tc.Read(make([]byte, 1))
		}
		// Closed: EOF, or a reset when the close finds the startup
		// message unread. A timeout means the server kept it open.
		require.True(t, errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET),
			"the server must close a direct TLS connection without ALPN; got %v", err)
	})
	t.Run("psql require", func(t *testing.T) {
		out := psqlDSN(t, e.tlsDSN("127.0.0.1", "sslmode=require"), "-c", `\conninfo`, "-At", "-c", "SELECT count(*) FROM prod")
		require.Regexp(t, `SSL connection \(protocol: TLSv1\.[23]`, out)
		require.Contains(t, out, fmt.Sprintf("\n%d\n", testEvents))
	})
	t.Run("psql verify-full", func(t *testing.T) {
		out := psqlDSN(t, e.tlsDSN("localhost", "sslmode=verify-full sslrootcert="+cert.caFile), "-At", "-c", "SELECT count(*) FROM prod")
		require.Equal(t, fmt.Sprintf("%d\n", testEvents), out)
	})
	t.Run("psql verify-full, wrong host name", func(t *testing.T) {
		_, stderr, err := psqlRun(t, e.tlsDSN("wrong.example", "hostaddr=127.0.0.1 sslmode=verify-full sslrootcert="+cert.caFile), "-c", "SELECT 1")
		require.Error(t, err)
		require.Contains(t, stderr, `does not match host name "wrong.example"`)
	})
	t.Run("psql plain refused", func(t *testing.T) {
		_, stderr, err := psqlRun(t, e.tlsDSN("127.0.0.1", "sslmode=disable"), "-c", "SELECT 1")
		require.Error(t, err)
		require.Contains(t, stderr, "FATAL:  no pg_hba.conf entry")
		require.Contains(t, stderr, "SSL off")
	})

	t.Run("plain allowed", func(t *testing.T) {
		e := newEnv(t, pgwire.Options{TLS: tlsConfig, AllowPlain: true})
		conn, n := pgxCount(t, e.tlsDSN("127.0.0.1", "sslmode=disable"))
		require.EqualValues(t, testEvents, n)
		_, isTLS := conn.PgConn().Conn().(*tls.Conn)
		require.False(t, isTLS)
		conn, n = pgxCount(t, e.tlsDSN("127.0.0.1", "sslmode=require"))
		require.EqualValues(t, testEvents, n)
		_, isTLS = conn.PgConn().Conn().(*tls.Conn)
		require.True(t, isTLS)
		out := psqlDSN(t, e.tlsDSN("127.0.0.1", "sslmode=disable"), "-At", "-c", "SELECT count(*) FROM prod")
		require.Equal(t, fmt.Sprintf("%d\n", testEvents), out)
	})
	t.Run("no TLS configured", func(t *testing.T) {
		e := newEnv(t, pgwire.Options{AllowPlain: true})
		_, err := pgx.Connect(ctx, e.tlsDSN("127.0.0.1", "sslmode=require"))
		require.ErrorContains(t, err, "server refused TLS connection")
		_, n := pgxCount(t, e.tlsDSN("127.0.0.1", "sslmode=prefer"))
		require.EqualValues(t, testEvents, n)
		_, err = pgx.Connect(ctx, e.tlsDSN("127.0.0.1", "sslmode=require sslnegotiation=direct"))
		require.Error(t, err)
	})
}

// psqlRun runs psql on a connection string and returns its standard
// output and standard error.
func psqlRun(t *testing.T, dsn string, args ...string) (string, string, error) {
	t.Helper()
	cmd := exec.Command(needClient(t, "psql"), append([]string{"-X", "-v", "ON_ERROR_STOP=1", dsn}, args...)...)
	cmd.Env = append(os.Environ(), "PGCONNECT_TIMEOUT=10")
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return stdout.String(), stderr.String(), err
}

// psqlDSN runs psql and returns its standard output; it must succeed.
func psqlDSN(t *testing.T, dsn string, args ...string) string {
	t.Helper()
	out, stderr, err := psqlRun(t, dsn, args...)
	require.NoError(t, err, "psql: %s", stderr)
	return out
}
