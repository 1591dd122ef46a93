// Package bench generates realistic CloudTrail log files in the trail
// bucket layout and holds the benchmark harness that measures auditlake
// against DuckDB on the same data. See bench/README.md for the numbers.
package bench
