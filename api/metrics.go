package api

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the server's Prometheus metrics; nil-safe.
type metrics struct {
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	audit    *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer, ops []string) (*metrics, error) {
	if reg == nil {
		return nil, nil
	}
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "auditlake_api_requests_total",
			Help: "API calls by operation and error code (\"\" for success).",
		}, []string{"operation", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "auditlake_api_request_duration_seconds",
			Help:    "Time to answer an API call, by operation.",
			Buckets: prometheus.ExponentialBuckets(0.001, 4, 9),
		}, []string{"operation"}),
		audit: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "auditlake_api_audit_records_total",
			Help: "Self-audit records of API calls, by outcome (written, failed).",
		}, []string{"outcome"}),
	}
	for _, c := range []prometheus.Collector{m.requests, m.latency, m.audit} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	for _, op := range append(ops, "PutAuditEvents") {
		m.requests.WithLabelValues(op, "")
		m.latency.WithLabelValues(op)
	}
	m.audit.WithLabelValues("written")
	m.audit.WithLabelValues("failed")
	return m, nil
}

func (m *metrics) observe(op, code string, d time.Duration) {
	if m == nil {
		return
	}
	m.requests.WithLabelValues(op, code).Inc()
	m.latency.WithLabelValues(op).Observe(d.Seconds())
}

func (m *metrics) audited(outcome string, n int) {
	if m == nil {
		return
	}
	m.audit.WithLabelValues(outcome).Add(float64(n))
}
