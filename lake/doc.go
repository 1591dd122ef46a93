// Package lake holds event data stores: their configuration, the Parquet
// schema of their events, their immutable time-partitioned segments, the
// versioned manifest that alone makes a segment visible, and the object
// storage they live in. The lake folder holds the control-plane database
// (auditlake.db, bbolt) and the ingest ledger (ledger/, Pebble), which
// records the inputs each store has taken.
//
// lake does not import DuckDB: it and ingest build and test without cgo.
// The on-disk formats are described in docs/format/.
package lake
