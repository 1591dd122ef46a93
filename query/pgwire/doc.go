// Package pgwire serves the PostgreSQL v3 wire protocol so that psql, BI
// tools (Metabase, Grafana, DBeaver, Superset, Tableau) and drivers (pgx,
// JDBC, psycopg2) can query the lake as if it were PostgreSQL.
//
// Logins are access keys: the user is the access key ID and the password
// the secret access key, checked with SCRAM-SHA-256. Each statement goes
// one of two ways. Statements over event data stores run in the sandboxed
// query engine (package query), after the caller's policy is checked for
// cloudtrail:StartQuery on every store they read, and their rows stream
// to the client as they are produced. Statements over the catalog
// (pg_catalog, information_schema, version(), current_setting and the
// like) run in a small in-memory DuckDB per connection that holds a
// PostgreSQL-shaped catalog of the stores the caller may read, with real,
// stable type OIDs. Session statements (SET, SHOW, BEGIN, COMMIT) are
// answered by the connection itself. Nothing writes.
//
// See docs/pgwire.md for how to connect tools and what is not supported.
package pgwire
