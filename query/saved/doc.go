// Package saved keeps saved queries and scheduled reports, and runs the
// reports.
//
// A saved query is a name, a description and a SQL statement. A report is
// a saved query on a schedule: a cron expression read in a time zone
// (github.com/robfig/cron/v3), a time window filled into the statement at
// each run ({{start}} and {{end}} become the window's bounds as SQL
// timestamp text), a destination in the lake's object storage where each
// run writes <destination>/<fire time>.csv, an optional webhook told of
// every run, and a catch-up policy for runs missed while the server was
// down.
//
// Every record lives in the lake's control-plane store, in the namespaces
// "saved-queries", "reports" and "report-runs". A run is claimed before it
// starts: one transaction moves the report's LastFire to the run's fire
// time and records the run RUNNING. A run is therefore never started
// twice, even across a crash: a run a previous process left RUNNING ends
// FAILED when the Scheduler is opened again, and its fire time is not run
// again. The CSV object is written only if it does not exist yet, which
// guards the destination against two servers sharing one lake by mistake.
//
// Saved queries and reports record the access keys that wrote them
// (CreatedBy, UpdatedBy). A run has their authority, never the server's:
// before its query is accepted, an Authorizer (passed in by the server;
// this package does not know about policies) must allow every one of them
// to read every store the statement reads, or the run ends FAILED and
// writes nothing. A run's CSV is signed by a Signer (the query manager's
// result signing key) and its sign file written beside it.
//
// The Scheduler's clock is injected (Options.Now) and RunDue does one
// scheduling step, so tests drive time by hand; docs/console.md describes
// the behaviour around daylight-saving changes and downtime.
package saved
