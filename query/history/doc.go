// Package history answers CloudTrail's LookupEvents over auditlake's event
// history: the hidden store (lake.HistoryStoreID) that every ingest path
// feeds with the management and Insights events it takes, kept 90 days.
//
// A Searcher reads the store's segments for the asked time range with
// DuckDB (one in-memory database, no user SQL, only bound values), filters
// by one lookup attribute, returns events newest first in pages of at most
// 50 with an opaque keyset token, drops repeated event IDs, and never
// returns an event older than 90 days by its injected clock. Write renders
// a result as the CloudTrail console's CSV or JSON download.
package history
