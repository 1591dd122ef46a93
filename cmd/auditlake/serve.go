package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/spf13/cobra"

	"github.com/auditlake/auditlake/lake"
)

func newServeCmd(g *globals) *cobra.Command {
	var httpAddr, pgAddr string
	cmd := &cobra.Command{
		Use:   "serve [--http-addr ADDR] [--pg-addr ADDR]",
		Short: "Run the auditlake server: health and Prometheus metrics (the AWS API and Postgres port come next)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if pgAddr != "" {
				return fmt.Errorf("%w: --pg-addr: the Postgres wire port is not built yet", lake.ErrInvalidParameter)
			}
			return g.withLake(cmd.Context(), func(l *lake.Lake) error {
				return serveHTTP(cmd.Context(), l, httpAddr, func(addr string) {
					fmt.Fprintf(cmd.OutOrStdout(), "auditlake serving lake %s on http://%s (health: /healthz, metrics: /metrics)\n", l.Dir(), addr)
				})
			})
		},
	}
	cmd.Flags().StringVar(&httpAddr, "http-addr", "127.0.0.1:7480", "HTTP listen address")
	cmd.Flags().StringVar(&pgAddr, "pg-addr", "", "Postgres wire protocol listen address (not built yet)")
	return cmd
}

// serveHTTP serves until ctx ends, then shuts down gracefully.
func serveHTTP(ctx context.Context, l *lake.Lake, addr string, ready func(string)) error {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	reg.MustRegister(newLakeCollector(l))
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		if _, err := l.ListStores(r.Context()); err != nil {
			http.Error(w, "unhealthy: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	ready(ln.Addr().String())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
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
