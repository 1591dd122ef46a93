package sigv4_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/stretchr/testify/require"

	"github.com/auditlake/auditlake/api/sigv4"
)

// The credentials and clock of AWS's Signature Version 4 test suite
// (aws-sig-v4-test-suite: get-vanilla and its siblings).
const (
	suiteKey    = "AKIDEXAMPLE"
	suiteSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
	suiteScope  = "AKIDEXAMPLE/20150830/us-east-1/service/aws4_request"
)

var suiteTime = time.Date(2015, 8, 30, 12, 36, 0, 0, time.UTC)

func secrets(keys map[string]string) sigv4.SecretFunc {
	return func(_ context.Context, akid string) (string, error) {
		if s, ok := keys[akid]; ok {
			return s, nil
		}
		return "", fmt.Errorf("%w: %s", sigv4.ErrUnknownKey, akid)
	}
}

func verifier(service string, now time.Time) *sigv4.Verifier {
	return &sigv4.Verifier{Service: service, Region: "us-east-1", Secret: secrets(map[string]string{suiteKey: suiteSecret}),
		Now: func() time.Time { return now }}
}

// TestSuiteVectors verifies requests signed as AWS's published test suite
// says, and refuses each one with its signature changed.
func TestSuiteVectors(t *testing.T) {
	for _, c := range []struct {
		name, method, target string
		headers              [][2]string
		signed, signature    string
	}{
		{"get-vanilla", "GET", "/", nil, "host;x-amz-date",
			"5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
		{"get-vanilla-query-order-key-case", "GET", "/?Param2=value2&Param1=value1", nil, "host;x-amz-date",
			"b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"},
		{"get-header-key-duplicate", "GET", "/", [][2]string{{"My-Header1", "value2"}, {"My-Header1", "value2"}, {"My-Header1", "value1"}},
			"host;my-header1;x-amz-date", "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea"},
	} {
		t.Run(c.name, func(t *testing.T) {
			req := func(signature string) *http.Request {
				r, err := http.NewRequest(c.method, "https://example.amazonaws.com"+c.target, nil)
				require.NoError(t, err)
				r.Header.Set("X-Amz-Date", "20150830T123600Z")
				for _, h := range c.headers {
					r.Header.Add(h[0], h[1])
				}
				r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+suiteScope+", SignedHeaders="+c.signed+", Signature="+signature)
				return r
			}
			v := verifier("service", suiteTime)
			res, err := v.Verify(context.Background(), req(c.signature), nil)
			require.NoError(t, err)
			require.Equal(t, suiteKey, res.AccessKeyID)
			require.Equal(t, suiteTime, res.SigningTime)

			bad := []byte(c.signature)
			bad[0] ^= 1
			_, err = v.Verify(context.Background(), req(string(bad)), nil)
			require.ErrorIs(t, err, sigv4.ErrMismatch)
		})
	}
}

// sdkRequest is a CloudTrail call signed by aws-sdk-go-v2's signer.
func sdkRequest(t *testing.T, body string, region string, at time.Time, mutate func(*http.Request)) *http.Request {
	t.Helper()
	r, err := http.NewRequest("POST", "http://127.0.0.1:7480/", strings.NewReader(body))
	require.NoError(t, err)
	r.Header.Set("Content-Type", "application/x-amz-json-1.1")
	r.Header.Set("X-Amz-Target", "CloudTrail_20131101.ListEventDataStores")
	if mutate != nil {
		mutate(r)
	}
	sum := sha256.Sum256([]byte(body))
	creds := aws.Credentials{AccessKeyID: suiteKey, SecretAccessKey: suiteSecret}
	require.NoError(t, v4.NewSigner().SignHTTP(context.Background(), creds, r, hex.EncodeToString(sum[:]), "cloudtrail", region, at))
	return r
}

// TestSDKSigned checks requests signed by the SDK and what changing any
// part of them does.
func TestSDKSigned(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	v := verifier("cloudtrail", now)
	body := `{"MaxResults":5}`

	res, err := v.Verify(ctx, sdkRequest(t, body, "us-east-1", now, nil), []byte(body))
	require.NoError(t, err)
	require.Equal(t, suiteKey, res.AccessKeyID)
	require.False(t, res.Presigned)

	for _, c := range []struct {
		name     string
		req      *http.Request
		body     string
		want     error
		contains string
	}{
		{"modified body", sdkRequest(t, body, "us-east-1", now, nil), `{"MaxResults":6}`, sigv4.ErrMismatch, "signature we calculated"},
		{"content sha256 of another body", sdkRequest(t, body, "us-east-1", now, func(r *http.Request) {
			r.Header.Set("X-Amz-Content-Sha256", strings.Repeat("0", 64))
		}), body, sigv4.ErrMismatch, "x-amz-content-sha256"},
		{"wrong region", sdkRequest(t, body, "eu-west-1", now, nil), body, sigv4.ErrMismatch, "valid region"},
		{"expired", sdkRequest(t, body, "us-east-1", now.Add(-16*time.Minute), nil), body, sigv4.ErrMismatch, "Signature expired"},
		{"from the future", sdkRequest(t, body, "us-east-1", now.Add(16*time.Minute), nil), body, sigv4.ErrMismatch, "not yet current"},
		{"signed header changed", func() *http.Request {
			r := sdkRequest(t, body, "us-east-1", now, nil)
			r.Header.Set("X-Amz-Target", "CloudTrail_20131101.DeleteEventDataStore")
			return r
		}(), body, sigv4.ErrMismatch, "signature we calculated"},
		{"duplicate signed header added", func() *http.Request {
			r := sdkRequest(t, body, "us-east-1", now, nil)
			r.Header.Add("X-Amz-Target", "CloudTrail_20131101.DeleteEventDataStore")
			return r
		}(), body, sigv4.ErrMismatch, "signature we calculated"},
		{"session token", sdkRequest(t, body, "us-east-1", now, func(r *http.Request) { r.Header.Set("X-Amz-Security-Token", "tok") }), body, sigv4.ErrUnknownKey, "security token"},
		{"scope date differs", func() *http.Request {
			r := sdkRequest(t, body, "us-east-1", now, nil)
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "/20261121/", "/20261120/", 1))
			return r
		}(), body, sigv4.ErrMismatch, "Date in Credential scope"},
		{"no signature", func() *http.Request {
			r := sdkRequest(t, body, "us-east-1", now, nil)
			auth := r.Header.Get("Authorization")
			r.Header.Set("Authorization", auth[:strings.Index(auth, ", Signature=")])
			return r
		}(), body, sigv4.ErrIncomplete, ""},
		{"no date", func() *http.Request {
			r := sdkRequest(t, body, "us-east-1", now, nil)
			r.Header.Del("X-Amz-Date")
			return r
		}(), body, sigv4.ErrIncomplete, "X-Amz-Date"},
		{"unsigned", func() *http.Request {
			r, _ := http.NewRequest("POST", "http://127.0.0.1:7480/", nil)
			return r
		}(), body, sigv4.ErrMissingAuth, "Missing Authentication Token"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := v.Verify(ctx, c.req, []byte(c.body))
			require.ErrorIs(t, err, c.want)
			require.Contains(t, err.Error(), c.contains)
		})
	}

	unknown := &sigv4.Verifier{Service: "cloudtrail", Region: "us-east-1", Secret: secrets(nil), Now: func() time.Time { return now }}
	_, err = unknown.Verify(ctx, sdkRequest(t, body, "us-east-1", now, nil), []byte(body))
	require.ErrorIs(t, err, sigv4.ErrUnknownKey)

	other := &sigv4.Verifier{Service: "cloudtrail", Region: "us-east-1", Secret: secrets(map[string]string{suiteKey: "another-secret"}), Now: func() time.Time { return now }}
	_, err = other.Verify(ctx, sdkRequest(t, body, "us-east-1", now, nil), []byte(body))
	require.ErrorIs(t, err, sigv4.ErrMismatch)

	data := verifier("cloudtrail-data", now)
	_, err = data.Verify(ctx, sdkRequest(t, body, "us-east-1", now, nil), []byte(body))
	require.ErrorIs(t, err, sigv4.ErrMismatch, "a cloudtrail signature does not open cloudtrail-data")
}

// presign makes a presigned URL with the SDK's signer; expires 0 leaves
// X-Amz-Expires out.
func presign(t *testing.T, at time.Time, expires int) *http.Request {
	t.Helper()
	u := "http://127.0.0.1:7480/PutAuditEvents?channelArn=arn%3Aaws%3Acloudtrail%3Aus-east-1%3A123456789012%3Achannel%2Fc1"
	if expires > 0 {
		u += fmt.Sprintf("&X-Amz-Expires=%d", expires)
	}
	r, err := http.NewRequest("POST", u, nil)
	require.NoError(t, err)
	creds := aws.Credentials{AccessKeyID: suiteKey, SecretAccessKey: suiteSecret}
	signed, _, err := v4.NewSigner().PresignHTTP(context.Background(), creds, r, "UNSIGNED-PAYLOAD", "cloudtrail-data", "us-east-1", at)
	require.NoError(t, err)
	out, err := http.NewRequest("POST", signed, bytes.NewReader(nil))
	require.NoError(t, err)
	return out
}

// TestPresigned checks presigned URLs: within X-Amz-Expires, past it,
// without it (then the ±15 minute window applies), and tampered.
func TestPresigned(t *testing.T) {
	ctx := context.Background()
	at := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name    string
		now     time.Time
		expires int
		want    error
	}{
		{"within expiry", at.Add(50 * time.Minute), 3600, nil},
		{"past expiry", at.Add(61 * time.Minute), 3600, sigv4.ErrMismatch},
		{"no expiry, in window", at.Add(10 * time.Minute), 0, nil},
		{"no expiry, replayed later", at.Add(20 * time.Minute), 0, sigv4.ErrMismatch},
		{"signed in the future", at.Add(-20 * time.Minute), 3600, sigv4.ErrMismatch},
	} {
		t.Run(c.name, func(t *testing.T) {
			res, err := verifier("cloudtrail-data", c.now).Verify(ctx, presign(t, at, c.expires), nil)
			if c.want == nil {
				require.NoError(t, err)
				require.True(t, res.Presigned)
				return
			}
			require.ErrorIs(t, err, c.want)
		})
	}
	r := presign(t, at, 3600)
	q := r.URL.Query()
	q.Set("channelArn", "arn:aws:cloudtrail:us-east-1:123456789012:channel/other")
	r.URL.RawQuery = q.Encode()
	_, err := verifier("cloudtrail-data", at).Verify(ctx, r, nil)
	require.ErrorIs(t, err, sigv4.ErrMismatch, "a changed query parameter")

	var e *sigv4.Error
	require.True(t, errors.As(err, &e))
}
