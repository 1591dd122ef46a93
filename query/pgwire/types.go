package pgwire

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/duckdb/duckdb-go/v2"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/auditlake/auditlake/internal/jsonstr"
)

// PostgreSQL type OIDs, as pg_type numbers them in every release.
const (
	oidBool        = 16
	oidBytea       = 17
	oidName        = 19
	oidInt8        = 20
	oidInt2        = 21
	oidInt4        = 23
	oidText        = 25
	oidOID         = 26
	oidJSON        = 114
	oidFloat4      = 700
	oidFloat8      = 701
	oidVarchar     = 1043
	oidDate        = 1082
	oidTime        = 1083
	oidTimestamp   = 1114
	oidTimestamptz = 1184
	oidInterval    = 1186
	oidNumeric     = 1700
	oidUUID        = 2950
	oidTextArray   = 1009
	oidInt2Array   = 1005
	oidInt4Array   = 1007
	oidInt8Array   = 1016
	oidOIDArray    = 1028
	oidBoolArray   = 1000
	oidFloat8Array = 1022
)

// typeLen is pg_type.typlen of the types above (-1: variable).
func typeLen(oid uint32) int16 {
	switch oid {
	case oidBool:
		return 1
	case oidInt2:
		return 2
	case oidInt4, oidOID, oidFloat4, oidDate:
		return 4
	case oidInt8, oidFloat8, oidTime, oidTimestamp, oidTimestamptz:
		return 8
	case oidInterval, oidUUID:
		return 16
	case oidName:
		return 64
	}
	return -1
}

// pgType maps a DuckDB result type, as duckdb-go names it, to a PostgreSQL
// type OID. In the catalog, UINTEGER columns are OIDs and lists are
// PostgreSQL arrays; in store results nested values (STRUCT, MAP, LIST)
// are JSON text.
func pgType(duck string, catalog bool) uint32 {
	t := strings.ToUpper(strings.TrimSpace(duck))
	if strings.HasSuffix(t, "[]") {
		if !catalog {
			return oidJSON
		}
		switch pgType(strings.TrimSuffix(t, "[]"), true) {
		case oidInt2:
			return oidInt2Array
		case oidInt4:
			return oidInt4Array
		case oidInt8:
			return oidInt8Array
		case oidOID:
			return oidOIDArray
		case oidBool:
			return oidBoolArray
		case oidFloat8:
			return oidFloat8Array
		}
		return oidTextArray
	}
	if i := strings.IndexByte(t, '('); i >= 0 {
		t = t[:i]
	}
	switch t {
	case "BOOLEAN":
		return oidBool
	case "TINYINT", "SMALLINT", "UTINYINT":
		return oidInt2
	case "INTEGER", "USMALLINT":
		return oidInt4
	case "UINTEGER":
		if catalog {
			return oidOID
		}
		return oidInt8
	case "BIGINT":
		return oidInt8
	case "UBIGINT", "HUGEINT", "UHUGEINT", "DECIMAL", "BIGNUM", "VARINT":
		return oidNumeric
	case "FLOAT":
		return oidFloat4
	case "DOUBLE":
		return oidFloat8
	case "DATE":
		return oidDate
	case "TIME":
		return oidTime
	case "TIMESTAMP", "TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_NS", "DATETIME":
		return oidTimestamp
	case "TIMESTAMPTZ", "TIMESTAMP WITH TIME ZONE":
		return oidTimestamptz
	case "INTERVAL":
		return oidInterval
	case "UUID":
		return oidUUID
	case "BLOB":
		return oidBytea
	case "JSON", "STRUCT", "MAP", "UNION", "LIST", "ARRAY":
		return oidJSON
	}
	return oidText
}

// formatType is PostgreSQL's name for a type OID, as format_type prints it.
func formatType(oid uint32) string {
	switch oid {
	case oidBool:
		return "boolean"
	case oidInt2:
		return "smallint"
	case oidInt4:
		return "integer"
	case oidInt8:
		return "bigint"
	case oidFloat4:
		return "real"
	case oidFloat8:
		return "double precision"
	case oidNumeric:
		return "numeric"
	case oidDate:
		return "date"
	case oidTime:
		return "time without time zone"
	case oidTimestamp:
		return "timestamp without time zone"
	case oidTimestamptz:
		return "timestamp with time zone"
	case oidInterval:
		return "interval"
	case oidJSON:
		return "json"
	case oidBytea:
		return "bytea"
	case oidUUID:
		return "uuid"
	case oidOID:
		return "oid"
	case oidVarchar:
		return "character varying"
	}
	return "text"
}

// appendText appends v, a value of a column of PostgreSQL type oid, in
// PostgreSQL's text output format. NULL is handled by the caller.
func appendText(b []byte, v any, oid uint32) []byte {
	if oid == oidJSON {
		if s, ok := v.(string); ok {
			return append(b, s...)
		}
		return appendJSON(b, v)
	}
	switch v := v.(type) {
	case bool:
		if v {
			return append(b, 't')
		}
		return append(b, 'f')
	case string:
		return append(b, v...)
	case []byte:
		if oid == oidUUID && len(v) == 16 {
			return append(b, uuidString(v)...)
		}
		b = append(b, `\x`...)
		return hex.AppendEncode(b, v)
	case int8, int16, int32, int64, int, uint8, uint16, uint32, uint64, uint:
		return appendInt(b, v)
	case float32:
		return appendFloat(b, float64(v), 32)
	case float64:
		return appendFloat(b, v, 64)
	case time.Time:
		return appendTime(b, v, oid)
	case *big.Int:
		return v.Append(b, 10)
	case duckdb.Decimal:
		return append(b, v.String()...)
	case duckdb.Interval:
		return appendInterval(b, v)
	case []any:
		if oid == oidJSON || oid == oidText {
			return appendJSON(b, v)
		}
		return appendArray(b, v)
	case map[string]any, duckdb.OrderedMap, duckdb.Union:
		return appendJSON(b, v)
	}
	return fmt.Append(b, v)
}

func appendFloat(b []byte, f float64, bits int) []byte {
	switch {
	case math.IsNaN(f):
		return append(b, "NaN"...)
	case math.IsInf(f, 1):
		return append(b, "Infinity"...)
	case math.IsInf(f, -1):
		return append(b, "-Infinity"...)
	}
	return strconv.AppendFloat(b, f, 'g', -1, bits)
}

func appendTime(b []byte, t time.Time, oid uint32) []byte {
	switch oid {
	case oidDate:
		return t.AppendFormat(b, "2006-01-02")
	case oidTime:
		return t.AppendFormat(b, "15:04:05.999999")
	case oidTimestamptz:
		return t.UTC().AppendFormat(b, "2006-01-02 15:04:05.999999-07")
	}
	return t.AppendFormat(b, "2006-01-02 15:04:05.999999")
}

// appendInterval writes an interval as PostgreSQL's "postgres"
// IntervalStyle does: 1 year 2 mons 3 days 04:05:06.5.
func appendInterval(b []byte, iv duckdb.Interval) []byte {
	start := len(b)
	unit := func(n int64, one string) {
		if n == 0 {
			return
		}
		if len(b) > start {
			b = append(b, ' ')
		}
		b = strconv.AppendInt(b, n, 10)
		b = append(b, ' ')
		b = append(b, one...)
		if n != 1 && n != -1 {
			b = append(b, 's')
		}
	}
	unit(int64(iv.Months/12), "year")
	unit(int64(iv.Months%12), "mon")
	unit(int64(iv.Days), "day")
	if iv.Micros != 0 || len(b) == start {
		if len(b) > start {
			b = append(b, ' ')
		}
		us := iv.Micros
		if us < 0 {
			b = append(b, '-')
			us = -us
		}
		d := time.Duration(us) * time.Microsecond
		b = fmt.Appendf(b, "%02d:%02d:%02d", int64(d.Hours()), int64(d.Minutes())%60, int64(d.Seconds())%60)
		if frac := us % 1e6; frac != 0 {
			b = append(b, strings.TrimRight(fmt.Sprintf(".%06d", frac), "0")...)
		}
	}
	return b
}

// appendArray writes a PostgreSQL array literal: {a,b,"c d",NULL}.
func appendArray(b []byte, vs []any) []byte {
	b = append(b, '{')
	for i, v := range vs {
		if i > 0 {
			b = append(b, ',')
		}
		if v == nil {
			b = append(b, "NULL"...)
			continue
		}
		s := string(appendText(nil, v, oidText))
		if s == "" || strings.ContainsAny(s, `{}," \`) || strings.EqualFold(s, "null") {
			s = `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
		}
		b = append(b, s...)
	}
	return append(b, '}')
}

func uuidString(u []byte) string {
	h := hex.EncodeToString(u)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// appendJSON writes a value as JSON: structs and maps as objects (struct
// keys sorted), lists as arrays, timestamps as strings.
func appendJSON(b []byte, v any) []byte {
	switch v := v.(type) {
	case nil:
		return append(b, "null"...)
	case string:
		return appendJSONString(b, v)
	case bool:
		return strconv.AppendBool(b, v)
	case float32, float64:
		f := toFloat(v)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return append(b, "null"...)
		}
		return strconv.AppendFloat(b, f, 'g', -1, 64)
	case int8, int16, int32, int64, int, uint8, uint16, uint32, uint64, uint:
		return appendInt(b, v)
	case *big.Int:
		return v.Append(b, 10)
	case duckdb.Decimal:
		return append(b, v.String()...)
	case time.Time:
		b = append(b, '"')
		b = v.UTC().AppendFormat(b, "2006-01-02 15:04:05.999999")
		return append(b, '"')
	case []any:
		b = append(b, '[')
		for i, e := range v {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSON(b, e)
		}
		return append(b, ']')
	case map[string]any:
		var arr [32]string // struct fields: sorted without allocating
		keys := arr[:0]
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, k) // not appendJSON: boxing k would allocate
			b = append(b, ':')
			b = appendJSON(b, v[k])
		}
		return append(b, '}')
	case duckdb.OrderedMap:
		b = append(b, '{')
		vals := v.Values()
		for i, k := range v.Keys() {
			if i > 0 {
				b = append(b, ',')
			}
			if ks, ok := k.(string); ok {
				b = appendJSONString(b, ks)
			} else {
				b = appendJSONString(b, string(appendText(nil, k, oidText)))
			}
			b = append(b, ':')
			b = appendJSON(b, vals[i])
		}
		return append(b, '}')
	case duckdb.Union:
		return appendJSON(b, v.Value)
	}
	return appendJSON(b, string(appendText(nil, v, oidText)))
}

// appendInt appends an integer of any of Go's integer types in decimal.
func appendInt(b []byte, v any) []byte {
	switch v := v.(type) {
	case int8:
		return strconv.AppendInt(b, int64(v), 10)
	case int16:
		return strconv.AppendInt(b, int64(v), 10)
	case int32:
		return strconv.AppendInt(b, int64(v), 10)
	case int64:
		return strconv.AppendInt(b, v, 10)
	case int:
		return strconv.AppendInt(b, int64(v), 10)
	case uint8:
		return strconv.AppendUint(b, uint64(v), 10)
	case uint16:
		return strconv.AppendUint(b, uint64(v), 10)
	case uint32:
		return strconv.AppendUint(b, uint64(v), 10)
	case uint64:
		return strconv.AppendUint(b, v, 10)
	case uint:
		return strconv.AppendUint(b, uint64(v), 10)
	}
	return fmt.Append(b, v)
}

// appendJSONString appends s as a JSON string, as encoding/json writes it
// but without its HTML escaping. It does not allocate.
func appendJSONString(b []byte, s string) []byte { return jsonstr.Append(b, s, false) }

func toFloat(v any) float64 {
	if f, ok := v.(float32); ok {
		return float64(f)
	}
	return v.(float64)
}

// pgEpoch is 2000-01-01 00:00 UTC, the zero of PostgreSQL's binary
// timestamps and dates, in Unix seconds.
const pgEpoch = 946684800

// appendBinary appends v in PostgreSQL's binary format for the common
// types of store results, without pgtype's per-value planning; false when
// the type or value is not one of them (binaryValue and pgtype handle
// those).
func appendBinary(b []byte, v any, oid uint32) ([]byte, bool) {
	switch oid {
	case oidText, oidVarchar, oidJSON:
		return appendText(b, v, oid), true // the binary format is the text
	case oidBool:
		if x, ok := v.(bool); ok {
			if x {
				return append(b, 1), true
			}
			return append(b, 0), true
		}
	case oidInt2, oidInt4, oidInt8:
		n, ok := asInt64(v)
		if !ok {
			return b, false
		}
		switch oid {
		case oidInt2:
			return binary.BigEndian.AppendUint16(b, uint16(n)), n >= math.MinInt16 && n <= math.MaxInt16
		case oidInt4:
			return binary.BigEndian.AppendUint32(b, uint32(n)), n >= math.MinInt32 && n <= math.MaxInt32
		}
		return binary.BigEndian.AppendUint64(b, uint64(n)), true
	case oidFloat4:
		if f, ok := v.(float32); ok {
			return binary.BigEndian.AppendUint32(b, math.Float32bits(f)), true
		}
	case oidFloat8:
		if f, ok := v.(float64); ok {
			return binary.BigEndian.AppendUint64(b, math.Float64bits(f)), true
		}
	case oidTimestamp, oidTimestamptz:
		if t, ok := v.(time.Time); ok {
			return binary.BigEndian.AppendUint64(b, uint64(t.UnixMicro()-pgEpoch*1e6)), true
		}
	case oidDate:
		if t, ok := v.(time.Time); ok {
			days := (t.Unix() - pgEpoch) / 86400
			if t.Unix() < pgEpoch && (t.Unix()-pgEpoch)%86400 != 0 {
				days-- // floor
			}
			return binary.BigEndian.AppendUint32(b, uint32(int32(days))), true
		}
	}
	return b, false
}

// asInt64 returns an integer of any of Go's integer types that fits in
// an int64.
func asInt64(v any) (int64, bool) {
	switch v := v.(type) {
	case int8:
		return int64(v), true
	case int16:
		return int64(v), true
	case int32:
		return int64(v), true
	case int64:
		return v, true
	case int:
		return int64(v), true
	case uint8:
		return int64(v), true
	case uint16:
		return int64(v), true
	case uint32:
		return int64(v), true
	case uint64:
		return int64(v), v <= math.MaxInt64
	}
	return 0, false
}

// binaryValue converts a DuckDB value to one pgtype encodes in binary
// format for oid.
func binaryValue(v any, oid uint32) any {
	switch oid {
	case oidJSON, oidText, oidVarchar:
		return string(appendText(nil, v, oid))
	case oidNumeric:
		switch v := v.(type) {
		case *big.Int:
			return pgtype.Numeric{Int: v, Valid: true}
		case duckdb.Decimal:
			return pgtype.Numeric{Int: v.Value, Exp: -int32(v.Scale), Valid: true}
		case uint64:
			return pgtype.Numeric{Int: new(big.Int).SetUint64(v), Valid: true}
		}
	case oidTime:
		if t, ok := v.(time.Time); ok {
			us := int64(t.Hour())*3600e6 + int64(t.Minute())*60e6 + int64(t.Second())*1e6 + int64(t.Nanosecond())/1e3
			return pgtype.Time{Microseconds: us, Valid: true}
		}
	case oidInterval:
		if iv, ok := v.(duckdb.Interval); ok {
			return pgtype.Interval{Months: iv.Months, Days: iv.Days, Microseconds: iv.Micros, Valid: true}
		}
	case oidUUID:
		if u, ok := v.([]byte); ok && len(u) == 16 {
			return [16]byte(u)
		}
	case oidTimestamp:
		if t, ok := v.(time.Time); ok {
			return pgtype.Timestamp{Time: t.UTC(), Valid: true}
		}
	case oidTextArray:
		if vs, ok := v.([]any); ok {
			out := make([]*string, len(vs))
			for i, e := range vs {
				if e != nil {
					s := string(appendText(nil, e, oidText))
					out[i] = &s
				}
			}
			return out
		}
	}
	return v
}
