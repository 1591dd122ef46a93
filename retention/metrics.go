package retention

import "github.com/prometheus/client_golang/prometheus"

// Maintenance tasks, the values of the "task" label.
const (
	TaskRetention  = "retention"
	TaskCompaction = "compaction"
	TaskPurge      = "purge"
	TaskCollect    = "collect" // deleting the files of retired segments
	TaskResults    = "results" // removing expired query results
)

var tasks = []string{TaskRetention, TaskCompaction, TaskPurge, TaskCollect, TaskResults}

type metrics struct {
	runs, failures  *prometheus.CounterVec
	lastSuccess     *prometheus.GaugeVec
	segmentsExpired prometheus.Counter
	eventsExpired   prometheus.Counter
	segmentsMerged  prometheus.Counter
	segmentsWritten prometheus.Counter
	bytesReclaimed  prometheus.Counter
	storesPurged    prometheus.Counter
	resultsSwept    prometheus.Counter
	passDuration    prometheus.Histogram
}

// newMetrics registers the maintenance metrics on reg; nil reg: unregistered.
func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "auditlake_maintenance_runs_total",
			Help: "Maintenance task runs, by task."}, []string{"task"}),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "auditlake_maintenance_failures_total",
			Help: "Maintenance task failures (one per store or merge that failed), by task."}, []string{"task"}),
		lastSuccess: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "auditlake_maintenance_last_success_timestamp_seconds",
			Help: "When each maintenance task last ran without a failure."}, []string{"task"}),
		segmentsExpired: prometheus.NewCounter(prometheus.CounterOpts{Name: "auditlake_retention_segments_expired_total",
			Help: "Segments removed from manifests because all their events outlived the store's retention period."}),
		eventsExpired: prometheus.NewCounter(prometheus.CounterOpts{Name: "auditlake_retention_events_expired_total",
			Help: "Events removed by retention."}),
		segmentsMerged: prometheus.NewCounter(prometheus.CounterOpts{Name: "auditlake_compaction_segments_merged_total",
			Help: "Small segments replaced by merged segments."}),
		segmentsWritten: prometheus.NewCounter(prometheus.CounterOpts{Name: "auditlake_compaction_segments_written_total",
			Help: "Merged segments written by compaction."}),
		bytesReclaimed: prometheus.NewCounter(prometheus.CounterOpts{Name: "auditlake_maintenance_bytes_reclaimed_total",
			Help: "Bytes of segment files deleted after retention, compaction or a purge."}),
		storesPurged: prometheus.NewCounter(prometheus.CounterOpts{Name: "auditlake_purge_stores_total",
			Help: "Event data stores removed after their pending-deletion window."}),
		resultsSwept: prometheus.NewCounter(prometheus.CounterOpts{Name: "auditlake_maintenance_query_results_removed_total",
			Help: "Expired query results removed."}),
		passDuration: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "auditlake_maintenance_pass_duration_seconds",
			Help: "Duration of whole maintenance passes.", Buckets: prometheus.ExponentialBuckets(0.01, 4, 10)}),
	}
	for _, t := range tasks {
		m.runs.WithLabelValues(t)
		m.failures.WithLabelValues(t)
		m.lastSuccess.WithLabelValues(t)
	}
	if reg != nil {
		reg.MustRegister(m.runs, m.failures, m.lastSuccess, m.segmentsExpired, m.eventsExpired, m.segmentsMerged,
			m.segmentsWritten, m.bytesReclaimed, m.storesPurged, m.resultsSwept, m.passDuration)
	}
	return m
}
