package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/spf13/cobra"

	"github.com/auditlake/auditlake/api"
	"github.com/auditlake/auditlake/api/console"
	"github.com/auditlake/auditlake/api/iam"
	"github.com/auditlake/auditlake/ingest"
	"github.com/auditlake/auditlake/ingest/importjob"
	"github.com/auditlake/auditlake/lake"
	"github.com/auditlake/auditlake/query"
	"github.com/auditlake/auditlake/query/history"
	"github.com/auditlake/auditlake/query/jobs"
)

// serveFlags are the server's settings.
type serveFlags struct {
	httpAddr, pgAddr string
	pg               pgFlags
	accountID        string
	region           string
	shutdownTimeout  time.Duration
	queryTimeout     time.Duration
	noSelfAudit      bool
	keyFile          string
	walFlushAge      time.Duration
	maint            maintenanceFlags
}

func newServeCmd(g *globals) *cobra.Command {
	var f serveFlags
	cmd := &cobra.Command{
		Use:   "serve [--http-addr ADDR] [--account-id ID] [--region NAME]",
		Short: "Run the auditlake server: the AWS-compatible CloudTrail and CloudTrail Data APIs, health and metrics",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			l, err := lake.Open(cmd.Context(), g.lakeDir, lake.Options{
				Bucket: g.bucket, Region: f.region, AccountID: f.accountID, Logger: g.logger(),
				PendingDeletion: pendingDeletionFromEnv(),
			})
			if err != nil {
				return err
			}
			return errors.Join(serve(cmd.Context(), l, g, f, cmd.OutOrStdout()), l.Close())
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.httpAddr, "http-addr", "127.0.0.1:7480", "HTTP listen address of the API, /healthz and /metrics")
	fl.StringVar(&f.pgAddr, "pg-addr", "", "Postgres wire protocol listen address for psql and BI tools (see docs/pgwire.md)")
	f.pg.register(cmd)
	fl.StringVar(&f.accountID, "account-id", os.Getenv("AUDITLAKE_ACCOUNT_ID"), "the AWS account ID in ARNs (fixed at the lake's first open); env AUDITLAKE_ACCOUNT_ID")
	fl.StringVar(&f.region, "region", os.Getenv("AUDITLAKE_REGION"), "the AWS region clients sign for and ARNs name (fixed at the lake's first open); env AUDITLAKE_REGION")
	fl.DurationVar(&f.shutdownTimeout, "shutdown-timeout", 30*time.Second, "on SIGTERM/SIGINT, how long to wait for in-flight requests and running queries")
	fl.DurationVar(&f.queryTimeout, "query-timeout", jobs.DefaultTimeout, "the longest a query may run before it ends TIMED_OUT")
	fl.BoolVar(&f.noSelfAudit, "no-self-audit", false, "do not record API calls as management events")
	fl.DurationVar(&f.walFlushAge, "wal-flush-age", ingest.DefaultFlushAge, "how long accepted events (PutAuditEvents, self-audit) wait in the write-ahead log before they reach segments, queries and LookupEvents")
	fl.StringVar(&f.keyFile, "secrets-key-file", os.Getenv("AUDITLAKE_SECRETS_KEY_FILE"), "the file of the key that seals access-key secrets (default <lake>/secrets.key); env AUDITLAKE_SECRETS_KEY_FILE")
	f.maint.register(cmd, true)
	return cmd
}

// serve runs the server until ctx ends, then shuts down in order: stop
// taking requests and finish those in flight, stop the query manager, flush
// the self-audit records, close the sink (its log holds every accepted
// event until it is in segments).
func serve(ctx context.Context, l *lake.Lake, g *globals, f serveFlags, out io.Writer) (err error) {
	log := serverLogger(g)
	keys, err := iam.Open(l, iam.Options{KeyFile: f.keyFile})
	if err != nil {
		return err
	}
	rootNote, err := bootstrapRoot(ctx, keys)
	if err != nil {
		return err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	reg.MustRegister(newLakeCollector(l))

	sink, err := ingest.OpenSink(ctx, l, ingest.SinkOptions{Logger: log, FlushAge: f.walFlushAge})
	if err != nil {
		return err
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), f.shutdownTimeout)
		defer cancel()
		err = errors.Join(err, sink.Close(cctx))
	}()
	eng, err := query.NewEngine(l, query.Options{TempDir: filepath.Join(l.Dir(), "tmp")})
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, eng.Close()) }()
	mgr, err := jobs.New(l, eng, jobs.Options{Timeout: f.queryTimeout, Logger: log, Registerer: reg})
	if err != nil {
		return err
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), f.shutdownTimeout)
		defer cancel()
		err = errors.Join(err, mgr.Close(cctx))
	}()
	mt, err := startMaintainer(l, f.maint, mgr, sink, f.noSelfAudit, log, reg)
	if err != nil {
		return err
	}
	defer mt.Close()
	hist, err := history.New(l, history.Options{})
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, hist.Close()) }()
	savedQueries, reports, err := startReports(l, eng, mgr, keys, log)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, reports.Close()) }()
	if f.pgAddr != "" {
		pg, err := startPG(ctx, f, eng, l, keys, log, out)
		if err != nil {
			return err
		}
		defer func() { err = errors.Join(err, pg.Close()) }()
	}
	// Imports left running by a stopped server resume where they were.
	imports := importjob.New(l, importjob.Options{Logger: log})
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), f.shutdownTimeout)
		defer cancel()
		err = errors.Join(err, imports.Close(cctx))
	}()
	if err := imports.ResumeAll(ctx); err != nil {
		return err
	}
	opts := api.Options{
		Lake: l, Keys: keys, Queries: mgr, Channels: ingest.NewChannels(l, sink, ingest.ChannelOptions{Logger: log}),
		History: hist, Logger: log, Registerer: reg, Saved: savedQueries, Reports: reports, Imports: imports,
	}
	if !f.noSelfAudit {
		opts.Audit = api.SinkAudit{Lake: l, Sink: sink}
	}
	srv, err := api.New(opts)
	if err != nil {
		return err
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), f.shutdownTimeout)
		defer cancel()
		err = errors.Join(err, srv.Close(cctx))
	}()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		if _, err := l.ListStores(r.Context()); err != nil {
			http.Error(w, "unhealthy: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.Handle("/", srv.Handler())
	con := console.Handler(console.Config{Region: l.Region(), AccountID: l.AccountID()})
	mux.Handle("GET "+console.Prefix, con)
	mux.Handle("GET /{$}", con)
	return serveHTTP(ctx, mux, f.httpAddr, f.shutdownTimeout, func(addr string) {
		fmt.Fprintf(out, "auditlake serving lake %s on http://%s (account %s, region %s; API: POST /, console: /console/, health: /healthz, metrics: /metrics)\n",
			l.Dir(), addr, l.AccountID(), l.Region())
		fmt.Fprint(out, rootNote)
	})
}

// serverLogger is the server's structured log: JSON lines on standard
// error, at info level unless --verbose asks for debug.
func serverLogger(g *globals) *slog.Logger {
	level := slog.LevelInfo
	if g.verbose {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
}

// bootstrapRoot makes sure the administrator key exists: the one named by
// AUDITLAKE_ROOT_ACCESS_KEY_ID and AUDITLAKE_ROOT_SECRET_ACCESS_KEY, or a
// generated one, printed once, the first time the lake is served.
// The returned note, printed after the serving line, shows a generated
// key.
func bootstrapRoot(ctx context.Context, keys *iam.Keys) (string, error) {
	akid, secret := os.Getenv("AUDITLAKE_ROOT_ACCESS_KEY_ID"), os.Getenv("AUDITLAKE_ROOT_SECRET_ACCESS_KEY")
	if (akid == "") != (secret == "") {
		return "", fmt.Errorf("%w: set both AUDITLAKE_ROOT_ACCESS_KEY_ID and AUDITLAKE_ROOT_SECRET_ACCESS_KEY, or neither", lake.ErrInvalidParameter)
	}
	id, sec, created, err := keys.EnsureRoot(ctx, akid, secret)
	if err != nil || !created || akid != "" {
		return "", err
	}
	return fmt.Sprintf("created the administrator access key (shown only now; keep it safe):\n  aws_access_key_id     = %s\n  aws_secret_access_key = %s\n", id.AccessKeyID, sec), nil
}

// serveHTTP serves until ctx ends, then shuts down gracefully: it stops
// accepting and waits up to timeout for requests in flight.
func serveHTTP(ctx context.Context, h http.Handler, addr string, timeout time.Duration, ready func(string)) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	ready(ln.Addr().String())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// lakeCollector reports each store's size from its manifest at scrape time.
type lakeCollector struct {
	l                      *lake.Lake
	events, bytes, segs, v *prometheus.Desc
}

func newLakeCollector(l *lake.Lake) *lakeCollector {
	labels := []string{"store", "name"}
	return &lakeCollector{
		l:      l,
		events: prometheus.NewDesc("auditlake_lake_store_events", "Events in the store's committed segments.", labels, nil),
		bytes:  prometheus.NewDesc("auditlake_lake_store_bytes", "Bytes of the store's committed segments.", labels, nil),
		segs:   prometheus.NewDesc("auditlake_lake_store_segments", "Committed segments of the store.", labels, nil),
		v:      prometheus.NewDesc("auditlake_lake_store_manifest_version", "The store's manifest version.", labels, nil),
	}
}

func (c *lakeCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.events
	ch <- c.bytes
	ch <- c.segs
	ch <- c.v
}

func (c *lakeCollector) Collect(ch chan<- prometheus.Metric) {
	ctx := context.Background()
	stores, err := c.l.ListStores(ctx)
	if err != nil {
		return
	}
	for _, s := range stores {
		m, err := c.l.Manifest(ctx, s.ID)
		if err != nil {
			continue
		}
		ch <- prometheus.MustNewConstMetric(c.events, prometheus.GaugeValue, float64(m.Rows()), s.ID, s.Name)
		ch <- prometheus.MustNewConstMetric(c.bytes, prometheus.GaugeValue, float64(m.Bytes()), s.ID, s.Name)
		ch <- prometheus.MustNewConstMetric(c.segs, prometheus.GaugeValue, float64(len(m.Segments)), s.ID, s.Name)
		ch <- prometheus.MustNewConstMetric(c.v, prometheus.GaugeValue, float64(m.Version), s.ID, s.Name)
	}
}
