package retention

import (
	"context"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/auditlake/auditlake/lake"
)

// StoreCollector reports, at scrape time, the storage figures of each
// store that the lake's own collector does not: the eventTime range and
// the bytes awaiting deletion.
type StoreCollector struct {
	l                      *lake.Lake
	oldest, newest, retire *prometheus.Desc
}

var _ prometheus.Collector = (*StoreCollector)(nil)

// NewStoreCollector returns a collector of l's stores.
func NewStoreCollector(l *lake.Lake) *StoreCollector {
	labels := []string{"store", "name"}
	return &StoreCollector{
		l: l,
		oldest: prometheus.NewDesc("auditlake_lake_store_oldest_event_timestamp_seconds",
			"eventTime of the store's oldest event (0 when empty).", labels, nil),
		newest: prometheus.NewDesc("auditlake_lake_store_newest_event_timestamp_seconds",
			"eventTime of the store's newest event (0 when empty).", labels, nil),
		retire: prometheus.NewDesc("auditlake_lake_store_retired_bytes",
			"Bytes of the store's expired or merged segments whose files await deletion.", labels, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *StoreCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.oldest
	ch <- c.newest
	ch <- c.retire
}

// Collect implements prometheus.Collector.
func (c *StoreCollector) Collect(ch chan<- prometheus.Metric) {
	ctx := context.Background()
	stores, err := c.l.ListStores(ctx)
	if err != nil {
		return
	}
	for _, s := range stores {
		st, err := c.l.Stats(ctx, s.ID)
		if err != nil {
			continue
		}
		var oldest, newest float64
		if !st.Oldest.IsZero() {
			oldest, newest = float64(st.Oldest.UnixMilli())/1e3, float64(st.Newest.UnixMilli())/1e3
		}
		ch <- prometheus.MustNewConstMetric(c.oldest, prometheus.GaugeValue, oldest, s.ID, s.Name)
		ch <- prometheus.MustNewConstMetric(c.newest, prometheus.GaugeValue, newest, s.ID, s.Name)
		ch <- prometheus.MustNewConstMetric(c.retire, prometheus.GaugeValue, float64(st.RetiredBytes), s.ID, s.Name)
	}
}
