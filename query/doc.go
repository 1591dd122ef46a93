// Package query runs SQL over event data stores: it finds the stores a
// statement names (by ID or by name), refuses anything but a read-only
// SELECT, prunes segments by eventTime through the manifest, and runs the
// statement in a sandboxed DuckDB that can read nothing but those segments.
// Results are written as CSV (in CloudTrail Lake's value format), JSON or an
// aligned table.
package query
