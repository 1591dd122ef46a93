package ingest

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/auditlake/auditlake/lake"
)

const samplesDir = "../../shared/data/cloudtrail-samples"

// decodeAll decodes input with a fresh Decoder and collects the events.
func decodeAll(t testing.TB, name string, input []byte) ([]*lake.Event, Result) {
	t.Helper()
	var evs []*lake.Event
	res, err := NewDecoder().Decode(name, bytes.NewReader(input), func(e *lake.Event) error {
		evs = append(evs, e)
		return nil
	})
	require.NoError(t, err)
	require.Len(t, evs, res.Events)
	return evs, res
}

func decodeOne(t *testing.T, input string) *lake.Event {
	t.Helper()
	evs, res := decodeAll(t, "test.json", []byte(input))
	require.Empty(t, res.Errors)
	require.Len(t, evs, 1)
	return evs[0]
}

func gz(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, err := zw.Write(b)
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

func strp(s string) *string { return &s }

// TestDecodeSamples decodes every data file of the shared sample set. The
// expected numbers were computed independently with Python's json module:
// records per file, minus those without a usable eventTime/@timestamp.
func TestDecodeSamples(t *testing.T) {
	const lib = "aws-cloudtrail-processing-library/"
	const st = "stratus-red-team/aws."
	tests := []struct {
		file                    string
		records, events, errors int
	}{
		{lib + "SerializerAllFieldsNull.json", 2, 1, 1},
		{lib + "SerializerTestFile.json", 6, 6, 0},
		{lib + "SerializerTestFileBadFieldName.json", 2, 1, 1}, // "eventTimeWrong"
		{lib + "SerializerTestFileBadJsonFormat.json", 2, 1, 1},
		{lib + "SerializerTestFileCompact.json.gz", 6, 6, 0},
		{lib + "SerializerTestFileLocation.json", 6, 6, 0},
		{lib + "SerializerTestFileMissField.json", 4, 3, 1}, // "ThisIsAWrongEventTime"
		{lib + "SerializerTestFileNewFieldAtRandomPlaces.json", 2, 2, 0},
		{lib + "SerializerTestFileNewFieldName.json", 2, 1, 1},
		{lib + "SerializerTestFileNewFieldsInRoot.json", 2, 2, 0},
		{lib + "SerializerTestFileNewFieldsInUserIdentity.json", 2, 2, 0},
		{lib + "SerializerVariousUserIdentityTestFile.json", 1, 1, 0},
		// 2 records without eventTime, 2 with placeholders ("timestamp", ...).
		{"awsdocs/awsdocs-example-events.jsonl", 357, 353, 4},
		// Digest and sign files are not event records.
		{"awsdocs/digest-examples/digest-empty-logfiles.json", 1, 0, 1},
		{"awsdocs/digest-examples/digest-with-logfile.json", 1, 0, 1},
		{"awsdocs/digest-examples/lake-query-results-sign-file.json", 1, 0, 1},
		{"otrf-security-datasets/ec2_proxy_s3_exfiltration_2020-09-14011940.jsonl", 103, 103, 0},
		// 17 records without eventTime, "redacted" and "...".
		{"panther-analysis/panther-cloudtrail-test-events.jsonl", 436, 417, 19},
		{"plaso/aws_cloudtrail.lookupevents.jsonl", 6, 6, 0},
		{st + "credential-access.ec2-get-password-data.json", 34, 34, 0},
		{st + "credential-access.ec2-steal-instance-credentials.json", 45, 45, 0},
		{st + "credential-access.secretsmanager-batch-retrieve-secrets.json", 5, 5, 0},
		{st + "credential-access.secretsmanager-retrieve-secrets.json", 21, 21, 0},
		{st + "credential-access.ssm-retrieve-securestring-parameters.json", 10, 10, 0},
		{st + "defense-evasion.cloudtrail-delete.json", 1, 1, 0},
		{st + "defense-evasion.cloudtrail-event-selectors.json", 1, 1, 0},
		{st + "defense-evasion.cloudtrail-stop.json", 1, 1, 0},
		{st + "defense-evasion.dns-delete-logs.json", 1, 1, 0},
		{st + "defense-evasion.organizations-leave.json", 3, 3, 0},
		{st + "defense-evasion.vpc-remove-flow-logs.json", 1, 1, 0},
		{st + "discovery.ec2-download-user-data.json", 19, 19, 0},
		{st + "execution.ec2-launch-unusual-instances.json", 3, 3, 0},
		{st + "execution.ec2-user-data.json", 35, 35, 0},
		{st + "execution.ssm-send-command.json", 56, 56, 0},
		{st + "execution.ssm-start-session.json", 29, 29, 0},
		{st + "exfiltration.ec2-security-group-open-port-22-ingress.json", 1, 1, 0},
		{st + "exfiltration.ec2-share-ami.json", 1, 1, 0},
		{st + "exfiltration.ec2-share-ebs-snapshot.json", 1, 1, 0},
		{st + "exfiltration.rds-share-snapshot.json", 1, 1, 0},
		{st + "impact.bedrock-invoke-model.json", 15, 15, 0},
		{st + "initial-access.console-login-without-mfa.json", 1, 1, 0},
		{st + "lateral-movement.ec2-instance-connect.json", 3, 3, 0},
		{st + "lateral-movement.ec2-serial-console-send-ssh-public-key.json", 4, 4, 0},
		{st + "persistence.iam-backdoor-role.json", 1, 1, 0},
		{st + "persistence.iam-backdoor-user.json", 1, 1, 0},
		{st + "persistence.iam-create-admin-user.json", 3, 3, 0},
		{st + "persistence.iam-create-backdoor-role.json", 2, 2, 0},
		{st + "persistence.iam-create-user-login-profile.json", 3, 3, 0},
		{st + "persistence.lambda-backdoor-function.json", 1, 1, 0},
		{st + "persistence.lambda-layer-extension.json", 1, 1, 0},
		{st + "persistence.lambda-overwrite-code.json", 1, 1, 0},
		{st + "persistence.rolesanywhere-create-trust-anchor.json", 2, 2, 0},
		{st + "persistence.sts-federation-token.json", 2, 2, 0},
		{st + "privilege-escalation.iam-update-user-login-profile.json", 1, 1, 0},
	}
	// Every data file of the folder must be in the table.
	var onDisk []string
	err := filepath.WalkDir(samplesDir, func(p string, de os.DirEntry, err error) error {
		if err != nil || de.IsDir() {
			return err
		}
		if ext := filepath.Ext(p); ext == ".json" || ext == ".jsonl" || ext == ".gz" {
			rel, _ := filepath.Rel(samplesDir, p)
			onDisk = append(onDisk, filepath.ToSlash(rel))
		}
		return nil
	})
	require.NoError(t, err)
	var listed []string
	total := 0
	for _, tt := range tests {
		listed = append(listed, tt.file)
		total += tt.events
	}
	require.ElementsMatch(t, onDisk, listed)
	require.Equal(t, 1221, total)

	d := NewDecoder() // one decoder for all files: reuse must not leak state
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			f, err := os.Open(filepath.Join(samplesDir, tt.file))
			require.NoError(t, err)
			defer f.Close()
			var evs []*lake.Event
			res, err := d.Decode(filepath.Base(tt.file), f, func(e *lake.Event) error {
				evs = append(evs, e)
				return nil
			})
			require.NoError(t, err)
			require.Equal(t, tt.records, res.Records)
			require.Equal(t, tt.events, res.Events)
			require.Len(t, res.Errors, tt.errors, "%v", res.Errors)
			for _, e := range evs {
				require.False(t, e.EventTime.IsZero())
				require.True(t, json.Valid([]byte(e.EventJSON)))
				requireIDAt(t, e.EventJSON, "eventID", e.EventID, e.EventIDAt)
				requireIDAt(t, e.EventJSON, "requestID", e.RequestID, e.RequestIDAt)
			}
		})
	}
}

// requireIDAt checks where the decoder says the record holds its member
// key (lake.Event.EventIDAt): at the value of the record's top-level member,
// which the segment writer cuts out. Unset only when the value is absent or
// not written as it is (escaped).
func requireIDAt(t *testing.T, j, key string, v *string, at int32) {
	t.Helper()
	if v == nil || *v == "" {
		return
	}
	var top map[string]json.RawMessage
	require.NoError(t, json.Unmarshal([]byte(j), &top))
	raw, err := json.Marshal(*v)
	require.NoError(t, err)
	if at == 0 {
		require.NotEqual(t, string(raw), string(top[key]), "%s %s written as it is, but its place is unknown", key, *v)
		return
	}
	i := int(at) - 1
	require.Equal(t, *v, j[i:i+len(*v)])
	// It is the top-level member's value: cutting it there leaves that
	// member empty and every other member as it was.
	var cut map[string]json.RawMessage
	require.NoError(t, json.Unmarshal([]byte(j[:i]+j[i+len(*v):]), &cut))
	require.Equal(t, `""`, string(cut[key]))
	for k, raw := range top {
		if k != key {
			require.Equal(t, string(raw), string(cut[k]), "member %s", k)
		}
	}
}

func TestDecodeBadJSONFile(t *testing.T) {
	const name = "SerializerTestFileBadJsonFormat.json"
	input, err := os.ReadFile(filepath.Join(samplesDir, "aws-cloudtrail-processing-library", name))
	require.NoError(t, err)
	evs, res := decodeAll(t, name, input)

	// Record 0 misses the '}' that closes its userIdentity; record 1 is good.
	require.Len(t, res.Errors, 1)
	re := res.Errors[0]
	require.Equal(t, name, re.File)
	require.Equal(t, 0, re.Index)
	require.Equal(t, 3, re.Line)
	require.Equal(t, int64(27), re.Offset)
	require.ErrorIs(t, re, ErrSyntax)
	require.Contains(t, re.Error(), name+": record 0 (line 3, offset 27): invalid JSON at line 37")

	require.Len(t, evs, 1)
	require.Equal(t, "eventName2", *evs[0].EventName)
	require.Equal(t, "my-redshift-parameter-group", evs[0].RequestParameters["parameterGroupName"])
	require.Nil(t, evs[0].ResponseElements)
}

func TestDecodeFormats(t *testing.T) {
	rec := func(name string) string {
		return `{"eventVersion":"1.08","eventTime":"2024-01-02T03:04:05Z","eventName":"` + name + `"}`
	}
	pretty := "{\n  \"eventTime\": \"2024-01-02T03:04:05Z\",\n  \"eventName\": \"%s\",\n  \"requestParameters\": {\n    \"a\": 1\n  }\n}"
	tests := []struct {
		name  string
		input string
		want  []string
	}{
		{"records file", `{"Records":[` + rec("A") + "," + rec("B") + `]}`, []string{"A", "B"}},
		{"records file spaced", "{ \"Records\" :\n [\n" + rec("A") + " ,\n" + rec("B") + "\n]\n}\n", []string{"A", "B"}},
		{"records file with other members", `{"Records":[` + rec("A") + `],"x":{"y":[1]}}`, []string{"A"}},
		{"lookup-events output", `{"Events":[{"CloudTrailEvent":` + strQuote(rec("A")) + `}],"NextToken":"t"}`, []string{"A"}},
		{"bare array", "[" + rec("A") + "," + rec("B") + "]", []string{"A", "B"}},
		{"json lines", rec("A") + "\n" + rec("B") + "\n" + rec("C"), []string{"A", "B", "C"}},
		{"crlf json lines", rec("A") + "\r\n" + rec("B") + "\r\n", []string{"A", "B"}},
		{"single object", rec("A"), []string{"A"}},
		{"concatenated", rec("A") + rec("B") + " " + rec("C"), []string{"A", "B", "C"}},
		{"concatenated pretty", strings.Replace(pretty, "%s", "A", 1) + "\n" + strings.Replace(pretty, "%s", "B", 1), []string{"A", "B"}},
		{"byte order mark", "\xef\xbb\xbf" + rec("A"), []string{"A"}},
		{"empty records", `{"Records":[]}`, nil},
	}
	for _, tt := range tests {
		for _, compress := range []bool{false, true} {
			name := tt.name
			input := []byte(tt.input)
			if compress {
				name += " gzip"
				input = gz(t, input)
			}
			t.Run(name, func(t *testing.T) {
				evs, res := decodeAll(t, "in", input)
				require.Empty(t, res.Errors)
				var got []string
				for _, e := range evs {
					got = append(got, *e.EventName)
				}
				require.Equal(t, tt.want, got)
				require.Equal(t, len(tt.want), res.Records)
			})
		}
	}
}

func strQuote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func TestDecodeDamage(t *testing.T) {
	good := func(n string) string {
		return `{"eventTime":"2024-01-02T03:04:05Z","eventName":"` + n + `","requestParameters":{"x":[1,{"y":2}]}}`
	}
	type wantErr struct {
		index  int
		line   int
		offset int64
		kind   error
		msg    string
	}
	tests := []struct {
		name  string
		input []byte
		want  []string
		errs  []wantErr
	}{
		{
			name:  "json lines with a broken line in the middle",
			input: []byte(good("A") + "\n" + `{"eventTime":"2024-01-02T03:04:05Z","eventName":"B","x":{` + "\n" + good("C") + "\n"),
			want:  []string{"A", "C"},
			errs:  []wantErr{{1, 2, int64(len(good("A")) + 1), ErrSyntax, "ends unfinished at the end of its line"}},
		},
		{
			name:  "json lines with an unclosed string",
			input: []byte(good("A") + "\n" + `{"eventName":"B` + "\n" + good("C")),
			want:  []string{"A", "C"},
			errs:  []wantErr{{1, 2, int64(len(good("A")) + 1), ErrSyntax, "not closed at the end of its line"}},
		},
		{
			name:  "json lines with a garbage line",
			input: []byte(good("A") + "\nthis is not json\n" + good("C")),
			want:  []string{"A", "C"},
			errs:  []wantErr{{1, 2, int64(len(good("A")) + 1), ErrNotRecord, `found "this is not json"`}},
		},
		{
			name:  "json lines with a syntax error",
			input: []byte(good("A") + "\n" + `{"eventName":"B",,"x":{"eventName":"nested"}}` + "\n" + good("C")),
			want:  []string{"A", "C"},
			errs:  []wantErr{{1, 2, int64(len(good("A")) + 1), ErrSyntax, "expected a string key, found ','"}},
		},
		{
			name:  "compact records file with a broken record",
			input: []byte(`{"Records":[` + good("A") + `,{"eventTime":"2024-01-02T03:04:05Z","userIdentity":{"type":"x",` + `,` + good("C") + `]}`),
			want:  []string{"A", "C"},
			errs:  []wantErr{{1, 1, int64(12 + len(good("A")) + 1), ErrSyntax, "expected a string key, found ','"}},
		},
		{
			name:  "truncated records file",
			input: []byte(`{"Records":[` + good("A") + `,{"eventTime":"2024-01-02T03:04:05Z","eventNa`),
			want:  []string{"A"},
			errs:  []wantErr{{1, 1, int64(12 + len(good("A")) + 1), ErrSyntax, "the input ends inside"}},
		},
		{
			name:  "records file without its end",
			input: []byte(`{"Records":[` + good("A")),
			want:  []string{"A"},
			errs:  []wantErr{{-1, 1, int64(12 + len(good("A"))), ErrSyntax, "before the record list is closed"}},
		},
		{
			name:  "invalid eventTime",
			input: []byte(good("A") + "\n" + `{"eventTime":"2024-13-01T00:00:00Z"}` + "\n" + good("C")),
			want:  []string{"A", "C"},
			errs:  []wantErr{{1, 2, int64(len(good("A")) + 1), ErrEventTime, `eventTime "2024-13-01T00:00:00Z" is not a valid time`}},
		},
		{
			name:  "missing eventTime",
			input: []byte("[\n" + good("A") + ",\n" + `{"eventName":"B"}` + "]"),
			want:  []string{"A"},
			errs:  []wantErr{{1, 3, int64(2 + len(good("A")) + 2), ErrEventTime, "eventTime is missing"}},
		},
		{
			name:  "not an object in a list",
			input: []byte(`[` + good("A") + `,"x",` + good("C") + `]`),
			want:  []string{"A", "C"},
			errs:  []wantErr{{1, 1, int64(1 + len(good("A")) + 1), ErrNotRecord, `expected a record`}},
		},
		{
			name:  "empty input",
			input: nil,
			errs:  []wantErr{{-1, 1, 0, ErrEmpty, "the input is empty"}},
		},
		{
			name:  "whitespace only",
			input: []byte(" \n\t "),
			errs:  []wantErr{{-1, 2, 4, ErrEmpty, "the input is empty"}},
		},
		{
			name:  "empty gzip",
			input: gz(t, nil),
			errs:  []wantErr{{-1, 1, 0, ErrEmpty, "the input is empty"}},
		},
		{
			name:  "not JSON",
			input: []byte("eventTime,eventName\n2024-01-01,X\n"),
			errs:  []wantErr{{-1, 1, 0, ErrNotJSON, `the input is not JSON: it starts with "eventTime,eventN"...`}},
		},
		{
			name:  "bad gzip header",
			input: []byte{0x1f, 0x8b, 0, 0, 0},
			errs:  []wantErr{{-1, 1, 0, ErrCompressed, "gzip header is not valid"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs, res := decodeAll(t, "in.json", tt.input)
			var got []string
			for _, e := range evs {
				got = append(got, *e.EventName)
			}
			require.Equal(t, tt.want, got)
			require.Len(t, res.Errors, len(tt.errs), "%v", res.Errors)
			for i, w := range tt.errs {
				e := res.Errors[i]
				require.Equal(t, "in.json", e.File)
				require.Equal(t, w.index, e.Index, "%v", e)
				require.Equal(t, w.line, e.Line, "%v", e)
				require.Equal(t, w.offset, e.Offset, "%v", e)
				require.ErrorIs(t, e, w.kind)
				require.Contains(t, e.Error(), w.msg)
			}
		})
	}
}

func TestDecodeTruncatedGzip(t *testing.T) {
	var recs []string
	for i := range 200 {
		recs = append(recs, `{"eventTime":"2024-01-02T03:04:05Z","eventName":"E`+strings.Repeat("x", i)+`"}`)
	}
	full := gz(t, []byte(`{"Records":[`+strings.Join(recs, ",")+`]}`))
	evs, res := decodeAll(t, "t.json.gz", full)
	require.Len(t, evs, 200)
	require.Empty(t, res.Errors)

	evs, res = decodeAll(t, "t.json.gz", full[:len(full)*2/3])
	require.NotEmpty(t, evs)
	require.Less(t, len(evs), 200)
	require.Len(t, res.Errors, 1, "%v", res.Errors)
	re := res.Errors[0]
	require.ErrorIs(t, re, ErrCompressed)
	require.Equal(t, len(evs), re.Index) // where it stopped
	require.Contains(t, re.Error(), "t.json.gz: record ")
	require.Contains(t, re.Error(), "truncated or corrupt")
	for i, e := range evs {
		require.Equal(t, "E"+strings.Repeat("x", i), *e.EventName)
	}
}

type failingReader struct {
	data []byte
	err  error
}

func (f *failingReader) Read(p []byte) (int, error) {
	if len(f.data) == 0 {
		return 0, f.err
	}
	n := copy(p, f.data)
	f.data = f.data[n:]
	return n, nil
}

func TestDecodeErrorsReturned(t *testing.T) {
	rec := `{"eventTime":"2024-01-02T03:04:05Z"}`
	input := []byte(rec + "\n" + rec + "\n" + rec)
	ioErr := errors.New("disk on fire")
	for _, compress := range []bool{false, true} {
		in := input
		if compress {
			in = gz(t, input)
		}
		t.Run("io error", func(t *testing.T) {
			_, err := NewDecoder().Decode("x", &failingReader{data: in[:len(in)-5], err: ioErr}, func(*lake.Event) error { return nil })
			require.ErrorIs(t, err, ioErr)
		})
	}
	t.Run("emit error", func(t *testing.T) {
		stop := errors.New("stop")
		n := 0
		res, err := NewDecoder().Decode("x", bytes.NewReader(input), func(*lake.Event) error {
			n++
			if n == 2 {
				return stop
			}
			return nil
		})
		require.Equal(t, stop, err) // as is
		require.Equal(t, 2, n)
		require.Equal(t, 2, res.Events)
	})
}

func TestDecodeNoAliasing(t *testing.T) {
	input, err := os.ReadFile(filepath.Join(samplesDir, "panther-analysis/panther-cloudtrail-test-events.jsonl"))
	require.NoError(t, err)
	d := NewDecoder()
	var kept []*lake.Event
	_, err = d.Decode("a", bytes.NewReader(input), func(e *lake.Event) error {
		kept = append(kept, e)
		return nil
	})
	require.NoError(t, err)
	// Decode other data with the same decoder, then compare with a fresh decode.
	other, err := os.ReadFile(filepath.Join(samplesDir, "awsdocs/awsdocs-example-events.jsonl"))
	require.NoError(t, err)
	_, err = d.Decode("b", bytes.NewReader(gz(t, other)), func(*lake.Event) error { return nil })
	require.NoError(t, err)
	want, _ := decodeAll(t, "a", input)
	require.Equal(t, want, kept)
}

func TestDecodeQuirks(t *testing.T) {
	big := strings.Repeat("é😀a\\\"", 20<<10) // ~100 KB of text, escapes and unicode
	tests := []struct {
		name  string
		input string
		check func(t *testing.T, e *lake.Event)
	}{
		{"resources ARN and arn", `{"eventTime":"2024-01-02T03:04:05Z","resources":[{"ARN":"a1","accountId":"1","type":"T"},{"arn":"a2","AccountID":"2"},{"ARNPrefix":"p1"},{"arnPrefix":"p2"},"junk"]}`,
			func(t *testing.T, e *lake.Event) {
				require.Equal(t, []lake.Resource{
					{ARN: strp("a1"), AccountID: strp("1"), Type: strp("T")},
					{ARN: strp("a2"), AccountID: strp("2")},
					{ARNPrefix: strp("p1")},
					{ARNPrefix: strp("p2")},
				}, e.Resources)
			}},
		{"string booleans", `{"eventTime":"2024-01-02T03:04:05Z","readOnly":"True","managementEvent":"FALSE"}`,
			func(t *testing.T, e *lake.Event) {
				require.True(t, *e.ReadOnly)
				require.False(t, *e.ManagementEvent)
			}},
		{"other booleans are null", `{"eventTime":"2024-01-02T03:04:05Z","readOnly":"yes","managementEvent":1}`,
			func(t *testing.T, e *lake.Event) {
				require.Nil(t, e.ReadOnly)
				require.Nil(t, e.ManagementEvent)
			}},
		{"sessionCredentialFromConsole boolean", `{"eventTime":"2024-01-02T03:04:05Z","sessionCredentialFromConsole":true}`,
			func(t *testing.T, e *lake.Event) { require.Equal(t, "true", *e.SessionCredentialFromConsole) }},
		{"nulls", `{"eventTime":"2024-01-02T03:04:05Z","userIdentity":null,"requestParameters":null,"responseElements":null,"resources":null,"tlsDetails":null,"eventName":null,"readOnly":null}`,
			func(t *testing.T, e *lake.Event) {
				require.Nil(t, e.UserIdentity)
				require.Nil(t, e.RequestParameters)
				require.Nil(t, e.ResponseElements)
				require.Nil(t, e.Resources)
				require.Nil(t, e.TLSDetails)
				require.Nil(t, e.EventName)
				require.Nil(t, e.ReadOnly)
			}},
		{"non-object maps", `{"eventTime":"2024-01-02T03:04:05Z","requestParameters":"x","responseElements":[1],"additionalEventData":{}}`,
			func(t *testing.T, e *lake.Event) {
				require.Nil(t, e.RequestParameters)
				require.Nil(t, e.ResponseElements)
				require.Equal(t, map[string]string{}, e.AdditionalEventData)
				require.Contains(t, e.EventJSON, `"requestParameters":"x"`)
			}},
		{"numeric eventTime in milliseconds", `{"eventTime":1567797571647}`,
			func(t *testing.T, e *lake.Event) {
				require.Equal(t, time.UnixMilli(1567797571647).UTC(), e.EventTime)
			}},
		{"numeric eventTime in seconds", `{"eventTime":1567797571.5}`,
			func(t *testing.T, e *lake.Event) {
				require.Equal(t, time.Unix(1567797571, 5e8).UTC(), e.EventTime)
			}},
		{"eventTime with offset and fraction", `{"eventTime":"2024-01-02T03:04:05.123+02:00"}`,
			func(t *testing.T, e *lake.Event) {
				require.Equal(t, time.Date(2024, 1, 2, 1, 4, 5, 123e6, time.UTC), e.EventTime)
			}},
		{"eventTime with a space", `{"eventTime":"2025-01-21 17:49:47.000000000"}`,
			func(t *testing.T, e *lake.Event) {
				require.Equal(t, time.Date(2025, 1, 21, 17, 49, 47, 0, time.UTC), e.EventTime)
			}},
		{"@timestamp fallback", `{"@timestamp":"2020-09-14T00:44:23.000Z","@version":"1","eventName":"X"}`,
			func(t *testing.T, e *lake.Event) {
				require.Equal(t, time.Date(2020, 9, 14, 0, 44, 23, 0, time.UTC), e.EventTime)
			}},
		{"unicode", `{"eventTime":"2024-01-02T03:04:05Z","userAgent":"Grüße \u00e9 \ud83d\ude00 😀","requestParameters":{"naïve":"日本語"}}`,
			func(t *testing.T, e *lake.Event) {
				require.Equal(t, "Grüße é 😀 😀", *e.UserAgent)
				require.Equal(t, map[string]string{"naïve": "日本語"}, e.RequestParameters)
			}},
		{"invalid UTF-8 replaced", "{\"eventTime\":\"2024-01-02T03:04:05Z\",\"userAgent\":\"a\xffb\"}",
			func(t *testing.T, e *lake.Event) {
				require.Equal(t, "a\uFFFDb", *e.UserAgent)
				require.True(t, json.Valid([]byte(e.EventJSON)))
			}},
		{"100 KB requestParameters", `{"eventTime":"2024-01-02T03:04:05Z","requestParameters":{"policy":"` + big + `","doc":{"k":"` + big + `"}}}`,
			func(t *testing.T, e *lake.Event) {
				want := strings.ReplaceAll(big, `\"`, `"`)
				require.Equal(t, want, e.RequestParameters["policy"])
				require.Equal(t, `{"k":"`+big+`"}`, e.RequestParameters["doc"])
			}},
		{"nested values as JSON text", `{"eventTime":"2024-01-02T03:04:05Z","requestParameters":{"s":"a\"b","n":1.50,"e":-2E+3,"t":true,"f":false,"z":null,"o":{"b":1, "a":[1, "x"]},"a":[],"eo":{}}}`,
			func(t *testing.T, e *lake.Event) {
				require.Equal(t, map[string]string{
					"s": `a"b`, "n": "1.50", "e": "-2E+3", "t": "true", "f": "false",
					"o": `{"b":1,"a":[1,"x"]}`, "a": "[]", "eo": "{}",
				}, e.RequestParameters)
			}},
		{"non-string scalars in string columns", `{"eventTime":"2024-01-02T03:04:05Z","eventVersion":1.08,"errorCode":404,"userAgent":{"a":1}}`,
			func(t *testing.T, e *lake.Event) {
				require.Equal(t, "1.08", *e.EventVersion)
				require.Equal(t, "404", *e.ErrorCode)
				require.Equal(t, `{"a":1}`, *e.UserAgent)
			}},
		{"user identity", `{"eventTime":"2024-01-02T03:04:05Z","userIdentity":{"type":"AssumedRole","principalId":"P:s","arn":"arn","accountId":"1","accessKeyId":"","invokedBy":"svc","identityProvider":"idp","credentialId":"c","sessionContext":{"attributes":{"creationDate":"2024-01-01T00:00:00Z","mfaAuthenticated":true},"sessionIssuer":{},"webIdFederationData":{"federatedProvider":"fp","attributes":{"k":"v","n":null}},"sourceIdentity":"si","ec2RoleDelivery":"2.0","ec2IssuedInVPC":"vpc-1"}}}`,
			func(t *testing.T, e *lake.Event) {
				cd := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
				require.Equal(t, &lake.UserIdentity{
					Type: strp("AssumedRole"), PrincipalID: strp("P:s"), ARN: strp("arn"), AccountID: strp("1"),
					AccessKeyID: strp(""), InvokedBy: strp("svc"), IdentityProvider: strp("idp"), CredentialID: strp("c"),
					SessionContext: &lake.SessionContext{
						Attributes:          &lake.SessionAttributes{CreationDate: &cd, MFAAuthenticated: strp("true")},
						SessionIssuer:       &lake.SessionIssuer{},
						WebIDFederationData: &lake.WebIDFederationData{FederatedProvider: strp("fp"), Attributes: map[string]string{"k": "v"}},
						SourceIdentity:      strp("si"), EC2RoleDelivery: strp("2.0"), EC2IssuedInVPC: strp("vpc-1"),
					},
				}, e.UserIdentity)
			}},
		{"bad creationDate is null", `{"eventTime":"2024-01-02T03:04:05Z","userIdentity":{"sessionContext":{"attributes":{"creationDate":"soon"}}}}`,
			func(t *testing.T, e *lake.Event) {
				require.Nil(t, e.UserIdentity.SessionContext.Attributes.CreationDate)
			}},
		{"tls details and maps", `{"eventTime":"2024-01-02T03:04:05Z","tlsDetails":{"tlsVersion":"TLSv1.3","cipherSuite":"c","clientProvidedHostHeader":"h"},"addendum":{"reason":"DELIVERY_DELAY"},"serviceEventDetails":{"a":1},"edgeDeviceDetails":{"b":"2"},"insightDetails":{"state":"Start","insightContext":{"x":1}}}`,
			func(t *testing.T, e *lake.Event) {
				require.Equal(t, &lake.TLSDetails{TLSVersion: strp("TLSv1.3"), CipherSuite: strp("c"), ClientProvidedHostHeader: strp("h")}, e.TLSDetails)
				require.Equal(t, map[string]string{"reason": "DELIVERY_DELAY"}, e.Addendum)
				require.Equal(t, map[string]string{"a": "1"}, e.ServiceEventDetails)
				require.Equal(t, map[string]string{"b": "2"}, e.EdgeDeviceDetails)
				require.Equal(t, map[string]string{"state": "Start", "insightContext": `{"x":1}`}, e.InsightDetails)
			}},
		{"eventJson is compact with order and number text kept", "{ \"eventTime\" : \"2024-01-02T03:04:05Z\",\n \"z\": 1.0e+2, \"a\": [ 1 , 2 ], \"u\": \"\\u00e9\\/\" }",
			func(t *testing.T, e *lake.Event) {
				require.Equal(t, `{"eventTime":"2024-01-02T03:04:05Z","z":1.0e+2,"a":[1,2],"u":"\u00e9\/"}`, e.EventJSON)
			}},
		{"lookup events object", `{"EventId":"1","ReadOnly":"true","CloudTrailEvent":"{\"eventTime\":\"2022-02-07T22:23:37Z\",\"eventName\":\"DescribeInstances\",\"readOnly\":true}"}`,
			func(t *testing.T, e *lake.Event) {
				require.Equal(t, "DescribeInstances", *e.EventName)
				require.Equal(t, `{"eventTime":"2022-02-07T22:23:37Z","eventName":"DescribeInstances","readOnly":true}`, e.EventJSON)
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.check(t, decodeOne(t, tt.input))
		})
	}
}

func TestDecodeTimeErrors(t *testing.T) {
	tests := []struct{ name, input, msg string }{
		{"month 13", `{"eventTime":"2024-13-01T00:00:00Z"}`, `eventTime "2024-13-01T00:00:00Z" is not a valid time`},
		{"february 30", `{"eventTime":"2023-02-30T00:00:00Z"}`, `eventTime "2023-02-30T00:00:00Z" is not a valid time`},
		{"before 1970", `{"eventTime":"1969-12-31T23:59:59Z"}`, `eventTime "1969-12-31T23:59:59Z" is not a valid time`},
		{"before 1970 by offset", `{"eventTime":"1970-01-01T00:30:00+01:00"}`, `eventTime "1970-01-01T00:30:00+01:00" is not a valid time`},
		{"negative epoch", `{"eventTime":-1}`, `eventTime -1 is not a valid time`},
		{"huge epoch", `{"eventTime":1e300}`, `eventTime 1e300 is not a valid time`},
		{"year 10000", `{"eventTime":"10000-01-01T00:00:00Z"}`, `eventTime "10000-01-01T00:00:00Z" is not a valid time`},
		{"boolean", `{"eventTime":true}`, `eventTime true is not a valid time`},
		{"null", `{"eventTime":null}`, `eventTime is missing`},
		{"bad @timestamp", `{"@timestamp":"x"}`, `@timestamp "x" is not a valid time`},
		{"missing", `{"eventName":"X"}`, `eventTime is missing`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs, res := decodeAll(t, "t.json", []byte(tt.input))
			require.Empty(t, evs)
			require.Len(t, res.Errors, 1)
			require.ErrorIs(t, res.Errors[0], ErrEventTime)
			require.Equal(t, "t.json: record 0 (line 1, offset 0): "+tt.msg, res.Errors[0].Error())
		})
	}
}

// benchInput is every sample record as one Records file, repeated to about
// 20 MB.
func benchInput(b *testing.B) ([]byte, int) {
	var recs [][]byte
	err := filepath.WalkDir(samplesDir, func(p string, de os.DirEntry, err error) error {
		if err != nil || de.IsDir() || filepath.Ext(p) == ".tsv" || filepath.Ext(p) == ".md" {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if filepath.Ext(p) == ".gz" {
			zr, err := gzip.NewReader(bytes.NewReader(data))
			if err != nil {
				return err
			}
			if data, err = io.ReadAll(zr); err != nil {
				return err
			}
		}
		_, err = NewDecoder().Decode(p, bytes.NewReader(data), func(e *lake.Event) error {
			recs = append(recs, []byte(e.EventJSON))
			return nil
		})
		return err
	})
	require.NoError(b, err)
	var buf bytes.Buffer
	n := 0
	buf.WriteString(`{"Records":[`)
	for buf.Len() < 20<<20 {
		for _, r := range recs {
			if n > 0 {
				buf.WriteByte(',')
			}
			buf.Write(r)
			n++
		}
	}
	buf.WriteString("]}")
	return buf.Bytes(), n
}

func BenchmarkDecode(b *testing.B) {
	plain, n := benchInput(b)
	for _, tc := range []struct {
		name  string
		input []byte
	}{{"plain", plain}, {"gzip", gz(b, plain)}} {
		b.Run(tc.name, func(b *testing.B) {
			d := NewDecoder()
			b.SetBytes(int64(len(plain)))
			b.ReportAllocs()
			events := 0
			for b.Loop() {
				res, err := d.Decode("bench", bytes.NewReader(tc.input), func(*lake.Event) error { return nil })
				if err != nil || res.Events != n {
					b.Fatal(err, res.Events, n)
				}
				events += res.Events
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(events), "ns/event")
		})
	}
}

func TestHasSpecial(t *testing.T) {
	for c := range 256 {
		for pos := range 8 {
			var b [8]byte
			for i := range b {
				b[i] = 'a'
			}
			b[pos] = byte(c)
			x := uint64(0)
			for i := 7; i >= 0; i-- {
				x = x<<8 | uint64(b[i])
			}
			if !plain[c] {
				require.True(t, hasSpecial(x), "byte %#x at %d", c, pos)
			}
		}
	}
}
