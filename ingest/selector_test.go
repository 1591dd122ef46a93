package ingest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/auditlake/auditlake/lake"
	"github.com/stretchr/testify/require"
)

func selStr(s string) *string { return &s }
func selBool(b bool) *bool    { return &b }

func fsel(field, op string, vals ...string) lake.AdvancedFieldSelector {
	f := lake.AdvancedFieldSelector{Field: field}
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

func esel(fss ...lake.AdvancedFieldSelector) lake.AdvancedEventSelector {
	return lake.AdvancedEventSelector{FieldSelectors: fss}
}

func ecat(c string) lake.AdvancedFieldSelector { return fsel("eventCategory", "Equals", c) }

func mustCompile(t testing.TB, sels ...lake.AdvancedEventSelector) *Selector {
	t.Helper()
	s, err := CompileSelectors(sels)
	require.NoError(t, err)
	return s
}

// Events modelled on CloudTrail records.
var (
	mgmtRead = &lake.Event{
		EventSource: selStr("ec2.amazonaws.com"), EventName: selStr("DescribeInstances"),
		EventType: selStr("AwsApiCall"), ReadOnly: selBool(true), ManagementEvent: selBool(true),
		EventCategory: selStr("Management"), SessionCredentialFromConsole: selStr("true"),
		UserIdentity: &lake.UserIdentity{ARN: selStr("arn:aws:iam::111122223333:user/alice")},
	}
	mgmtWrite = &lake.Event{
		EventSource: selStr("iam.amazonaws.com"), EventName: selStr("CreateUser"),
		EventType: selStr("AwsApiCall"), ReadOnly: selBool(false), ManagementEvent: selBool(true),
		EventCategory: selStr("Management"),
		UserIdentity:  &lake.UserIdentity{ARN: selStr("arn:aws:sts::111122223333:assumed-role/Admin/bob")},
	}
	kmsDecrypt = &lake.Event{
		EventSource: selStr("kms.amazonaws.com"), EventName: selStr("Decrypt"),
		EventType: selStr("AwsApiCall"), ReadOnly: selBool(true), ManagementEvent: selBool(true),
		EventCategory: selStr("Management"),
	}
	rdsData = &lake.Event{
		EventSource: selStr("rdsdata.amazonaws.com"), EventName: selStr("ExecuteStatement"),
		ReadOnly: selBool(false), ManagementEvent: selBool(true), EventCategory: selStr("Management"),
	}
	// S3 object-level events list the object and its bucket.
	s3Get = func(bucket string) *lake.Event {
		return &lake.Event{
			EventSource: selStr("s3.amazonaws.com"), EventName: selStr("GetObject"), EventType: selStr("AwsApiCall"),
			ReadOnly: selBool(true), ManagementEvent: selBool(false), EventCategory: selStr("Data"),
			Resources: []lake.Resource{
				{Type: selStr("AWS::S3::Object"), ARN: selStr("arn:aws:s3:::" + bucket + "/photos/cat.jpg")},
				{Type: selStr("AWS::S3::Bucket"), ARN: selStr("arn:aws:s3:::" + bucket)},
			},
		}
	}
	s3Put = &lake.Event{
		EventSource: selStr("s3.amazonaws.com"), EventName: selStr("PutObject"),
		ReadOnly: selBool(false), ManagementEvent: selBool(false), EventCategory: selStr("Data"),
		Resources: []lake.Resource{
			{Type: selStr("AWS::S3::Object"), ARN: selStr("arn:aws:s3:::data/in/x.csv")},
			{Type: selStr("AWS::S3::Bucket"), ARN: selStr("arn:aws:s3:::data")},
		},
	}
	lambdaInvoke = &lake.Event{
		EventSource: selStr("lambda.amazonaws.com"), EventName: selStr("Invoke"),
		ReadOnly: selBool(false), ManagementEvent: selBool(false), EventCategory: selStr("Data"),
		Resources: []lake.Resource{{Type: selStr("AWS::Lambda::Function"), ARN: selStr("arn:aws:lambda:us-east-1:111122223333:function:f")}},
	}
	vpceDenied = &lake.Event{
		EventSource: selStr("cloudtrail.amazonaws.com"), EventName: selStr("ListTrails"), EventType: selStr("AwsVpceEvent"),
		ErrorCode: selStr("VpceAccessDenied"), VPCEndpointID: selStr("vpce-0123"), ManagementEvent: selBool(false),
		EventCategory: selStr("NetworkActivity"),
	}
	insight = &lake.Event{EventType: selStr("AwsCloudTrailInsight"), EventCategory: selStr("Insight")}
	bare    = &lake.Event{} // no fields at all: an old management record
)

func TestEventCategory(t *testing.T) {
	tests := []struct {
		name string
		ev   *lake.Event
		want string
	}{
		{"field wins", &lake.Event{EventCategory: selStr("Data"), ManagementEvent: selBool(true)}, "Data"},
		{"empty field derives", &lake.Event{EventCategory: selStr(""), ManagementEvent: selBool(false)}, "Data"},
		{"insight", &lake.Event{EventType: selStr("AwsCloudTrailInsight")}, "Insight"},
		{"network activity", &lake.Event{EventType: selStr("AwsVpceEvent"), ManagementEvent: selBool(false)}, "NetworkActivity"},
		{"data", &lake.Event{EventType: selStr("AwsApiCall"), ManagementEvent: selBool(false)}, "Data"},
		{"management", &lake.Event{EventType: selStr("AwsApiCall"), ManagementEvent: selBool(true)}, "Management"},
		{"nothing", &lake.Event{}, "Management"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, EventCategory(tc.ev))
		})
	}
}

func TestSelectorMatch(t *testing.T) {
	s3Data := func(extra ...lake.AdvancedFieldSelector) lake.AdvancedEventSelector {
		return esel(append([]lake.AdvancedFieldSelector{ecat("Data"), fsel("resources.type", "Equals", "AWS::S3::Object")}, extra...)...)
	}
	mgmt := func(extra ...lake.AdvancedFieldSelector) lake.AdvancedEventSelector {
		return esel(append([]lake.AdvancedFieldSelector{ecat("Management")}, extra...)...)
	}
	type check struct {
		ev   *lake.Event
		want bool
	}
	tests := []struct {
		name   string
		sels   []lake.AdvancedEventSelector
		checks []check
	}{
		{"default: all management events", lake.DefaultSelectors(), []check{
			{mgmtRead, true}, {mgmtWrite, true}, {kmsDecrypt, true}, {bare, true},
			{s3Get("b"), false}, {vpceDenied, false}, {insight, false},
		}},
		{"AWS example: write-only management events", []lake.AdvancedEventSelector{mgmt(fsel("readOnly", "Equals", "false"))}, []check{
			{mgmtWrite, true}, {rdsData, true}, {mgmtRead, false}, {kmsDecrypt, false}, {s3Put, false},
			{bare, false}, // readOnly absent: no positive match
		}},
		{"readOnly true", []lake.AdvancedEventSelector{mgmt(fsel("readOnly", "Equals", "true"))}, []check{
			{mgmtRead, true}, {mgmtWrite, false},
		}},
		{"AWS example: management events without KMS and RDS Data API", []lake.AdvancedEventSelector{
			mgmt(fsel("eventSource", "NotEquals", "kms.amazonaws.com", "rdsdata.amazonaws.com")),
		}, []check{{mgmtRead, true}, {mgmtWrite, true}, {kmsDecrypt, false}, {rdsData, false}, {bare, true}}},
		{"AWS example: all S3 data events except one bucket", []lake.AdvancedEventSelector{
			s3Data(fsel("resources.ARN", "NotStartsWith", "arn:aws:s3:::logs/")),
		}, []check{
			{s3Get("photos"), true},
			{s3Get("logs"), false}, // the AWS::S3::Bucket resource does not rescue it
			{s3Get("logs-archive"), true},
			{s3Put, true}, {lambdaInvoke, false}, {mgmtRead, false},
		}},
		{"S3 data events of one bucket, write only", []lake.AdvancedEventSelector{
			s3Data(fsel("readOnly", "Equals", "false"), fsel("resources.ARN", "StartsWith", "arn:aws:s3:::data/")),
		}, []check{{s3Put, true}, {s3Get("data"), false}, {s3Get("x"), false}}},
		{"resources.ARN Equals exact object", []lake.AdvancedEventSelector{
			s3Data(fsel("resources.ARN", "Equals", "arn:aws:s3:::photos/photos/cat.jpg")),
		}, []check{{s3Get("photos"), true}, {s3Get("photo"), false}}},
		{"resources.ARN EndsWith and NotEndsWith", []lake.AdvancedEventSelector{
			s3Data(lake.AdvancedFieldSelector{Field: "resources.ARN", EndsWith: []string{".jpg", ".csv"}, NotEndsWith: []string{"x.csv"}}),
		}, []check{{s3Get("b"), true}, {s3Put, false}}},
		{"resources.ARN NotEquals", []lake.AdvancedEventSelector{
			s3Data(fsel("resources.ARN", "NotEquals", "arn:aws:s3:::data/in/x.csv")),
		}, []check{{s3Put, false}, {s3Get("data"), true}}},
		{"resources.type selects the resource", []lake.AdvancedEventSelector{
			esel(ecat("Data"), fsel("resources.type", "Equals", "AWS::Lambda::Function")),
		}, []check{{lambdaInvoke, true}, {s3Put, false}, {&lake.Event{ManagementEvent: selBool(false)}, false}}},
		{"resource without ARN matches negatives only", []lake.AdvancedEventSelector{
			s3Data(fsel("resources.ARN", "NotStartsWith", "arn:aws:s3:::logs/")),
		}, []check{{&lake.Event{EventCategory: selStr("Data"), Resources: []lake.Resource{{Type: selStr("AWS::S3::Object")}}}, true}}},
		{"data events of two types in two selectors", []lake.AdvancedEventSelector{
			s3Data(), esel(ecat("Data"), fsel("resources.type", "Equals", "AWS::Lambda::Function")),
		}, []check{{lambdaInvoke, true}, {s3Put, true}, {mgmtWrite, false}}},
		{"eventName every operator", []lake.AdvancedEventSelector{mgmt(lake.AdvancedFieldSelector{
			Field: "eventName", Equals: []string{"CreateUser"}, StartsWith: []string{"Describe"}, EndsWith: []string{"Statement"},
			NotEquals: []string{"DescribeRegions"}, NotStartsWith: []string{"DescribeInstanceS"}, NotEndsWith: []string{"Decrypt"},
		})}, []check{
			{mgmtWrite, true}, {mgmtRead, true}, {rdsData, true}, {kmsDecrypt, false},
			{&lake.Event{EventName: selStr("DescribeRegions")}, false},
			{&lake.Event{EventName: selStr("DescribeInstanceStatus")}, false},
			{&lake.Event{EventName: selStr("DeleteUser")}, false},
			{bare, false},
		}},
		{"eventName StartsWith", []lake.AdvancedEventSelector{mgmt(fsel("eventName", "StartsWith", "Create", "Delete"))}, []check{
			{mgmtWrite, true}, {mgmtRead, false},
		}},
		{"eventName EndsWith", []lake.AdvancedEventSelector{mgmt(fsel("eventName", "EndsWith", "Instances"))}, []check{
			{mgmtRead, true}, {mgmtWrite, false},
		}},
		{"eventName NotStartsWith only, missing value passes", []lake.AdvancedEventSelector{mgmt(fsel("eventName", "NotStartsWith", "Describe", "List", "Get"))}, []check{
			{mgmtRead, false}, {mgmtWrite, true}, {bare, true},
		}},
		{"values are case-sensitive", []lake.AdvancedEventSelector{mgmt(fsel("eventName", "Equals", "createuser"))}, []check{
			{mgmtWrite, false}, {&lake.Event{EventName: selStr("createuser")}, true},
		}},
		{"many Equals values use a set", []lake.AdvancedEventSelector{mgmt(fsel("eventName", "Equals",
			"A1", "A2", "A3", "A4", "A5", "A6", "A7", "A8", "A9", "CreateUser"))}, []check{
			{mgmtWrite, true}, {mgmtRead, false},
		}},
		{"eventType", []lake.AdvancedEventSelector{mgmt(fsel("eventType", "NotEquals", "AwsApiCall"))}, []check{
			{mgmtWrite, false}, {&lake.Event{EventType: selStr("AwsConsoleSignIn")}, true}, {rdsData, true},
		}},
		{"userIdentity.arn", []lake.AdvancedEventSelector{mgmt(fsel("userIdentity.arn", "StartsWith", "arn:aws:sts::111122223333:assumed-role/"))}, []check{
			{mgmtWrite, true}, {mgmtRead, false}, {kmsDecrypt, false}, // no userIdentity
		}},
		{"userIdentity.arn negative passes without identity", []lake.AdvancedEventSelector{mgmt(fsel("userIdentity.arn", "NotEndsWith", "/alice"))}, []check{
			{mgmtRead, false}, {mgmtWrite, true}, {kmsDecrypt, true}, {&lake.Event{UserIdentity: &lake.UserIdentity{}}, true},
		}},
		{"sessionCredentialFromConsole Equals", []lake.AdvancedEventSelector{mgmt(fsel("sessionCredentialFromConsole", "Equals", "true"))}, []check{
			{mgmtRead, true}, {mgmtWrite, false},
		}},
		{"sessionCredentialFromConsole NotEquals", []lake.AdvancedEventSelector{mgmt(fsel("sessionCredentialFromConsole", "NotEquals", "true"))}, []check{
			{mgmtRead, false}, {mgmtWrite, true},
		}},
		{"network activity", []lake.AdvancedEventSelector{esel(ecat("NetworkActivity"),
			fsel("eventSource", "Equals", "cloudtrail.amazonaws.com"), fsel("errorCode", "Equals", "VpceAccessDenied"),
			fsel("vpcEndpointId", "StartsWith", "vpce-"), fsel("eventName", "NotEquals", "GetTrail"))}, []check{
			{vpceDenied, true}, {mgmtRead, false},
			{&lake.Event{EventType: selStr("AwsVpceEvent"), EventSource: selStr("cloudtrail.amazonaws.com"), ErrorCode: selStr("VpceAccessDenied")}, false},
		}},
		{"network activity derived from eventType", []lake.AdvancedEventSelector{esel(ecat("NetworkActivity"),
			fsel("eventSource", "Equals", "cloudtrail.amazonaws.com"))}, []check{
			{&lake.Event{EventType: selStr("AwsVpceEvent"), EventSource: selStr("cloudtrail.amazonaws.com")}, true},
		}},
		{"insight", []lake.AdvancedEventSelector{esel(ecat("Insight"))}, []check{
			{insight, true}, {&lake.Event{EventType: selStr("AwsCloudTrailInsight")}, true}, {mgmtRead, false},
		}},
		{"management and data together", []lake.AdvancedEventSelector{
			mgmt(fsel("readOnly", "Equals", "false")), s3Data(fsel("eventName", "Equals", "GetObject")),
		}, []check{{mgmtWrite, true}, {mgmtRead, false}, {s3Get("b"), true}, {s3Put, false}}},
		{"data events by old records without eventCategory", []lake.AdvancedEventSelector{s3Data()}, []check{
			{&lake.Event{ManagementEvent: selBool(false), Resources: s3Put.Resources}, true},
			{&lake.Event{Resources: s3Put.Resources}, false}, // managementEvent absent: Management
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := mustCompile(t, tc.sels...)
			for i, c := range tc.checks {
				require.Equal(t, c.want, s.Match(c.ev), "check %d: %s", i, describe(c.ev))
			}
		})
	}
}

func describe(ev *lake.Event) string {
	b, _ := json.Marshal(ev)
	return string(b)
}

func TestCompileSelectorsInvalid(t *testing.T) {
	_, err := CompileSelectors([]lake.AdvancedEventSelector{esel(fsel("eventname", "Equals", "X"))})
	require.ErrorIs(t, err, lake.ErrInvalidEventSelectors)
	require.ErrorContains(t, err, `AdvancedEventSelectors[0].FieldSelectors[0]: field "eventname" is not valid`)

	_, err = CompileSelectors(nil)
	require.ErrorIs(t, err, lake.ErrInvalidEventSelectors)
}

func TestSelectorNil(t *testing.T) {
	var s *Selector
	require.False(t, s.Match(mgmtRead))
	require.False(t, mustCompile(t, lake.DefaultSelectors()...).Match(nil))
}

// sampleRecord holds the fields of a CloudTrail record that selectors use.
// It is local to this test so that it does not depend on the decoder.
type sampleRecord struct {
	EventSource                  *string `json:"eventSource"`
	EventName                    *string `json:"eventName"`
	EventType                    *string `json:"eventType"`
	EventCategory                *string `json:"eventCategory"`
	ErrorCode                    *string `json:"errorCode"`
	ReadOnly                     *bool   `json:"readOnly"`
	ManagementEvent              *bool   `json:"managementEvent"`
	SessionCredentialFromConsole *string `json:"sessionCredentialFromConsole"`
	VPCEndpointID                *string `json:"vpcEndpointId"`
	UserIdentity                 *struct {
		ARN *string `json:"arn"`
	} `json:"userIdentity"`
	Resources []struct {
		Type *string `json:"type"`
		ARN  *string `json:"ARN"`
	} `json:"resources"`
}

func (r sampleRecord) event() lake.Event {
	ev := lake.Event{
		EventSource: r.EventSource, EventName: r.EventName, EventType: r.EventType, EventCategory: r.EventCategory,
		ErrorCode: r.ErrorCode, ReadOnly: r.ReadOnly, ManagementEvent: r.ManagementEvent,
		SessionCredentialFromConsole: r.SessionCredentialFromConsole, VPCEndpointID: r.VPCEndpointID,
	}
	if r.UserIdentity != nil {
		ev.UserIdentity = &lake.UserIdentity{ARN: r.UserIdentity.ARN}
	}
	for _, res := range r.Resources {
		ev.Resources = append(ev.Resources, lake.Resource{Type: res.Type, ARN: res.ARN})
	}
	return ev
}

const stratusDir = samplesDir + "/stratus-red-team"

// loadStratus reads the Stratus Red Team detonation logs: bare JSON arrays of
// CloudTrail records, one file per technique.
func loadStratus(t testing.TB) (map[string][]lake.Event, []sampleRecord) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(stratusDir, "*.json"))
	require.NoError(t, err)
	if len(files) == 0 {
		t.Skipf("no sample events in %s", stratusDir)
	}
	byFile := make(map[string][]lake.Event, len(files))
	var all []sampleRecord
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		var recs []sampleRecord
		require.NoError(t, json.Unmarshal(b, &recs), f)
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		for _, r := range recs {
			byFile[name] = append(byFile[name], r.event())
		}
		all = append(all, recs...)
	}
	return byFile, all
}

func TestSelectorStratusSamples(t *testing.T) {
	byFile, recs := loadStratus(t)
	require.Len(t, recs, 310)

	count := func(s *Selector) int {
		n := 0
		for _, evs := range byFile {
			for i := range evs {
				if s.Match(&evs[i]) {
					n++
				}
			}
		}
		return n
	}
	want := func(pred func(r sampleRecord) bool) int {
		n := 0
		for _, r := range recs {
			if pred(r) {
				n++
			}
		}
		return n
	}
	is := func(p *string, v string) bool { return p != nil && *p == v }

	t.Run("default takes every management event", func(t *testing.T) {
		require.Equal(t, 310, count(mustCompile(t, lake.DefaultSelectors()...)))
	})
	t.Run("write-only management events", func(t *testing.T) {
		s := mustCompile(t, esel(ecat("Management"), fsel("readOnly", "Equals", "false")))
		require.Equal(t, 49, count(s))
		require.Equal(t, want(func(r sampleRecord) bool { return !*r.ReadOnly }), count(s))
	})
	t.Run("no data events in the samples", func(t *testing.T) {
		require.Zero(t, count(mustCompile(t, esel(ecat("Data"), fsel("resources.type", "Equals", "AWS::S3::Object")))))
	})
	t.Run("management events without KMS and RDS Data API", func(t *testing.T) {
		s := mustCompile(t, esel(ecat("Management"), fsel("eventSource", "NotEquals", "kms.amazonaws.com", "rdsdata.amazonaws.com")))
		require.Equal(t, want(func(r sampleRecord) bool {
			return !is(r.EventSource, "kms.amazonaws.com") && !is(r.EventSource, "rdsdata.amazonaws.com")
		}), count(s))
	})
	t.Run("IAM identities other than root", func(t *testing.T) {
		s := mustCompile(t, esel(ecat("Management"), lake.AdvancedFieldSelector{
			Field: "userIdentity.arn", StartsWith: []string{"arn:aws:iam::"}, NotEndsWith: []string{":root"},
		}))
		n := want(func(r sampleRecord) bool {
			if r.UserIdentity == nil || r.UserIdentity.ARN == nil {
				return false
			}
			a := *r.UserIdentity.ARN
			return strings.HasPrefix(a, "arn:aws:iam::") && !strings.HasSuffix(a, ":root")
		})
		require.Positive(t, n)
		require.Less(t, n, 310)
		require.Equal(t, n, count(s))
	})
	t.Run("defense evasion detections by eventName", func(t *testing.T) {
		s := mustCompile(t, esel(ecat("Management"), fsel("eventSource", "Equals", "cloudtrail.amazonaws.com"),
			fsel("eventName", "Equals", "StopLogging", "DeleteTrail", "PutEventSelectors", "UpdateTrail")))
		for file, evs := range byFile {
			hits := 0
			for i := range evs {
				if s.Match(&evs[i]) {
					hits++
				}
			}
			switch file {
			case "aws.defense-evasion.cloudtrail-stop", "aws.defense-evasion.cloudtrail-delete",
				"aws.defense-evasion.cloudtrail-event-selectors":
				require.Positive(t, hits, file)
			default:
				names := make([]string, 0, len(evs))
				for i := range evs {
					names = append(names, *evs[i].EventName)
				}
				require.Zero(t, hits, "%s: %v", file, names)
			}
		}
	})
	t.Run("console events", func(t *testing.T) {
		s := mustCompile(t, esel(ecat("Management"), fsel("eventType", "Equals", "AwsConsoleSignIn")))
		require.Equal(t, 1, count(s))
		require.Equal(t, 1, len(byFile["aws.initial-access.console-login-without-mfa"]))
	})
	t.Run("every selector agrees with a plain filter", func(t *testing.T) {
		prefixes := []string{"Describe", "List", "Get"}
		s := mustCompile(t, esel(ecat("Management"), fsel("readOnly", "Equals", "true"),
			fsel("eventName", "NotStartsWith", prefixes...)))
		require.Equal(t, want(func(r sampleRecord) bool {
			return *r.ReadOnly && !slices.ContainsFunc(prefixes, func(p string) bool { return strings.HasPrefix(*r.EventName, p) })
		}), count(s))
	})
}

func BenchmarkSelectorMatch(b *testing.B) {
	byFile, _ := loadStratus(b)
	var evs []lake.Event
	for _, e := range byFile {
		evs = append(evs, e...)
	}
	evs = append(evs, *s3Get("logs"), *s3Get("photos"), *s3Put, *lambdaInvoke)
	cases := []struct {
		name string
		sels []lake.AdvancedEventSelector
	}{
		{"default", lake.DefaultSelectors()},
		{"mgmt-no-kms-rds", []lake.AdvancedEventSelector{esel(ecat("Management"),
			fsel("eventSource", "NotEquals", "kms.amazonaws.com", "rdsdata.amazonaws.com"))}},
		{"five-selectors", []lake.AdvancedEventSelector{
			esel(ecat("Management"), fsel("readOnly", "Equals", "false"),
				fsel("eventName", "NotStartsWith", "Describe", "List", "Get")),
			esel(ecat("Data"), fsel("resources.type", "Equals", "AWS::S3::Object"),
				fsel("resources.ARN", "NotStartsWith", "arn:aws:s3:::logs/")),
			esel(ecat("Data"), fsel("resources.type", "Equals", "AWS::Lambda::Function")),
			esel(ecat("Data"), fsel("resources.type", "Equals", "AWS::DynamoDB::Table"),
				fsel("userIdentity.arn", "NotEndsWith", "/batch")),
			esel(ecat("Management"), fsel("userIdentity.arn", "StartsWith", "arn:aws:iam::"),
				fsel("eventName", "Equals", "A1", "A2", "A3", "A4", "A5", "A6", "A7", "A8", "CreateUser")),
		}},
	}
	for _, bc := range cases {
		b.Run(bc.name, func(b *testing.B) {
			s := mustCompile(b, bc.sels...)
			b.ReportAllocs()
			i, n := 0, 0
			for b.Loop() {
				if s.Match(&evs[i]) {
					n++
				}
				i++
				if i == len(evs) {
					i = 0
				}
			}
			_ = n
		})
	}
}

func TestSelectorMatchDoesNotAllocate(t *testing.T) {
	s := mustCompile(t,
		esel(ecat("Management"), fsel("readOnly", "Equals", "false"), fsel("eventName", "NotStartsWith", "Describe")),
		esel(ecat("Data"), fsel("resources.type", "Equals", "AWS::S3::Object"), fsel("resources.ARN", "NotStartsWith", "arn:aws:s3:::logs/")),
	)
	evs := []*lake.Event{mgmtRead, mgmtWrite, s3Get("logs"), s3Put, bare, vpceDenied}
	allocs := testing.AllocsPerRun(100, func() {
		for _, ev := range evs {
			s.Match(ev)
		}
	})
	require.Zero(t, allocs)
}
