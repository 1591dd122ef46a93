// Package jobs runs CloudTrail Lake style queries as asynchronous jobs: the
// domain behind StartQuery, DescribeQuery, GetQueryResults, ListQueries and
// CancelQuery.
//
// A Manager validates a statement and records the query QUEUED in the
// lake's control-plane store before Start returns; a pool of workers runs
// queued queries on the query.Engine and writes their rows as CSV files
// into the lake's bucket (results/<query-id>/result_<n>.csv) while they
// run; the last one is recorded with the query's end. The files most
// recently written or read are also kept in memory for GetQueryResults, and
// WaitEnd and WaitRows let a caller that polls wait for a query to end.
// Results and query history are kept for Options.ResultTTL, then
// swept. A query with a delivery URI also has its result files copied,
// gzip-compressed and with a signed result_sign.json, to an S3 bucket when
// it finishes.
//
// Statuses follow the API model: QUEUED, RUNNING, then exactly one of
// FINISHED, FAILED, CANCELLED or TIMED_OUT, which never changes. When a
// lake is opened after a crash or a shutdown, queries it left QUEUED run
// again, and queries it left RUNNING end FAILED, with a message saying so.
// docs/queries.md describes the lifecycle, storage layout and tokens.
package jobs
