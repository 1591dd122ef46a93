// Package api is auditlake's AWS-compatible HTTP API: the CloudTrail API
// (AWS JSON 1.1, POST / with X-Amz-Target) and the CloudTrail Data API
// (REST-JSON, POST /PutAuditEvents), so that the aws CLI and the AWS SDKs
// work against auditlake when pointed at it with an endpoint URL.
//
// Every request is authenticated with Signature Version 4 (api/sigv4),
// decoded and validated against the embedded botocore models (api/model),
// authorized with the caller's identity policy (api/iam) on the resources
// it names, handled by a thin handler that calls the domain packages
// (lake, query/jobs, ingest), answered in the model's shapes, logged,
// counted in metrics and, when an Auditor is configured, recorded as a
// management event. Errors are mapped in one place, api/apierr.
//
// LookupEvents answers from the event history (query/history, over the
// hidden store every ingest path feeds; docs/lookup.md). StoreShape is the
// one store shape of both the API and the command line's eds commands.
package api
