package sigv4

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// Defaults of Verifier.
const (
	DefaultSkew       = 15 * time.Minute
	algorithm         = "AWS4-HMAC-SHA256"
	amzDateLayout     = "20060102T150405Z"
	unsignedPayload   = "UNSIGNED-PAYLOAD"
	maxPresignExpires = 7 * 24 * 3600
	mismatchText      = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
)

// SecretFunc returns the secret access key of an access key ID, or an error
// wrapping ErrUnknownKey when there is no such (active) key.
type SecretFunc func(ctx context.Context, accessKeyID string) (secret string, err error)

// Verifier checks signatures for one service and region.
type Verifier struct {
	Service string           // the signing name: "cloudtrail", "cloudtrail-data"
	Region  string           // the only region a credential scope may name
	Secret  SecretFunc       // looks up keys
	Skew    time.Duration    // 0: DefaultSkew
	Now     func() time.Time // nil: time.Now
}

// Result is what a verified request carries.
type Result struct {
	AccessKeyID string
	SigningTime time.Time
	Presigned   bool
}

// Verify checks r, whose body has already been read into body. It returns
// the caller's access key ID, or an *Error wrapping a sentinel.
func (v *Verifier) Verify(ctx context.Context, r *http.Request, body []byte) (Result, error) {
	q := r.URL.Query()
	if auth := r.Header.Get("Authorization"); auth != "" {
		return v.verifyHeader(ctx, r, body, auth)
	}
	if q.Get("X-Amz-Signature") != "" || q.Get("X-Amz-Credential") != "" || q.Get("X-Amz-Algorithm") != "" {
		return v.verifyPresigned(ctx, r, body, q)
	}
	return Result{}, fail(ErrMissingAuth, "Missing Authentication Token")
}

// sig is the parsed parts of a signature.
type sig struct {
	akid, date, region, service string
	signed                      []string
	signature                   string
}

func parseCredential(c string) (sig, bool) {
	parts := strings.Split(c, "/")
	if len(parts) != 5 || parts[4] != "aws4_request" || parts[0] == "" {
		return sig{}, false
	}
	return sig{akid: parts[0], date: parts[1], region: parts[2], service: parts[3]}, true
}

func parseAuthorization(auth string) (sig, error) {
	rest, ok := strings.CutPrefix(auth, algorithm+" ")
	if !ok {
		alg, _, _ := strings.Cut(auth, " ")
		return sig{}, fail(ErrIncomplete, fmt.Sprintf("Unsupported authorization type: %s", alg))
	}
	fields := map[string]string{}
	for _, kv := range strings.Split(rest, ",") {
		k, val, _ := strings.Cut(strings.TrimSpace(kv), "=")
		fields[k] = val
	}
	var missing []string
	for _, k := range []string{"Credential", "Signature", "SignedHeaders"} {
		if fields[k] == "" {
			missing = append(missing, fmt.Sprintf("Authorization header requires '%s' parameter.", k))
		}
	}
	if len(missing) > 0 {
		return sig{}, fail(ErrIncomplete, strings.Join(missing, " ")+" Authorization="+auth)
	}
	s, ok := parseCredential(fields["Credential"])
	if !ok {
		return sig{}, fail(ErrIncomplete, fmt.Sprintf("Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '%s'", fields["Credential"]))
	}
	s.signed = strings.Split(fields["SignedHeaders"], ";")
	s.signature = fields["Signature"]
	return s, nil
}

func (v *Verifier) verifyHeader(ctx context.Context, r *http.Request, body []byte, auth string) (Result, error) {
	s, err := parseAuthorization(auth)
	if err != nil {
		return Result{}, err
	}
	rawDate := r.Header.Get("X-Amz-Date")
	if rawDate == "" {
		return Result{}, fail(ErrIncomplete, "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization="+auth)
	}
	t, err := v.checkScope(s, rawDate, true)
	if err != nil {
		return Result{}, err
	}
	secret, err := v.lookup(ctx, s.akid, r.Header.Get("X-Amz-Security-Token"))
	if err != nil {
		return Result{}, err
	}
	hash, err := payloadHash(r.Header.Get("X-Amz-Content-Sha256"), body)
	if err != nil {
		return Result{}, err
	}
	req := canonicalRequest(r, s.signed, nil, len(body))
	creds := aws.Credentials{AccessKeyID: s.akid, SecretAccessKey: secret, SessionToken: r.Header.Get("X-Amz-Security-Token")}
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hash, s.service, s.region, t); err != nil {
		return Result{}, fmt.Errorf("recompute signature: %w", err)
	}
	got, _ := parseAuthorization(req.Header.Get("Authorization"))
	if !equal(got.signature, s.signature) {
		return Result{}, fail(ErrMismatch, mismatchText)
	}
	return Result{AccessKeyID: s.akid, SigningTime: t}, nil
}

func (v *Verifier) verifyPresigned(ctx context.Context, r *http.Request, body []byte, q url.Values) (Result, error) {
	var missing []string
	for _, k := range []string{"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature", "X-Amz-SignedHeaders", "X-Amz-Date"} {
		if q.Get(k) == "" {
			missing = append(missing, fmt.Sprintf("AWS query-string parameters must include '%s'.", k))
		}
	}
	if len(missing) > 0 {
		return Result{}, fail(ErrIncomplete, strings.Join(missing, " ")+" Re-examine the query-string parameters.")
	}
	if q.Get("X-Amz-Algorithm") != algorithm {
		return Result{}, fail(ErrIncomplete, "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"")
	}
	s, ok := parseCredential(q.Get("X-Amz-Credential"))
	if !ok {
		return Result{}, fail(ErrIncomplete, fmt.Sprintf("Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '%s'", q.Get("X-Amz-Credential")))
	}
	s.signed = strings.Split(q.Get("X-Amz-SignedHeaders"), ";")
	s.signature = q.Get("X-Amz-Signature")
	// A presigned URL without X-Amz-Expires gets the clock window of a
	// header signature, so that no URL is good forever.
	exp := q.Get("X-Amz-Expires")
	t, err := v.checkScope(s, q.Get("X-Amz-Date"), exp == "")
	if err != nil {
		return Result{}, err
	}
	if skew := v.skew(); t.After(v.now().Add(skew)) {
		return Result{}, fail(ErrMismatch, fmt.Sprintf("Signature not yet current: %s is still later than %s", t.Format(amzDateLayout), v.now().UTC().Add(skew).Format(amzDateLayout)))
	}
	if exp != "" {
		n, err := strconv.Atoi(exp)
		if err != nil || n < 1 || n > maxPresignExpires {
			return Result{}, fail(ErrIncomplete, "X-Amz-Expires must be a number of seconds from 1 to 604800")
		}
		if v.now().After(t.Add(time.Duration(n) * time.Second)) {
			return Result{}, fail(ErrMismatch, "Signature expired: "+t.Format(amzDateLayout)+" is now earlier than "+v.now().UTC().Format(amzDateLayout))
		}
	}
	token := q.Get("X-Amz-Security-Token")
	secret, err := v.lookup(ctx, s.akid, token)
	if err != nil {
		return Result{}, err
	}
	rest := url.Values{}
	for k, vals := range q {
		if k != "X-Amz-Signature" {
			rest[k] = vals
		}
	}
	creds := aws.Credentials{AccessKeyID: s.akid, SecretAccessKey: secret, SessionToken: token}
	hashes := []string{unsignedPayload}
	if h := r.Header.Get("X-Amz-Content-Sha256"); h != "" {
		hashes = []string{h}
	} else {
		sum := sha256.Sum256(body)
		hashes = append([]string{hex.EncodeToString(sum[:])}, hashes...)
	}
	for _, h := range hashes {
		req := canonicalRequest(r, s.signed, rest, len(body))
		signed, _, err := v4.NewSigner().PresignHTTP(ctx, creds, req, h, s.service, s.region, t, func(o *v4.SignerOptions) { o.DisableHeaderHoisting = true })
		if err != nil {
			return Result{}, fmt.Errorf("recompute presigned signature: %w", err)
		}
		u, err := url.Parse(signed)
		if err == nil && equal(u.Query().Get("X-Amz-Signature"), s.signature) {
			return Result{AccessKeyID: s.akid, SigningTime: t, Presigned: true}, nil
		}
	}
	return Result{}, fail(ErrMismatch, mismatchText)
}

// checkScope checks the credential scope against the request date, the
// region and the service, and (for header signatures) the clock window.
func (v *Verifier) checkScope(s sig, rawDate string, window bool) (time.Time, error) {
	t, err := time.Parse(amzDateLayout, rawDate)
	if err != nil {
		return time.Time{}, fail(ErrIncomplete, fmt.Sprintf("Date must be in ISO-8601 'basic format'. Got '%s'. See http://en.wikipedia.org/wiki/ISO_8601", rawDate))
	}
	if s.date != t.Format("20060102") {
		return time.Time{}, fail(ErrMismatch, fmt.Sprintf("Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '%s' != '%s', from '%s'.", s.date, t.Format("20060102"), rawDate))
	}
	if s.service != v.Service {
		return time.Time{}, fail(ErrMismatch, fmt.Sprintf("Credential should be scoped to correct service: '%s'. ", v.Service))
	}
	if s.region != v.Region {
		return time.Time{}, fail(ErrMismatch, fmt.Sprintf("Credential should be scoped to a valid region, not '%s'. ", s.region))
	}
	if !window {
		return t, nil
	}
	now := v.now().UTC()
	skew := v.skew()
	mins := int(skew / time.Minute)
	switch {
	case t.Before(now.Add(-skew)):
		return time.Time{}, fail(ErrMismatch, fmt.Sprintf("Signature expired: %s is now earlier than %s (%s - %d min.)",
			rawDate, now.Add(-skew).Format(amzDateLayout), now.Format(amzDateLayout), mins))
	case t.After(now.Add(skew)):
		return time.Time{}, fail(ErrMismatch, fmt.Sprintf("Signature not yet current: %s is still later than %s (%s + %d min.)",
			rawDate, now.Add(skew).Format(amzDateLayout), now.Format(amzDateLayout), mins))
	}
	return t, nil
}

func (v *Verifier) lookup(ctx context.Context, akid, token string) (string, error) {
	if token != "" {
		return "", fail(ErrUnknownKey, "The security token included in the request is invalid.")
	}
	secret, err := v.Secret(ctx, akid)
	if errors.Is(err, ErrUnknownKey) {
		return "", fail(ErrUnknownKey, "The security token included in the request is invalid.")
	}
	return secret, err
}

func (v *Verifier) skew() time.Duration {
	if v.Skew == 0 {
		return DefaultSkew
	}
	return v.Skew
}

func (v *Verifier) now() time.Time {
	if v.Now == nil {
		return time.Now()
	}
	return v.Now()
}

// payloadHash is the hash the client signed: the X-Amz-Content-Sha256
// header when it sent one (checked against the body), else the body's.
func payloadHash(claimed string, body []byte) (string, error) {
	sum := sha256.Sum256(body)
	actual := hex.EncodeToString(sum[:])
	switch claimed {
	case "":
		return actual, nil
	case unsignedPayload:
		return claimed, nil
	case actual:
		return actual, nil
	}
	return "", fail(ErrMismatch, "The provided 'x-amz-content-sha256' header does not match what was computed.")
}

// canonicalRequest copies r with only the headers the client signed, so
// that the SDK signer signs the same set.
func canonicalRequest(r *http.Request, signed []string, query url.Values, bodyLen int) *http.Request {
	u := *r.URL
	if query != nil {
		u.RawQuery = query.Encode()
	}
	req := &http.Request{Method: r.Method, URL: &u, Host: r.Host, Header: http.Header{}}
	for _, h := range signed {
		switch h = strings.ToLower(h); h {
		case "host":
		case "content-length":
			req.ContentLength = int64(bodyLen)
		default:
			if vals := r.Header.Values(h); len(vals) > 0 {
				req.Header[http.CanonicalHeaderKey(h)] = vals
			}
		}
	}
	if req.Host == "" {
		req.Host = r.URL.Host
	}
	return req
}

func equal(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }
