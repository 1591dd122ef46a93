package pgwire

import (
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/duckdb/duckdb-go/v2"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/stretchr/testify/require"
)

// appendBinary must write what pgtype writes for the same value.
func TestAppendBinaryMatchesPgtype(t *testing.T) {
	ts := time.Date(2024, 3, 1, 12, 30, 45, 123456000, time.UTC)
	cases := []struct {
		name string
		oid  uint32
		v    any
	}{
		{"bool true", oidBool, true}, {"bool false", oidBool, false},
		{"int2 from int8", oidInt2, int8(-7)}, {"int2 from uint8", oidInt2, uint8(200)}, {"int2", oidInt2, int16(math.MinInt16)},
		{"int4", oidInt4, int32(math.MaxInt32)}, {"int4 from uint16", oidInt4, uint16(65535)},
		{"int8", oidInt8, int64(math.MinInt64)}, {"int8 from uint32", oidInt8, uint32(math.MaxUint32)},
		{"float4", oidFloat4, float32(1.5)}, {"float8", oidFloat8, math.Inf(-1)}, {"float8 nan", oidFloat8, math.NaN()},
		{"timestamp", oidTimestamp, ts}, {"timestamp before 2000", oidTimestamp, time.Date(1969, 12, 31, 23, 59, 59, 1000, time.UTC)},
		{"timestamptz", oidTimestamptz, ts.In(time.FixedZone("x", 3600))},
		{"date", oidDate, time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)}, {"date before 2000", oidDate, time.Date(1999, 12, 31, 0, 0, 0, 0, time.UTC)},
		{"text", oidText, "héllo"}, {"json struct", oidJSON, map[string]any{"b": int64(1), "a": "x"}},
	}
	m := pgtype.NewMap()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := appendBinary([]byte("prefix"), tc.v, tc.oid)
			require.True(t, ok)
			want, err := m.Encode(tc.oid, pgtype.BinaryFormatCode, binaryValue(tc.v, tc.oid), []byte("prefix"))
			require.NoError(t, err)
			require.Equal(t, want, got)
		})
	}
	t.Run("out of range falls back", func(t *testing.T) {
		_, ok := appendBinary(nil, int32(70000), oidInt2)
		require.False(t, ok)
		_, ok = appendBinary(nil, uint64(math.MaxUint64), oidInt8)
		require.False(t, ok)
		_, ok = appendBinary(nil, "12", oidInt8)
		require.False(t, ok)
	})
}

func TestAppendJSON(t *testing.T) {
	om := duckdb.OrderedMap{}
	om.Set("k2", `{"x":1}`)
	om.Set("k1", nil)
	v := map[string]any{
		"userName": "a\"b\\c\n\u2028<&>", "n": int32(-3), "u": uint64(math.MaxUint64), "f": 1.5, "nan": math.NaN(),
		"t": time.Date(2024, 1, 1, 0, 0, 1, 0, time.UTC), "list": []any{true, nil, "x"}, "map": om,
	}
	got := string(appendJSON(nil, v))
	require.Equal(t, `{"f":1.5,"list":[true,null,"x"],"map":{"k2":"{\"x\":1}","k1":null},"n":-3,"nan":null,`+
		`"t":"2024-01-01 00:00:01","u":18446744073709551615,"userName":"a\"b\\c\n\u2028<&>"}`, got)
	require.True(t, json.Valid([]byte(got)))
}

// FuzzAppendJSONString checks the hand-written JSON string encoder against
// encoding/json: the same string comes back.
func FuzzAppendJSONString(f *testing.F) {
	for _, s := range []string{"", "plain", "quote\" back\\slash", "\x00\x1f\x7f", "\xff\xfe bad utf-8", "\u2028\u2029", "日本語 <&>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := appendJSONString([]byte("x"), s)[1:]
		var got, want string
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatalf("%q encodes as invalid JSON %s: %v", s, out, err)
		}
		ref, _ := json.Marshal(s)
		if err := json.Unmarshal(ref, &want); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Fatalf("%q: got %q, encoding/json gives %q", s, got, want)
		}
	})
}

func TestAppendCopyField(t *testing.T) {
	csv := &copyOptions{csv: true, delimiter: ','}
	text := &copyOptions{delimiter: '\t'}
	for _, tc := range []struct {
		in   string
		opts *copyOptions
		want string
	}{
		{"plain", csv, "plain"}, {"", csv, `""`}, {`a"b`, csv, `"a""b"`}, {"a,b", csv, `"a,b"`}, {"a\nb", csv, "\"a\nb\""},
		{"a\tb\\c\nd\re", text, `a\tb\\c\nd\re`}, {"a,b", text, "a,b"},
	} {
		require.Equal(t, tc.want, string(appendCopyField([]byte{}, []byte(tc.in), tc.opts)), "%q", tc.in)
	}
}

// BenchmarkEncodeRow encodes a row shaped like a store's nested columns,
// in text format (psql, COPY) and binary format (pgx).
func BenchmarkEncodeRow(b *testing.B) {
	params := duckdb.OrderedMap{}
	params.Set("bucketName", "logs-111122223333")
	params.Set("key", `"2024/01/01/app.log"`)
	row := []any{
		time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), "GetObject", true, int64(42),
		map[string]any{"type": "AssumedRole", "arn": "arn:aws:sts::111122223333:assumed-role/r/s", "accountId": "111122223333",
			"sessionContext": map[string]any{"attributes": map[string]any{"mfaAuthenticated": "false", "creationDate": "2024-01-01T00:00:00Z"}}},
		params,
		[]any{map[string]any{"type": "AWS::S3::Object", "ARN": "arn:aws:s3:::logs/app.log", "accountId": "111122223333"}},
	}
	cols := []column{{"eventTime", oidTimestamp}, {"eventName", oidText}, {"readOnly", oidBool}, {"n", oidInt8},
		{"userIdentity", oidJSON}, {"requestParameters", oidJSON}, {"resources", oidJSON}}
	for _, format := range []int16{pgtype.TextFormatCode, pgtype.BinaryFormatCode} {
		b.Run(map[int16]string{0: "text", 1: "binary"}[format], func(b *testing.B) {
			enc := newRowEncoder(len(cols))
			b.ReportAllocs()
			for b.Loop() {
				if err := enc.encode(row, cols, []int16{format}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
