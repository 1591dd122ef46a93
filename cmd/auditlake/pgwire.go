package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"log/slog"
	"net"

	"github.com/spf13/cobra"

	"github.com/auditlake/auditlake/api/iam"
	"github.com/auditlake/auditlake/lake"
	"github.com/auditlake/auditlake/query"
	"github.com/auditlake/auditlake/query/pgwire"
)

// pgFlags are the settings of the Postgres wire port.
type pgFlags struct {
	certFile, keyFile string
	allowPlain        bool
	maxConns          int
}

func (f *pgFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.certFile, "pg-tls-cert", "", "PEM certificate of the Postgres port (TLS)")
	fl.StringVar(&f.keyFile, "pg-tls-key", "", "PEM private key of the Postgres port (TLS)")
	fl.BoolVar(&f.allowPlain, "pg-allow-plain", false, "allow Postgres clients that do not use TLS (passwords are still SCRAM-SHA-256)")
	fl.IntVar(&f.maxConns, "pg-max-conns", pgwire.DefaultMaxConns, "most concurrent Postgres connections")
}

// startPG opens the Postgres wire port and serves it until ctx ends or
// the returned server is closed.
func startPG(ctx context.Context, f serveFlags, eng *query.Engine, l *lake.Lake, keys *iam.Keys, log *slog.Logger, out io.Writer) (*pgwire.Server, error) {
	opts := pgwire.Options{
		Engine: eng, Stores: l, Keys: keys, AllowPlain: f.pg.allowPlain, MaxConns: f.pg.maxConns,
		QueryTimeout: f.queryTimeout, Logger: log,
	}
	if (f.pg.certFile == "") != (f.pg.keyFile == "") {
		return nil, fmt.Errorf("%w: give both --pg-tls-cert and --pg-tls-key", lake.ErrInvalidParameter)
	}
	if f.pg.certFile != "" {
		cert, err := tls.LoadX509KeyPair(f.pg.certFile, f.pg.keyFile)
		if err != nil {
			return nil, fmt.Errorf("%w: --pg-tls-cert/--pg-tls-key: %v", lake.ErrInvalidParameter, err)
		}
		opts.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	srv, err := pgwire.New(opts)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", f.pgAddr)
	if err != nil {
		return nil, err
	}
	go func() {
		if err := srv.Serve(ctx, ln); err != nil {
			log.Error("postgres port stopped", "err", err)
		}
	}()
	fmt.Fprintf(out, "auditlake serving the Postgres wire protocol on %s (user = access key ID, password = secret access key)\n", ln.Addr())
	return srv, nil
}
