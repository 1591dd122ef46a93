// Package apierr maps auditlake's internal errors to the error codes and
// HTTP statuses of the CloudTrail API model. It is the only place that
// knows them: internal packages return sentinel and typed errors.
package apierr
