package query

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"flag"
	"io"
	"math"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/duckdb/duckdb-go/v2"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// formatQuery selects one value of most types DuckDB returns.
const formatQuery = `SELECT eventTime, eventName, readOnly, userIdentity.arn AS arn,
	requestParameters, resources, userIdentity,
	1.5::DOUBLE AS dbl, 12.30::DECIMAL(10,2) AS "dec", 10::HUGEINT AS huge,
	DATE '2024-01-02' AS d, TIME '10:11:12.5' AS tm, NULL AS nothing,
	'a,"quoted"' || chr(10) || 'line' AS tricky, rpad('', 60, 'x') AS wide,
	INTERVAL 1 DAY + INTERVAL 90 MINUTE AS iv, '0b5e1c2a-7d3f-4e8a-9c1b-2f4d6e8a0b1c'::UUID AS u,
	[1, 2] AS list, 'ünï <&>' AS uni, count(*) OVER () AS n, eventName AS eventName
FROM prod-trail WHERE eventTime < '2024-01-02' ORDER BY eventTime`

func TestFormatGolden(t *testing.T) {
	e := newTestEngine(t, testLake(t), Options{})
	for _, tc := range []struct {
		file  string
		write func(io.Writer, *Rows) error
	}{
		{"format.csv", WriteCSV},
		{"format.jsonl", WriteJSON},
		{"format.txt", WriteTable},
	} {
		t.Run(tc.file, func(t *testing.T) {
			rows, err := e.Query(context.Background(), formatQuery)
			require.NoError(t, err)
			var buf bytes.Buffer
			require.NoError(t, tc.write(&buf, rows))
			require.NoError(t, rows.Close())
			golden(t, tc.file, buf.Bytes())
		})
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run with -update to create it")
	require.Equal(t, string(want), string(got))
}

func TestWriteCSVRoundTrip(t *testing.T) {
	recs := queryCSV(t, newTestEngine(t, testLake(t), Options{}), formatQuery)
	require.Len(t, recs, 4)
	require.Equal(t, "eventTime", recs[0][0])
	require.Equal(t, "2024-01-01 09:30:00.250", recs[2][0])
	require.Equal(t, "a,\"quoted\"\nline", recs[1][13])
	require.Empty(t, recs[1][12])
	require.Equal(t, "{bucketName=logs, key=a.txt}", recs[1][4], "maps are in Trino's text form")
	require.Equal(t, "[{accountId=null, type=AWS::S3::Object, arn=arn:aws:s3:::logs/a.txt, arnPrefix=null}]", recs[1][5], "arrays of rows too")
}

// TestWriteCSVOneEmptyColumn checks that rows of one column holding NULL or
// "" survive a CSV reader: written as blank lines they would be no records.
func TestWriteCSVOneEmptyColumn(t *testing.T) {
	recs := queryCSV(t, newTestEngine(t, testLake(t), Options{}), "SELECT x FROM (VALUES (NULL), (''), ('a')) AS t(x)")
	require.Equal(t, [][]string{{"x"}, {""}, {""}, {"a"}}, recs)
}

func TestWriteJSONValid(t *testing.T) {
	e := newTestEngine(t, testLake(t), Options{})
	rows, err := e.Query(context.Background(), formatQuery)
	require.NoError(t, err)
	var buf bytes.Buffer
	require.NoError(t, WriteJSON(&buf, rows))
	require.NoError(t, rows.Close())
	sc := bufio.NewScanner(&buf)
	n := 0
	for sc.Scan() {
		var row map[string]any
		require.NoError(t, json.Unmarshal(sc.Bytes(), &row), sc.Text())
		require.Contains(t, row, "eventName_2")
		require.Equal(t, 1.5, row["dbl"])
		require.Nil(t, row["nothing"])
		n++
	}
	require.Equal(t, 3, n)
}

func TestScalarText(t *testing.T) {
	ts := parseType("TIMESTAMP")
	tests := []struct {
		v    any
		t    string
		want string
	}{
		{nil, "VARCHAR", ""},
		{true, "BOOLEAN", "true"},
		{int64(-3), "BIGINT", "-3"},
		{uint8(7), "UTINYINT", "7"},
		{0.1, "DOUBLE", "0.1"},
		{float32(0.1), "FLOAT", "0.1"},
		{1e300, "DOUBLE", "1.0E300"},
		{1.0, "DOUBLE", "1.0"},
		{2.5e-4, "DOUBLE", "2.5E-4"},
		{1e7, "DOUBLE", "1.0E7"},
		{1234567.5, "DOUBLE", "1234567.5"},
		{math.NaN(), "DOUBLE", "NaN"},
		{math.Inf(-1), "DOUBLE", "-Infinity"},
		{big.NewInt(12345678901234), "HUGEINT", "12345678901234"},
		{duckdb.Decimal{Width: 10, Scale: 2, Value: big.NewInt(1230)}, "DECIMAL(10,2)", "12.30"},
		{duckdb.Decimal{Width: 10, Scale: 3, Value: big.NewInt(-5)}, "DECIMAL(10,3)", "-0.005"},
		{duckdb.Decimal{Width: 4, Scale: 0, Value: big.NewInt(42)}, "DECIMAL(4,0)", "42"},
		{time.Date(2024, 1, 2, 3, 4, 5, 678900000, time.UTC), "TIMESTAMP", "2024-01-02 03:04:05.678"},
		{time.Date(2024, 1, 2, 3, 4, 5, 0, time.FixedZone("x", 3600)), "TIMESTAMP WITH TIME ZONE", "2024-01-02 02:04:05.000 UTC"},
		{time.Date(2024, 1, 2, 3, 4, 5, 6e6, time.UTC), "TIMESTAMPTZ", "2024-01-02 03:04:05.006 UTC"},
		{[]any{time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)}, "TIMESTAMPTZ[]", `[2024-01-02 03:04:05.000 UTC]`},
		{time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC), "DATE", "2024-01-02"},
		{time.Date(1, 1, 1, 10, 11, 12, 0, time.UTC), "TIME", "10:11:12.000"},
		{[]byte{0, 'a', '\\'}, "BLOB", `\x00a\x5C`},
		{duckdb.Interval{Months: 14, Days: 3, Micros: 3_723_500_000}, "INTERVAL", "1 year 2 months 3 days 01:02:03.5"},
		{duckdb.Interval{}, "INTERVAL", "00:00:00"},
		{[]any{"a", nil}, "VARCHAR[]", `[a, null]`},
		{map[string]any{"b": int32(1), "a": "x"}, "STRUCT(b INTEGER, a VARCHAR)", `{b=1, a=x}`},
		{map[string]any{"b": int32(1), "a": "x"}, "garbage((", `{a=x, b=1}`},
		{map[string]any{"b": map[string]any{"c": 1.5}}, "JSON", `{"b":{"c":1.5}}`},
		{"abc", "JSON", `"abc"`},
		{[]any{time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)}, "TIMESTAMP[]", `[2024-01-02 03:04:05.000]`},
		{duckdb.Union{Tag: "n", Value: int32(5)}, "UNION(n INTEGER, s VARCHAR)", "5"},
	}
	for _, tc := range tests {
		require.Equal(t, tc.want, csvCell(tc.v, parseType(tc.t)), "%v as %s", tc.v, tc.t)
	}
	require.Equal(t, `"2024-01-02 03:04:05.000"`, string(appendJSON(nil, time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC), ts)))
	require.Equal(t, `"NaN"`, string(appendJSON(nil, math.NaN(), nil)))
	require.Equal(t, `"\u0001\n\"\\<"`, string(appendJSON(nil, "\x01\n\"\\<", nil)))
}

func TestParseType(t *testing.T) {
	ty := parseType(`STRUCT("type" VARCHAR, "a b" MAP(VARCHAR, TIMESTAMP WITH TIME ZONE)[], c DECIMAL(10,2), d ENUM('x, y', 'z'))[]`)
	require.Equal(t, "LIST", ty.name)
	s := ty.elem
	require.Equal(t, "STRUCT", s.name)
	require.Len(t, s.fields, 4)
	require.Equal(t, "type", s.fields[0].name)
	require.Equal(t, "a b", s.fields[1].name)
	require.Equal(t, "LIST", s.fields[1].typ.name)
	require.Equal(t, "TIMESTAMP WITH TIME ZONE", s.fields[1].typ.elem.val.name)
	require.Equal(t, "DECIMAL", s.fields[2].typ.name)
	require.Equal(t, "ENUM", s.fields[3].typ.name)
	for _, bad := range []string{"", "(", "STRUCT(", "MAP(", "STRUCT(a", "X[", `STRUCT("a`} {
		require.NotNil(t, parseType(bad))
	}
}

func TestTableCell(t *testing.T) {
	require.Equal(t, `a\nb\tc`, tableCell("a\nb\tc"))
	long := tableCell(string(bytes.Repeat([]byte("é"), 50)))
	require.Equal(t, MaxTableCellWidth, len([]rune(long)))
	require.Equal(t, '…', []rune(long)[MaxTableCellWidth-1])
}

// FuzzCSVField: WriteCSV's field writer writes what encoding/csv writes.
func FuzzCSVField(f *testing.F) {
	for _, s := range []string{"", "plain", "a,b", `say "hi"`, "two\nlines", "cr\rlf", " lead", "\tlead", `\.`, "\u00a0nbsp", "é✓", `""`, "\x85next"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var want bytes.Buffer
		cw := csv.NewWriter(&want)
		if err := cw.Write([]string{s, "x"}); err != nil {
			t.Fatal(err)
		}
		cw.Flush()
		got := append(appendCSVField(nil, []byte(s)), ",x\n"...)
		if string(got) != want.String() {
			t.Fatalf("field %q: got %q, encoding/csv writes %q", s, got, want.String())
		}
	})
}
