package ingest

import (
	"github.com/auditlake/auditlake/lake"
)

// historySel selects what the event history takes (lake.HistorySelectors):
// management and Insights events, whatever the selectors of the store they
// came in through.
var historySel = compileSelectors(lake.HistorySelectors())

// HistoryTakes reports whether the event history keeps ev: a management or
// Insights event. Every ingest path passes such events to the hidden
// lake.HistoryStoreID store as well as to the stores it writes, except
// those a store sharing its segments with the history takes in the same
// run (Writer.ShareHistory).
func HistoryTakes(ev *lake.Event) bool { return lake.InHistory(ev) }

// selectorFor compiles a store's selectors; the hidden event-history store
// takes its fixed selection.
func selectorFor(st lake.StoreInfo) (*Selector, error) {
	if st.ID == lake.HistoryStoreID {
		return historySel, nil
	}
	sels := st.AdvancedEventSelectors
	if len(sels) == 0 {
		sels = lake.DefaultSelectors()
	}
	return CompileSelectors(sels)
}
