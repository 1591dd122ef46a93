// Package api serves auditlake over HTTP: the AWS-compatible CloudTrail API
// (AWS JSON 1.1), cloudtrail-data, health and metrics. Its subpackage apierr
// is the one place where internal errors become AWS error codes.
package api
