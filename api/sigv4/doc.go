// Package sigv4 verifies AWS Signature Version 4 on incoming requests, in
// the Authorization header form and the presigned query-string form. It
// recomputes the signature with aws-sdk-go-v2's signer over exactly the
// headers the client signed, checks the credential scope (date, region,
// service) and the ±15 minute clock window, and compares in constant time.
//
// Errors wrap one of the sentinels below; api/apierr turns them into the
// codes AWS answers with. Their messages are AWS's own wording.
package sigv4
