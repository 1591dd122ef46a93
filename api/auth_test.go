package api_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/stretchr/testify/require"
)

// raw sends a CloudTrail call with the given target and body, signed with
// key/secret at signTime (not signed when key is "").
func (e *env) raw(t *testing.T, target, body, key, secret string, signTime time.Time, signRegion string) (int, http.Header, map[string]string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.url+"/", bytes.NewReader([]byte(body)))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	if target != "" {
		req.Header.Set("X-Amz-Target", target)
	}
	if key != "" {
		sum := sha256.Sum256([]byte(body))
		err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: key, SecretAccessKey: secret}, req, hex.EncodeToString(sum[:]), "cloudtrail", signRegion, signTime)
		require.NoError(t, err)
	}
	return do(t, req)
}

func do(t *testing.T, req *http.Request) (int, http.Header, map[string]string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(data, &m), string(data))
	out := map[string]string{}
	for k, v := range m {
		if s, ok := v.(string); ok {
			out[k] = s
		}
	}
	return resp.StatusCode, resp.Header, out
}

const listTarget = "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.ListEventDataStores"

func TestAuthentication(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	now := time.Now()
	for _, tc := range []struct {
		name, key, secret, region string
		at                        time.Time
		code, msg                 string
	}{
		{"unsigned", "", "", region, now, "MissingAuthenticationTokenException", "Missing Authentication Token"},
		{"bad secret", rootKey, "wrongwrongwrongwrongwrongwrong", region, now, "InvalidSignatureException", "The request signature we calculated does not match"},
		{"unknown key", "AKIANOSUCHKEY0000000", "whatever-secret-0000", region, now, "UnrecognizedClientException", "The security token included in the request is invalid."},
		{"expired", rootKey, rootSecret, region, now.Add(-20 * time.Minute), "InvalidSignatureException", "Signature expired"},
		{"future", rootKey, rootSecret, region, now.Add(20 * time.Minute), "InvalidSignatureException", "Signature not yet current"},
		{"wrong region", rootKey, rootSecret, "eu-west-1", now, "InvalidSignatureException", "Credential should be scoped to a valid region"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, h, body := e.raw(t, listTarget, "{}", tc.key, tc.secret, tc.at, tc.region)
			require.Equal(t, http.StatusBadRequest, st)
			require.Equal(t, tc.code, body["__type"])
			require.Equal(t, tc.code, h.Get("X-Amzn-Errortype"))
			require.Contains(t, body["message"], tc.msg)
		})
	}
	st, _, _ := e.raw(t, listTarget, "{}", rootKey, rootSecret, now.Add(-5*time.Minute), region)
	require.Equal(t, http.StatusOK, st, "within the clock window")

	req, err := http.NewRequest(http.MethodPost, e.url+"/", bytes.NewReader([]byte("{}")))
	require.NoError(t, err)
	req.Header.Set("X-Amz-Target", listTarget)
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+rootKey+"/20240101/us-east-1/cloudtrail/aws4_request")
	req.Header.Set("X-Amz-Date", now.UTC().Format("20060102T150405Z"))
	st, _, body := do(t, req)
	require.Equal(t, http.StatusBadRequest, st)
	require.Equal(t, "IncompleteSignatureException", body["__type"])

	// A presigned request: signature in the query string.
	preq, err := http.NewRequest(http.MethodPost, e.url+"/?X-Amz-Expires=300", bytes.NewReader([]byte("{}")))
	require.NoError(t, err)
	preq.Header.Set("X-Amz-Target", listTarget)
	preq.Header.Set("Content-Type", "application/x-amz-json-1.1")
	sum := sha256.Sum256([]byte("{}"))
	signed, hdr, err := v4.NewSigner().PresignHTTP(ctx, aws.Credentials{AccessKeyID: rootKey, SecretAccessKey: rootSecret}, preq, hex.EncodeToString(sum[:]), "cloudtrail", region, now)
	require.NoError(t, err)
	preq2, err := http.NewRequest(http.MethodPost, signed, bytes.NewReader([]byte("{}")))
	require.NoError(t, err)
	for k, v := range hdr {
		if k != "Host" {
			preq2.Header[k] = v
		}
	}
	st, _, body = do(t, preq2)
	require.Equal(t, http.StatusOK, st, body)
}

func TestAuthorization(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	root := e.root()
	a, err := root.CreateEventDataStore(ctx, &cloudtrail.CreateEventDataStoreInput{Name: aws.String("store-a")})
	require.NoError(t, err)
	b, err := root.CreateEventDataStore(ctx, &cloudtrail.CreateEventDataStoreInput{Name: aws.String("store-b")})
	require.NoError(t, err)
	arnA, arnB := aws.ToString(a.EventDataStoreArn), aws.ToString(b.EventDataStoreArn)
	idA, idB := arnA[len(arnA)-36:], arnB[len(arnB)-36:]

	analyst := e.user(t, "analyst", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":["cloudtrail:Get*","cloudtrail:List*","cloudtrail:StartQuery","cloudtrail:DescribeQuery","cloudtrail:GetQueryResults"],"Resource":"*"},
		{"Effect":"Deny","Action":"cloudtrail:*","Resource":"`+arnB+`"}]}`)

	_, err = analyst.ListEventDataStores(ctx, &cloudtrail.ListEventDataStoresInput{})
	require.NoError(t, err)
	_, err = analyst.GetEventDataStore(ctx, &cloudtrail.GetEventDataStoreInput{EventDataStore: aws.String(idA)})
	require.NoError(t, err)
	ae := requireCode(t, func() error {
		_, err := analyst.GetEventDataStore(ctx, &cloudtrail.GetEventDataStoreInput{EventDataStore: aws.String(idB)})
		return err
	}(), "AccessDeniedException")
	require.Equal(t, "User: arn:aws:iam::123456789012:user/analyst is not authorized to perform: cloudtrail:GetEventDataStore on resource: "+arnB+" with an explicit deny in an identity-based policy", ae.ErrorMessage())
	ae = requireCode(t, func() error {
		_, err := analyst.DeleteEventDataStore(ctx, &cloudtrail.DeleteEventDataStoreInput{EventDataStore: aws.String(arnA)})
		return err
	}(), "AccessDeniedException")
	require.Contains(t, ae.ErrorMessage(), "because no identity-based policy allows the cloudtrail:DeleteEventDataStore action")

	// A query is authorized on every store it reads.
	_, err = analyst.StartQuery(ctx, &cloudtrail.StartQueryInput{QueryStatement: aws.String("SELECT count(*) FROM " + idA)})
	require.NoError(t, err)
	_, err = analyst.StartQuery(ctx, &cloudtrail.StartQueryInput{QueryStatement: aws.String("SELECT count(*) FROM " + idA + " UNION ALL SELECT count(*) FROM " + idB)})
	requireCode(t, err, "AccessDeniedException")
	q, err := root.StartQuery(ctx, &cloudtrail.StartQueryInput{QueryStatement: aws.String("SELECT count(*) FROM " + idB)})
	require.NoError(t, err)
	_, err = analyst.GetQueryResults(ctx, &cloudtrail.GetQueryResultsInput{QueryId: q.QueryId})
	requireCode(t, err, "AccessDeniedException")

	nobody := e.user(t, "nobody", `{"Statement":[{"Effect":"Allow","Action":"cloudtrail:GetEventDataStore","Resource":"*"}]}`)
	_, err = nobody.ListEventDataStores(ctx, &cloudtrail.ListEventDataStoresInput{})
	requireCode(t, err, "AccessDeniedException")
}

func TestProtocol(t *testing.T) {
	e := newEnv(t)
	now := time.Now()
	st, _, body := e.raw(t, "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.CreateTrail", `{"Name":"t","S3BucketName":"b"}`, rootKey, rootSecret, now, region)
	require.Equal(t, http.StatusBadRequest, st)
	require.Equal(t, "UnsupportedOperationException", body["__type"])
	require.Contains(t, body["message"], "CreateTrail")
	st, _, body = e.raw(t, "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.NoSuchThing", `{}`, rootKey, rootSecret, now, region)
	require.Equal(t, http.StatusBadRequest, st)
	require.Equal(t, "UnknownOperationException", body["__type"])
	st, _, _ = e.raw(t, "CloudTrail_20131101.ListEventDataStores", `{}`, rootKey, rootSecret, now, region)
	require.Equal(t, http.StatusOK, st, "the short target prefix")
	st, _, body = e.raw(t, "CloudTrail_20131101.CreateEventDataStore", `{}`, rootKey, rootSecret, now, region)
	require.Equal(t, http.StatusBadRequest, st)
	require.Equal(t, "InvalidParameterException", body["__type"])
	require.Contains(t, body["message"], "Value null at 'name' failed to satisfy constraint: Member must not be null")
	st, _, body = e.raw(t, "CloudTrail_20131101.CreateEventDataStore", `{"Name": 5}`, rootKey, rootSecret, now, region)
	require.Equal(t, http.StatusBadRequest, st)
	require.Equal(t, "SerializationException", body["__type"])
	st, _, body = e.raw(t, "CloudTrail_20131101.CreateEventDataStore", `{"Name": "x`, rootKey, rootSecret, now, region)
	require.Equal(t, http.StatusBadRequest, st)
	require.Equal(t, "SerializationException", body["__type"])
	st, _, body = e.raw(t, "CloudTrail_20131101.ListQueries", `{"EventDataStore":"abc","QueryStatus":"DONE"}`, rootKey, rootSecret, now, region)
	require.Equal(t, http.StatusBadRequest, st)
	require.Equal(t, "InvalidQueryStatusException", body["__type"])

	req, err := http.NewRequest(http.MethodGet, e.url+"/some/page", nil)
	require.NoError(t, err)
	st, h, body := do(t, req)
	require.Equal(t, http.StatusBadRequest, st)
	require.Equal(t, "UnknownOperationException", body["__type"])
	require.Equal(t, "application/x-amz-json-1.1", h.Get("Content-Type"))
}
