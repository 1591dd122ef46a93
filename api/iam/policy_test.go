package iam_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/auditlake/auditlake/api/iam"
)

func TestEvaluate(t *testing.T) {
	p, err := iam.ParsePolicy([]byte(`{"Statement":[
		{"Effect":"Allow","Action":"cloudtrail:*","Resource":"arn:aws:cloudtrail:*:*:eventdatastore/*"},
		{"Effect":"Allow","Action":"cloudtrail:List*","Resource":"*"},
		{"Effect":"Deny","Action":"cloudtrail:Delete*","Resource":"*"}]}`))
	require.NoError(t, err)
	eds := "arn:aws:cloudtrail:us-east-1:123456789012:eventdatastore/abc"
	for _, tc := range []struct {
		action, res string
		want        iam.Decision
	}{
		{"cloudtrail:StartQuery", eds, iam.Allow},
		{"CloudTrail:startquery", eds, iam.Allow},
		{"cloudtrail:DeleteEventDataStore", eds, iam.ExplicitDeny},
		{"cloudtrail:ListEventDataStores", "*", iam.Allow},
		{"cloudtrail:GetChannel", "arn:aws:cloudtrail:us-east-1:123456789012:channel/x", iam.ImplicitDeny},
		{"cloudtrail-data:PutAuditEvents", eds, iam.ImplicitDeny},
	} {
		require.Equal(t, tc.want, p.Evaluate(tc.action, tc.res), "%s on %s", tc.action, tc.res)
	}
	for _, bad := range []string{`{}`, `{"Statement":[{"Effect":"Maybe","Action":"*","Resource":"*"}]}`,
		`{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{}}]}`, `{"Statement":[{"Effect":"Allow","Resource":"*"}]}`} {
		_, err := iam.ParsePolicy([]byte(bad))
		require.ErrorIs(t, err, iam.ErrInvalidPolicy, bad)
	}
	require.True(t, iam.Match("a*c?e", "abbbcde"))
	require.False(t, iam.Match("a*c", "abcd"))
}
