// Package ingest turns CloudTrail log files and other audit event sources
// into lake events: it decodes CloudTrail JSON (Records files, arrays, JSON
// Lines, single objects, plain or gzip), applies each store's advanced event
// selectors, and writes the chosen events durably into the lake.
package ingest
