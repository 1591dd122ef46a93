// Package console serves auditlake's SQL console: a single-page web
// application embedded in the binary (web/: plain HTML, CSS and ES
// modules, no build step), at /console/ of the HTTP port. The page talks
// to the same SigV4-signed APIs as the aws CLI: the CloudTrail JSON API on
// POST / and auditlake's JSON API on POST /api/*. It signs each request in
// the browser with the access key the user signs in with, which stays in
// the tab's sessionStorage and never reaches the server. Besides the files
// the package serves config.json (region and account) and schema.json
// (Schema: the event schema, from lake.Event). docs/console.md describes
// the screens and the choices.
package console
