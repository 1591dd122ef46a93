// Package iam keeps auditlake's access keys and evaluates their IAM-style
// identity policies.
//
// Keys live in the lake's control plane (namespace "keys"). SigV4 needs the
// secret itself to recompute a signature, so a secret cannot be stored as a
// one-way hash; instead each secret is sealed with AES-256-GCM under a key
// kept in a separate file (secrets.key next to the database, mode 0600, or
// a path the operator chooses). A copy of the database alone cannot sign
// requests; a copy of both files can.
//
// A policy is a JSON document with Statement[] entries of Effect (Allow or
// Deny), Action or NotAction (such as "cloudtrail:StartQuery", wildcards *
// and ? allowed, matched without regard to case) and Resource or
// NotResource (ARNs, wildcards allowed). An explicit Deny wins over any
// Allow; without an Allow the answer is deny. Conditions are refused rather
// than ignored, so that a policy never grants more than it says.
package iam
