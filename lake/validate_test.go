package lake

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func selField(field string, op string, vals ...string) AdvancedFieldSelector {
	f := AdvancedFieldSelector{Field: field}
	switch op {
	case "Equals":
		f.Equals = vals
	case "StartsWith":
		f.StartsWith = vals
	case "EndsWith":
		f.EndsWith = vals
	case "NotEquals":
		f.NotEquals = vals
	case "NotStartsWith":
		f.NotStartsWith = vals
	case "NotEndsWith":
		f.NotEndsWith = vals
	default:
		panic("unknown operator " + op)
	}
	return f
}

func selOf(fss ...AdvancedFieldSelector) AdvancedEventSelector {
	return AdvancedEventSelector{Name: "test", FieldSelectors: fss}
}

func selCat(c string) AdvancedFieldSelector { return selField(FieldEventCategory, "Equals", c) }

func TestDefaultSelectors(t *testing.T) {
	d := DefaultSelectors()
	require.Equal(t, []AdvancedEventSelector{{
		Name:           "Default management events",
		FieldSelectors: []AdvancedFieldSelector{{Field: "eventCategory", Equals: []string{"Management"}}},
	}}, d)
	require.NoError(t, ValidateSelectors(d))
	d[0].FieldSelectors[0].Equals[0] = "Data" // callers get their own copy
	require.Equal(t, "Management", DefaultSelectors()[0].FieldSelectors[0].Equals[0])
}

func TestValidateSelectors(t *testing.T) {
	s3Data := func(extra ...AdvancedFieldSelector) AdvancedEventSelector {
		return selOf(append([]AdvancedFieldSelector{selCat("Data"), selField("resources.type", "Equals", "AWS::S3::Object")}, extra...)...)
	}
	long := strings.Repeat("a", 2049)
	tests := []struct {
		name    string
		sels    []AdvancedEventSelector
		wantErr string // "" means valid
	}{
		// Valid: AWS documentation examples.
		{name: "all management events", sels: DefaultSelectors()},
		{name: "write-only management events", sels: []AdvancedEventSelector{
			selOf(selCat("Management"), selField("readOnly", "Equals", "false")),
		}},
		{name: "management events without KMS and RDS Data API", sels: []AdvancedEventSelector{
			selOf(selCat("Management"), selField("eventSource", "NotEquals", "kms.amazonaws.com", "rdsdata.amazonaws.com")),
		}},
		{name: "all S3 data events except one bucket", sels: []AdvancedEventSelector{
			s3Data(selField("resources.ARN", "NotStartsWith", "arn:aws:s3:::amzn-s3-demo-bucket/")),
		}},
		{name: "S3 data events for two buckets, write only", sels: []AdvancedEventSelector{
			s3Data(selField("readOnly", "Equals", "false"),
				AdvancedFieldSelector{Field: "resources.ARN", StartsWith: []string{"arn:aws:s3:::b1/", "arn:aws:s3:::b2/"}}),
		}},
		{name: "management and data and network activity mixed", sels: []AdvancedEventSelector{
			selOf(selCat("Management")),
			s3Data(),
			selOf(selCat("NetworkActivity"), selField("eventSource", "Equals", "cloudtrail.amazonaws.com"),
				selField("errorCode", "Equals", "VpceAccessDenied"), selField("vpcEndpointId", "StartsWith", "vpce-")),
		}},
		{name: "every operator on eventName", sels: []AdvancedEventSelector{selOf(selCat("Management"), AdvancedFieldSelector{
			Field: "eventName", Equals: []string{"A"}, StartsWith: []string{"B"}, EndsWith: []string{"C"},
			NotEquals: []string{"D"}, NotStartsWith: []string{"E"}, NotEndsWith: []string{"F"},
		})}},
		{name: "management event data store fields", sels: []AdvancedEventSelector{selOf(selCat("Management"),
			selField("eventType", "Equals", "AwsApiCall"),
			selField("userIdentity.arn", "NotStartsWith", "arn:aws:sts::123456789012:assumed-role/svc/"),
			selField("sessionCredentialFromConsole", "NotEquals", "true"))}},
		{name: "data event data store fields", sels: []AdvancedEventSelector{s3Data(
			selField("eventSource", "Equals", "s3.amazonaws.com"), selField("eventType", "Equals", "AwsApiCall"),
			selField("sessionCredentialFromConsole", "Equals", "true"), selField("userIdentity.arn", "EndsWith", "/alice"),
			selField("resources.ARN", "Equals", "arn:aws:s3:::b/key"))}},
		{name: "insight store", sels: []AdvancedEventSelector{selOf(selCat("Insight"))}},
		{name: "config store", sels: []AdvancedEventSelector{selOf(selCat("ConfigurationItem"))}},
		{name: "evidence store", sels: []AdvancedEventSelector{selOf(selCat("Evidence"))}},
		{name: "integration store", sels: []AdvancedEventSelector{selOf(selCat("ActivityAuditLog"))}},
		{name: "five selectors", sels: []AdvancedEventSelector{selOf(selCat("Management")), s3Data(), s3Data(), s3Data(), s3Data()}},
		{name: "value of 2048 characters", sels: []AdvancedEventSelector{selOf(selCat("Management"),
			selField("eventName", "Equals", long[:2048]))}},
		{name: "name of 1000 characters", sels: []AdvancedEventSelector{{
			Name: strings.Repeat("é", 1000), FieldSelectors: []AdvancedFieldSelector{selCat("Management")},
		}}},

		// Invalid: shape and model limits.
		{name: "empty list", sels: []AdvancedEventSelector{},
			wantErr: "AdvancedEventSelectors: at least 1 selector is required"},
		{name: "six selectors", sels: []AdvancedEventSelector{selOf(selCat("Management")), s3Data(), s3Data(), s3Data(), s3Data(), s3Data()},
			wantErr: "AdvancedEventSelectors: 6 selectors given; at most 5 are allowed"},
		{name: "name too long", sels: []AdvancedEventSelector{{
			Name: strings.Repeat("x", 1001), FieldSelectors: []AdvancedFieldSelector{selCat("Management")},
		}}, wantErr: "AdvancedEventSelectors[0].Name: 1001 characters; at most 1000 are allowed"},
		{name: "no field selectors", sels: []AdvancedEventSelector{{Name: "x"}},
			wantErr: "AdvancedEventSelectors[0].FieldSelectors: at least 1 field selector is required"},
		{name: "field name wrong case", sels: []AdvancedEventSelector{selOf(selCat("Management"), selField("eventname", "Equals", "X"))},
			wantErr: `AdvancedEventSelectors[0].FieldSelectors[1]: field "eventname" is not valid; valid fields are eventCategory, eventSource, eventName,`},
		{name: "resources.arn lower case", sels: []AdvancedEventSelector{s3Data(selField("resources.arn", "StartsWith", "arn:"))},
			wantErr: `AdvancedEventSelectors[0].FieldSelectors[2]: field "resources.arn" is not valid`},
		{name: "field with bad characters", sels: []AdvancedEventSelector{selOf(selCat("Management"), selField("event-name", "Equals", "X"))},
			wantErr: `FieldSelectors[1]: field "event-name" is not valid: must be 1 to 1000 characters`},
		{name: "empty field", sels: []AdvancedEventSelector{selOf(selCat("Management"), selField("", "Equals", "X"))},
			wantErr: `FieldSelectors[1]: field "" is not valid: must be 1 to 1000 characters`},
		{name: "field not known", sels: []AdvancedEventSelector{selOf(selCat("Management"), selField("awsRegion", "Equals", "us-east-1"))},
			wantErr: `field "awsRegion" is not valid; valid fields are`},
		{name: "empty operator list", sels: []AdvancedEventSelector{selOf(selCat("Management"), AdvancedFieldSelector{Field: "eventName", NotEquals: []string{}})},
			wantErr: "AdvancedEventSelectors[0].FieldSelectors[1].NotEquals: at least 1 value is required"},
		{name: "no operator", sels: []AdvancedEventSelector{selOf(selCat("Management"), AdvancedFieldSelector{Field: "eventName"})},
			wantErr: `AdvancedEventSelectors[0].FieldSelectors[1]: field "eventName" has no operator`},
		{name: "empty value", sels: []AdvancedEventSelector{selOf(selCat("Management"), selField("eventName", "StartsWith", "A", ""))},
			wantErr: "AdvancedEventSelectors[0].FieldSelectors[1].StartsWith[1]: value is 0 characters; must be 1 to 2048"},
		{name: "value too long", sels: []AdvancedEventSelector{selOf(selCat("Management"), selField("eventName", "EndsWith", long))},
			wantErr: "AdvancedEventSelectors[0].FieldSelectors[1].EndsWith[0]: value is 2049 characters; must be 1 to 2048"},
		{name: "field twice", sels: []AdvancedEventSelector{selOf(selCat("Management"),
			selField("eventName", "Equals", "A"), selField("eventName", "NotEquals", "B"))},
			wantErr: `AdvancedEventSelectors[0].FieldSelectors[2]: field "eventName" already appears in AdvancedEventSelectors[0].FieldSelectors[1]`},

		// Invalid: eventCategory.
		{name: "eventCategory missing", sels: []AdvancedEventSelector{selOf(selField("readOnly", "Equals", "true"))},
			wantErr: "AdvancedEventSelectors[0]: field eventCategory is required"},
		{name: "eventCategory NotEquals", sels: []AdvancedEventSelector{selOf(selField("eventCategory", "NotEquals", "Data"))},
			wantErr: `AdvancedEventSelectors[0].FieldSelectors[0]: field "eventCategory" takes only the Equals operator, not NotEquals`},
		{name: "eventCategory unknown", sels: []AdvancedEventSelector{selOf(selCat("management"))},
			wantErr: `AdvancedEventSelectors[0].FieldSelectors[0].Equals[0]: "management" is not a valid value for eventCategory; valid values are Management, Data,`},
		{name: "eventCategory two values", sels: []AdvancedEventSelector{selOf(selField("eventCategory", "Equals", "Management", "Data"))},
			wantErr: `field "eventCategory" takes 1 value, got 2`},

		// Invalid: per-field operators and values.
		{name: "readOnly StartsWith", sels: []AdvancedEventSelector{selOf(selCat("Management"), selField("readOnly", "StartsWith", "t"))},
			wantErr: `FieldSelectors[1]: field "readOnly" takes only the Equals operator, not StartsWith`},
		{name: "readOnly True", sels: []AdvancedEventSelector{selOf(selCat("Management"), selField("readOnly", "Equals", "True"))},
			wantErr: `FieldSelectors[1].Equals[0]: "True" is not a valid value for readOnly; valid values are true, false`},
		{name: "resources.type NotEquals", sels: []AdvancedEventSelector{selOf(selCat("Data"), selField("resources.type", "NotEquals", "AWS::S3::Object"))},
			wantErr: `field "resources.type" takes only the Equals operator, not NotEquals`},
		{name: "resources.type two values", sels: []AdvancedEventSelector{selOf(selCat("Data"), selField("resources.type", "Equals", "AWS::S3::Object", "AWS::Lambda::Function"))},
			wantErr: `field "resources.type" takes 1 value, got 2`},
		{name: "resources.type malformed", sels: []AdvancedEventSelector{selOf(selCat("Data"), selField("resources.type", "Equals", "S3 objects"))},
			wantErr: `resources.type "S3 objects" is not valid`},
		{name: "resources.ARN Equals not an ARN", sels: []AdvancedEventSelector{s3Data(selField("resources.ARN", "Equals", "my-bucket"))},
			wantErr: `FieldSelectors[2].Equals[0]: "my-bucket" is not an ARN`},
		{name: "errorCode other value", sels: []AdvancedEventSelector{selOf(selCat("NetworkActivity"),
			selField("eventSource", "Equals", "kms.amazonaws.com"), selField("errorCode", "Equals", "AccessDenied"))},
			wantErr: `"AccessDenied" is not a valid value for errorCode; valid values are VpceAccessDenied`},
		{name: "sessionCredentialFromConsole StartsWith", sels: []AdvancedEventSelector{selOf(selCat("Management"),
			selField("sessionCredentialFromConsole", "StartsWith", "t"))},
			wantErr: `field "sessionCredentialFromConsole" takes only the Equals and NotEquals operators`},

		// Invalid: fields per category.
		{name: "data without resources.type", sels: []AdvancedEventSelector{selOf(selCat("Data"), selField("eventName", "Equals", "GetObject"))},
			wantErr: "AdvancedEventSelectors[0]: field resources.type is required for eventCategory Data"},
		{name: "management with resources.ARN", sels: []AdvancedEventSelector{selOf(selCat("Management"), selField("resources.ARN", "StartsWith", "arn:"))},
			wantErr: `AdvancedEventSelectors[0].FieldSelectors[1]: field "resources.ARN" cannot be used with eventCategory Management; allowed fields are`},
		{name: "management with errorCode", sels: []AdvancedEventSelector{selOf(selCat("Management"), selField("errorCode", "Equals", "VpceAccessDenied"))},
			wantErr: `field "errorCode" cannot be used with eventCategory Management`},
		{name: "network activity without eventSource", sels: []AdvancedEventSelector{selOf(selCat("NetworkActivity"))},
			wantErr: "field eventSource is required for eventCategory NetworkActivity"},
		{name: "network activity eventSource StartsWith", sels: []AdvancedEventSelector{selOf(selCat("NetworkActivity"), selField("eventSource", "StartsWith", "kms"))},
			wantErr: `AdvancedEventSelectors[0].FieldSelectors[1]: field "eventSource" takes only the Equals operator, not StartsWith`},
		{name: "network activity two event sources", sels: []AdvancedEventSelector{selOf(selCat("NetworkActivity"), selField("eventSource", "Equals", "kms.amazonaws.com", "s3.amazonaws.com"))},
			wantErr: `field "eventSource" takes 1 value, got 2`},
		{name: "network activity readOnly", sels: []AdvancedEventSelector{selOf(selCat("NetworkActivity"),
			selField("eventSource", "Equals", "kms.amazonaws.com"), selField("readOnly", "Equals", "true"))},
			wantErr: `field "readOnly" cannot be used with eventCategory NetworkActivity`},
		{name: "insight with eventName", sels: []AdvancedEventSelector{selOf(selCat("Insight"), selField("eventName", "Equals", "X"))},
			wantErr: `field "eventName" cannot be used with eventCategory Insight; allowed fields are eventCategory`},

		// Invalid: families.
		{name: "management and insight", sels: []AdvancedEventSelector{selOf(selCat("Management")), selOf(selCat("Insight"))},
			wantErr: "AdvancedEventSelectors[1]: eventCategory Insight (Insight) cannot share an event data store with AdvancedEventSelectors[0] (CloudTrail events)"},
		{name: "config and evidence", sels: []AdvancedEventSelector{selOf(selCat("ConfigurationItem")), selOf(selCat("Evidence"))},
			wantErr: "AdvancedEventSelectors[1]: eventCategory Evidence (Evidence) cannot share"},
		{name: "integration and data", sels: []AdvancedEventSelector{selOf(selCat("ActivityAuditLog")), s3Data()},
			wantErr: "AdvancedEventSelectors[1]: eventCategory Data (CloudTrail events) cannot share"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := ValidateSelectors(tc.sels)
			if tc.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, ErrInvalidEventSelectors)
			require.ErrorContains(t, err, tc.wantErr)
		})
	}
}

func TestSelectorFamily(t *testing.T) {
	require.Equal(t, "CloudTrail events", SelectorFamily(DefaultSelectors()))
	require.Equal(t, "Insight", SelectorFamily([]AdvancedEventSelector{selOf(selCat("Insight"))}))
	require.Empty(t, SelectorFamily(nil))
}

func TestValidateName(t *testing.T) {
	for _, name := range []string{"abc", "my-store_1.v2", strings.Repeat("a", 128)} {
		require.NoError(t, ValidateName(name), name)
	}
	for _, name := range []string{"", "ab", strings.Repeat("a", 129), "has space", "slash/name", "ünïcode"} {
		err := ValidateName(name)
		require.ErrorIs(t, err, ErrInvalidParameter, name)
		require.ErrorContains(t, err, "must be 3 to 128 characters")
	}
}

func valPtr[T any](v T) *T { return &v }

func TestValidateCreate(t *testing.T) {
	tags := func(n int) []Tag {
		out := make([]Tag, n)
		for i := range out {
			out[i] = Tag{Key: "k" + strings.Repeat("x", i%100) + string(rune('a'+i/100))}
		}
		return out
	}
	tests := []struct {
		name    string
		in      CreateStoreInput
		wantErr string
		is      error
	}{
		{name: "minimal", in: CreateStoreInput{Name: "store"}},
		{name: "full", in: CreateStoreInput{
			Name: "store", AdvancedEventSelectors: DefaultSelectors(), RetentionPeriod: valPtr(3653),
			BillingMode: BillingExtendable, KmsKeyID: "alias/lake", Tags: []Tag{{Key: "team", Value: "sec"}, {Key: "empty"}},
		}},
		{name: "fixed at max", in: CreateStoreInput{Name: "store", BillingMode: BillingFixed, RetentionPeriod: valPtr(2557)}},
		{name: "extendable at min", in: CreateStoreInput{Name: "store", RetentionPeriod: valPtr(7)}},
		{name: "200 tags", in: CreateStoreInput{Name: "store", Tags: tags(200)}},
		{name: "bad name", in: CreateStoreInput{Name: "x"}, is: ErrInvalidParameter, wantErr: `Name "x" is not valid`},
		{name: "retention too short", in: CreateStoreInput{Name: "store", RetentionPeriod: valPtr(5)}, is: ErrInvalidParameter,
			wantErr: "RetentionPeriod 5 is out of range: must be 7 to 3653 days for EXTENDABLE_RETENTION_PRICING"},
		{name: "retention too long", in: CreateStoreInput{Name: "store", RetentionPeriod: valPtr(3654)}, is: ErrInvalidParameter,
			wantErr: "RetentionPeriod 3654 is out of range: must be 7 to 3653 days for EXTENDABLE_RETENTION_PRICING"},
		{name: "fixed retention too long", in: CreateStoreInput{Name: "store", BillingMode: BillingFixed, RetentionPeriod: valPtr(2558)},
			is: ErrInvalidParameter, wantErr: "RetentionPeriod 2558 is out of range: must be 7 to 2557 days for FIXED_RETENTION_PRICING"},
		{name: "bad billing mode", in: CreateStoreInput{Name: "store", BillingMode: "FREE"}, is: ErrInvalidParameter,
			wantErr: `BillingMode "FREE" is not valid: must be EXTENDABLE_RETENTION_PRICING or FIXED_RETENTION_PRICING`},
		{name: "201 tags", in: CreateStoreInput{Name: "store", Tags: tags(201)}, is: ErrInvalidParameter,
			wantErr: "TagsList: 201 tags given; at most 200 are allowed"},
		{name: "empty tag key", in: CreateStoreInput{Name: "store", Tags: []Tag{{Key: ""}}}, is: ErrInvalidParameter,
			wantErr: "TagsList[0].Key: 0 characters; must be 1 to 128"},
		{name: "long tag key", in: CreateStoreInput{Name: "store", Tags: []Tag{{Key: strings.Repeat("k", 129)}}}, is: ErrInvalidParameter,
			wantErr: "TagsList[0].Key: 129 characters; must be 1 to 128"},
		{name: "long tag value", in: CreateStoreInput{Name: "store", Tags: []Tag{{Key: "a"}, {Key: "k", Value: strings.Repeat("v", 257)}}},
			is: ErrInvalidParameter, wantErr: "TagsList[1].Value: 257 characters; must be at most 256"},
		{name: "duplicate tag key", in: CreateStoreInput{Name: "store", Tags: []Tag{{Key: "a"}, {Key: "a"}}}, is: ErrInvalidParameter,
			wantErr: `TagsList[1].Key: "a" already used by TagsList[0]`},
		{name: "bad kms key", in: CreateStoreInput{Name: "store", KmsKeyID: "key with space"}, is: ErrInvalidParameter,
			wantErr: `KmsKeyId "key with space" is not valid`},
		{name: "empty selectors", in: CreateStoreInput{Name: "store", AdvancedEventSelectors: []AdvancedEventSelector{}},
			is: ErrInvalidEventSelectors, wantErr: "at least 1 selector is required"},
		{name: "bad selectors", in: CreateStoreInput{Name: "store", AdvancedEventSelectors: []AdvancedEventSelector{selOf(selCat("Data"))}},
			is: ErrInvalidEventSelectors, wantErr: "field resources.type is required for eventCategory Data"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := ValidateCreate(tc.in)
			if tc.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tc.is)
			require.ErrorContains(t, err, tc.wantErr)
		})
	}
}

func TestValidateUpdate(t *testing.T) {
	ext := StoreInfo{Name: "store", BillingMode: BillingExtendable, RetentionPeriod: 366, AdvancedEventSelectors: DefaultSelectors()}
	fixed := StoreInfo{Name: "store", BillingMode: BillingFixed, RetentionPeriod: 2557, AdvancedEventSelectors: DefaultSelectors()}
	insight := StoreInfo{Name: "ins", BillingMode: BillingExtendable, RetentionPeriod: 366,
		AdvancedEventSelectors: []AdvancedEventSelector{selOf(selCat("Insight"))}}
	tests := []struct {
		name    string
		cur     StoreInfo
		in      UpdateStoreInput
		wantErr string
		is      error
	}{
		{name: "rename", cur: ext, in: UpdateStoreInput{Name: valPtr("new-name")}},
		{name: "termination protection only", cur: ext, in: UpdateStoreInput{TerminationProtectionEnabled: valPtr(false)}},
		{name: "retention within extendable", cur: ext, in: UpdateStoreInput{RetentionPeriod: valPtr(3653)}},
		{name: "fixed to extendable", cur: fixed, in: UpdateStoreInput{BillingMode: valPtr(BillingExtendable)}},
		{name: "fixed to extendable with long retention", cur: fixed,
			in: UpdateStoreInput{BillingMode: valPtr(BillingExtendable), RetentionPeriod: valPtr(3000)}},
		{name: "same mode", cur: ext, in: UpdateStoreInput{BillingMode: valPtr(BillingExtendable)}},
		{name: "unset current mode is extendable", cur: StoreInfo{Name: "s"}, in: UpdateStoreInput{RetentionPeriod: valPtr(3653)}},
		{name: "add data selector", cur: ext, in: UpdateStoreInput{AdvancedEventSelectors: append(DefaultSelectors(),
			selOf(selCat("Data"), selField("resources.type", "Equals", "AWS::Lambda::Function")))}},
		{name: "nothing set", cur: ext, in: UpdateStoreInput{}, is: ErrInvalidParameter,
			wantErr: "no field to change; set at least one of Name"},
		{name: "bad name", cur: ext, in: UpdateStoreInput{Name: valPtr("a b")}, is: ErrInvalidParameter, wantErr: `Name "a b" is not valid`},
		{name: "extendable to fixed", cur: ext, in: UpdateStoreInput{BillingMode: valPtr(BillingFixed)}, is: ErrInvalidParameter,
			wantErr: "BillingMode cannot change from EXTENDABLE_RETENTION_PRICING to FIXED_RETENTION_PRICING"},
		{name: "bad billing mode", cur: ext, in: UpdateStoreInput{BillingMode: valPtr("x")}, is: ErrInvalidParameter,
			wantErr: `BillingMode "x" is not valid`},
		{name: "retention above fixed max", cur: fixed, in: UpdateStoreInput{RetentionPeriod: valPtr(2558)}, is: ErrInvalidParameter,
			wantErr: "RetentionPeriod 2558 is out of range: must be 7 to 2557 days for FIXED_RETENTION_PRICING"},
		{name: "retention too short", cur: ext, in: UpdateStoreInput{RetentionPeriod: valPtr(6)}, is: ErrInvalidParameter,
			wantErr: "RetentionPeriod 6 is out of range: must be 7 to 3653 days for EXTENDABLE_RETENTION_PRICING"},
		{name: "kms key", cur: ext, in: UpdateStoreInput{KmsKeyID: valPtr("arn:aws:kms:us-east-1:123456789012:key/abc")}},
		{name: "empty kms key", cur: ext, in: UpdateStoreInput{KmsKeyID: valPtr("")}, is: ErrInvalidParameter,
			wantErr: "KmsKeyId is empty"},
		{name: "bad selectors", cur: ext, in: UpdateStoreInput{AdvancedEventSelectors: []AdvancedEventSelector{}},
			is: ErrInvalidEventSelectors, wantErr: "at least 1 selector is required"},
		{name: "change family", cur: insight, in: UpdateStoreInput{AdvancedEventSelectors: DefaultSelectors()},
			is: ErrInvalidEventSelectors, wantErr: "the store holds Insight; new selectors select CloudTrail events"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := ValidateUpdate(tc.cur, tc.in)
			if tc.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tc.is)
			require.ErrorContains(t, err, tc.wantErr)
		})
	}
}
