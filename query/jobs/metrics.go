package jobs

import "github.com/prometheus/client_golang/prometheus"

// metrics are the manager's Prometheus metrics; a nil *metrics records
// nothing.
type metrics struct {
	endedTotal *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer, m *Manager) (*metrics, error) {
	if reg == nil {
		return nil, nil
	}
	active := func(running bool) func() float64 {
		return func() float64 {
			m.mu.Lock()
			defer m.mu.Unlock()
			n := 0
			for _, j := range m.active {
				if j.running == running {
					n++
				}
			}
			return float64(n)
		}
	}
	mt := &metrics{endedTotal: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "auditlake_query_jobs_ended_total",
		Help: "Queries that ended, by final status.",
	}, []string{"status"})}
	for _, s := range []Status{StatusFinished, StatusFailed, StatusCancelled, StatusTimedOut} {
		mt.endedTotal.WithLabelValues(string(s))
	}
	cs := []prometheus.Collector{
		mt.endedTotal,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "auditlake_query_jobs_queued", Help: "Queries waiting for a worker.",
		}, active(false)),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "auditlake_query_jobs_running", Help: "Queries running.",
		}, active(true)),
	}
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return mt, nil
}

func (mt *metrics) ended(s Status) {
	if mt != nil {
		mt.endedTotal.WithLabelValues(string(s)).Inc()
	}
}
