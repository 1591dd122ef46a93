// Package jsonstr appends Go strings as JSON strings, byte for byte as
// encoding/json writes them, without allocating: the hot paths that write
// JSON by hand (the API's result pages, the Postgres port's json values, the
// query engine's JSON output) share it instead of each escaping on its own.
package jsonstr
