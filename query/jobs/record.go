package jobs

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/auditlake/auditlake/lake"
)

// Control-plane namespaces written by this package.
const (
	nsQueries = "queries"     // query ID -> record
	nsIndex   = "query-index" // <store-id>/<inverted creation time>/<query-id> -> query ID
	nsKeys    = "query-keys"  // token secret and result signing keys
	keyPrefix = "results/"    // results/<query-id>/result_<n>.csv in the lake bucket
	logKeyID  = "query_id"    // slog key
)

// record is the durable state of one query, stored as JSON under its ID.
type record struct {
	ID        string    `json:"id"`
	Statement string    `json:"statement"`
	Status    Status    `json:"status"`
	Error     string    `json:"error,omitempty"`
	Stores    []string  `json:"stores"`
	Created   time.Time `json:"created"`
	Started   time.Time `json:"started,omitzero"`
	Ended     time.Time `json:"ended,omitzero"`

	EventsScanned int64    `json:"eventsScanned"`
	BytesScanned  int64    `json:"bytesScanned"`
	Rows          int64    `json:"rows"`    // result rows in Parts
	Columns       []string `json:"columns"` // nil until the query has run
	Parts         []part   `json:"parts"`   // result files, in order

	DeliveryURI      string         `json:"deliveryUri,omitempty"`
	Delivery         DeliveryStatus `json:"deliveryStatus,omitempty"`
	DeliveryLocation string         `json:"deliveryLocation,omitempty"`
}

// part is one result file: results/<query-id>/result_<n>.csv, n from 1, a
// standalone CSV with the header row first.
type part struct {
	Rows  int64 `json:"rows"`
	Bytes int64 `json:"bytes"`
}

func partKey(id string, n int) string { return fmt.Sprintf("%s%s/result_%d.csv", keyPrefix, id, n) }

// indexKey orders a store's queries newest first: keys sort ascending and
// the time part counts down.
func indexKey(store string, created time.Time, id string) string {
	return fmt.Sprintf("%s/%016x/%s", store, uint64(math.MaxInt64-created.UnixNano()), id)
}

// query renders r as the package's Query at time now.
func (r *record) query(now time.Time) Query {
	q := Query{
		ID: r.ID, Statement: r.Statement, Status: r.Status, ErrorMessage: r.Error,
		Stores: r.Stores, CreationTime: r.Created, StartTime: r.Started, EndTime: r.Ended,
		DeliveryURI: r.DeliveryURI, DeliveryStatus: r.Delivery, DeliveryLocation: r.DeliveryLocation,
		Stats: Stats{
			EventsMatched: r.Rows, EventsScanned: r.EventsScanned, BytesScanned: r.BytesScanned,
			TotalResultsCount: r.Rows,
		},
	}
	switch {
	case !r.Started.IsZero() && !r.Ended.IsZero():
		q.Stats.ExecutionTime = r.Ended.Sub(r.Started)
	case !r.Started.IsZero():
		q.Stats.ExecutionTime = max(now.Sub(r.Started), 0)
	}
	return q
}

// fillStats records the statistics of a running query that r does not
// hold yet.
func (r *record) fillStats(scanned, bytes int64) {
	if r.EventsScanned == 0 && r.BytesScanned == 0 {
		r.EventsScanned, r.BytesScanned = scanned, bytes
	}
}

// errStop aborts an update without error to the caller.
var errStop = errors.New("stop update")

// getRecord reads the record of id.
func getRecord(c lake.Control, id string) (*record, error) {
	var r record
	if err := c.Get(nsQueries, id, &r); err != nil {
		if errors.Is(err, lake.ErrNoRecord) {
			return nil, fmt.Errorf("%w: %s", ErrQueryNotFound, id)
		}
		return nil, err
	}
	return &r, nil
}

// putRecord writes r and, for a new record, its index entries.
func putRecord(c lake.Control, r *record, isNew bool) error {
	if err := c.Put(nsQueries, r.ID, r); err != nil {
		return err
	}
	if isNew {
		for _, s := range r.Stores {
			if err := c.Put(nsIndex, indexKey(s, r.Created, r.ID), r.ID); err != nil {
				return err
			}
		}
	}
	return nil
}

// update changes the record of id in one transaction. fn may return
// errStop to leave it unchanged; update then returns the unchanged record
// and nil.
func (m *Manager) update(id string, fn func(r *record) error) (*record, error) {
	var out *record
	err := m.l.ControlUpdate(func(c lake.Control) error {
		r, err := getRecord(c, id)
		if err != nil {
			return err
		}
		out = r
		if err := fn(r); err != nil {
			return err
		}
		return putRecord(c, r, false)
	})
	if errors.Is(err, errStop) {
		return out, nil
	}
	return out, err
}

// get reads the record of id.
func (m *Manager) get(id string) (*record, error) {
	var r *record
	err := m.l.ControlView(func(c lake.Control) error {
		var err error
		r, err = getRecord(c, id)
		return err
	})
	return r, err
}

// validID reports whether id has the model's UUID shape; other IDs cannot
// name a query, and are not looked up.
func validID(id string) bool {
	if len(id) != 36 {
		return false
	}
	return strings.Trim(id, "0123456789abcdef-") == ""
}

// truncate bounds an error message to the model's 1,000 characters.
func truncate(s string) string {
	if len(s) <= 1000 {
		return s
	}
	cut := 997
	for cut > 0 && s[cut]&0xC0 == 0x80 {
		cut--
	}
	return s[:cut] + "..."
}

func decodeRecord(data []byte) (*record, error) {
	var r record
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("%w: query record: %v", lake.ErrCorrupt, err)
	}
	return &r, nil
}
