package query

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/auditlake/auditlake/internal/jsonstr"
)

// Value formats, shared by all writers and described in docs/query.md.
const (
	timestampLayout = "2006-01-02 15:04:05.000" // CloudTrail Lake: milliseconds, no zone
	dateLayout      = "2006-01-02"
	timeLayout      = "15:04:05.000"
)

// WriteCSV writes a header row and then every row of r as CSV (RFC 4180),
// with values in CloudTrail Lake's text form: see docs/query.md. It does
// not close r; it returns the first write error or r.Err().
func WriteCSV(w io.Writer, r *Rows) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	types := columnTypes(r)
	var line, cell []byte
	for i, c := range r.Columns() {
		if i > 0 {
			line = append(line, ',')
		}
		line = appendCSVField(line, []byte(c.Name))
	}
	line = append(line, '\n')
	if _, err := bw.Write(line); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	for r.Next() {
		line = line[:0]
		for i, v := range r.Values() {
			if i > 0 {
				line = append(line, ',')
			}
			cell = appendCSVCell(cell[:0], v, types[i])
			line = appendCSVField(line, cell)
		}
		if len(line) == 0 {
			// One column holding NULL or "": a blank line would be no
			// record at all to a CSV reader, so the row would vanish.
			line = append(line, '"', '"')
		}
		line = append(line, '\n')
		if _, err := bw.Write(line); err != nil {
			return fmt.Errorf("write csv: %w", err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	return r.Err()
}

// appendCSVField appends field as encoding/csv's Writer writes it (comma
// separator, \n line ends): quoted, with quotes doubled, when it holds a
// comma, quote, CR or LF, begins with a space or tab, or is \. alone.
// Writing into one reused line buffer instead of a []string per row keeps
// a large result from allocating per cell.
func appendCSVField(b, field []byte) []byte {
	if !csvNeedsQuotes(field) {
		return append(b, field...)
	}
	b = append(b, '"')
	for {
		i := slices.Index(field, '"')
		if i < 0 {
			break
		}
		b = append(b, field[:i+1]...)
		b = append(b, '"')
		field = field[i+1:]
	}
	b = append(b, field...)
	return append(b, '"')
}

func csvNeedsQuotes(field []byte) bool {
	if len(field) == 0 {
		return false
	}
	if len(field) == 2 && field[0] == '\\' && field[1] == '.' {
		return true
	}
	for _, c := range field {
		if c == ',' || c == '"' || c == '\r' || c == '\n' {
			return true
		}
	}
	r, _ := utf8.DecodeRune(field)
	return unicode.IsSpace(r)
}

// WriteJSON writes r as JSON Lines: one object per row, keys in select-list
// order (a repeated column name gets a suffix _2, _3, ...), values typed:
// numbers, booleans, null, strings, nested objects and arrays, with
// timestamps as the same text as in CSV. It does not close r.
func WriteJSON(w io.Writer, r *Rows) error {
	bw := bufio.NewWriter(w)
	types := columnTypes(r)
	keys := jsonKeys(r.Columns())
	var buf []byte
	for r.Next() {
		buf = append(buf[:0], '{')
		for i, v := range r.Values() {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = appendJSONString(buf, keys[i])
			buf = append(buf, ':')
			buf = appendJSON(buf, v, types[i])
		}
		buf = append(buf, '}', '\n')
		if _, err := bw.Write(buf); err != nil {
			return fmt.Errorf("write json: %w", err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write json: %w", err)
	}
	return r.Err()
}

// jsonKeys makes column names unique by suffixing repeats with _2, _3, ....
func jsonKeys(cols []Column) []string {
	used := map[string]bool{}
	keys := make([]string, len(cols))
	for i, c := range cols {
		k := c.Name
		for n := 2; used[k]; n++ {
			k = c.Name + "_" + strconv.Itoa(n)
		}
		used[k] = true
		keys[i] = k
	}
	return keys
}

func columnTypes(r *Rows) []*dtype {
	types := make([]*dtype, len(r.Columns()))
	for i, c := range r.Columns() {
		types[i] = parseType(c.DuckDBType)
	}
	return types
}

// csvCell formats one value as text in Trino's form (trinofmt.go): NULL
// is empty.
func csvCell(v any, t *dtype) string { return string(appendCSVCell(nil, v, t)) }

// appendCSVCell appends csvCell(v, t), without allocating for the common
// scalar types.
func appendCSVCell(b []byte, v any, t *dtype) []byte {
	if v == nil {
		return b
	}
	if t != nil && t.name == "JSON" {
		return appendJSONText(b, v)
	}
	switch v := v.(type) {
	case string:
		return append(b, v...)
	case time.Time:
		return appendTimeText(b, v, t)
	case int64:
		return strconv.AppendInt(b, v, 10)
	case int32:
		return strconv.AppendInt(b, int64(v), 10)
	case bool:
		return strconv.AppendBool(b, v)
	}
	return appendTrino(b, v, t)
}

// scalarText formats a non-nested, non-nil value.
func scalarText(v any, t *dtype) string {
	switch v := v.(type) {
	case string:
		return v
	case bool:
		return strconv.FormatBool(v)
	case int8, int16, int32, int64, int, uint8, uint16, uint32, uint64, uint:
		return fmt.Sprint(v)
	case float64:
		return formatFloat(v, 64)
	case float32:
		return formatFloat(float64(v), 32)
	case *big.Int:
		return v.String()
	case duckdb.Decimal:
		return decimalText(v)
	case time.Time:
		return timeText(v, t)
	case []byte:
		if t != nil && t.name == "UUID" && len(v) == 16 {
			return fmt.Sprintf("%x-%x-%x-%x-%x", v[0:4], v[4:6], v[6:8], v[8:10], v[10:16])
		}
		return blobText(v)
	case duckdb.Interval:
		return intervalText(v)
	}
	return fmt.Sprint(v)
}

func timeText(v time.Time, t *dtype) string { return string(appendTimeText(nil, v, t)) }

func appendTimeText(b []byte, v time.Time, t *dtype) []byte {
	switch {
	case t.isDate():
		return v.UTC().AppendFormat(b, dateLayout)
	case t.isZoned():
		return append(v.UTC().AppendFormat(b, timestampLayout), " UTC"...) // Trino's timestamp with time zone; sessions run in UTC
	case t.isTimestamp():
		return v.UTC().AppendFormat(b, timestampLayout)
	}
	return v.AppendFormat(b, timeLayout) // TIME: duckdb-go dates it 0001-01-01 UTC
}

func formatFloat(f float64, bits int) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	if a := math.Abs(f); a != 0 && (a < 1e-6 || a >= 1e21) {
		return strconv.FormatFloat(f, 'g', -1, bits)
	}
	return strconv.FormatFloat(f, 'f', -1, bits)
}

// decimalText writes a DECIMAL with all its scale digits, as DuckDB does.
func decimalText(d duckdb.Decimal) string {
	if d.Value == nil {
		return "0"
	}
	digits := new(big.Int).Abs(d.Value).String()
	scale := int(d.Scale)
	if len(digits) <= scale {
		digits = strings.Repeat("0", scale-len(digits)+1) + digits
	}
	s := digits
	if scale > 0 {
		s = digits[:len(digits)-scale] + "." + digits[len(digits)-scale:]
	}
	if d.Value.Sign() < 0 {
		s = "-" + s
	}
	return s
}

// blobText writes bytes as DuckDB does: printable ASCII as is, others \xNN.
func blobText(b []byte) string {
	var sb strings.Builder
	for _, c := range b {
		if c >= 0x20 && c < 0x7f && c != '\\' {
			sb.WriteByte(c)
		} else {
			fmt.Fprintf(&sb, `\x%02X`, c)
		}
	}
	return sb.String()
}

// intervalText writes an INTERVAL as DuckDB does: "1 year 2 months 3 days 04:05:06.5".
func intervalText(v duckdb.Interval) string {
	var parts []string
	unit := func(n int64, name string) {
		if n == 0 {
			return
		}
		if n != 1 && n != -1 {
			name += "s"
		}
		parts = append(parts, fmt.Sprintf("%d %s", n, name))
	}
	unit(int64(v.Months/12), "year")
	unit(int64(v.Months%12), "month")
	unit(int64(v.Days), "day")
	if v.Micros != 0 || len(parts) == 0 {
		us, sign := v.Micros, ""
		if us < 0 {
			us, sign = -us, "-"
		}
		s := fmt.Sprintf("%s%02d:%02d:%02d", sign, us/3_600_000_000, us/60_000_000%60, us/1_000_000%60)
		if frac := us % 1_000_000; frac != 0 {
			s += strings.TrimRight(fmt.Sprintf(".%06d", frac), "0")
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " ")
}

// appendJSON appends v as a typed JSON value.
func appendJSON(buf []byte, v any, t *dtype) []byte {
	switch v := v.(type) {
	case nil:
		return append(buf, "null"...)
	case bool:
		return strconv.AppendBool(buf, v)
	case int8, int16, int32, int64, int, uint8, uint16, uint32, uint64, uint, *big.Int, duckdb.Decimal:
		return append(buf, scalarText(v, t)...)
	case float64, float32:
		s := scalarText(v, t)
		if s == "NaN" || strings.HasSuffix(s, "Infinity") {
			return appendJSONString(buf, s)
		}
		return append(buf, s...)
	case string:
		return appendJSONString(buf, v)
	case duckdb.Union:
		return appendJSON(buf, v.Value, t.member(v.Tag))
	case duckdb.OrderedMap:
		kt, vt := t.mapTypes()
		buf = append(buf, '{')
		for i, k := range v.Keys() {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = appendJSONString(buf, csvCell(k, kt))
			buf = append(buf, ':')
			buf = appendJSON(buf, v.Values()[i], vt)
		}
		return append(buf, '}')
	case map[string]any:
		return appendJSONStruct(buf, v, t)
	case []any:
		buf = append(buf, '[')
		for i, e := range v {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = appendJSON(buf, e, t.elemType())
		}
		return append(buf, ']')
	}
	return appendJSONString(buf, scalarText(v, t))
}

// appendJSONStruct writes a STRUCT with its fields in declaration order;
// fields the type does not list follow, sorted.
func appendJSONStruct(buf []byte, v map[string]any, t *dtype) []byte {
	var keys []string
	seen := map[string]bool{}
	if t != nil {
		for _, f := range t.fields {
			if _, ok := v[f.name]; ok && !seen[f.name] {
				keys = append(keys, f.name)
				seen[f.name] = true
			}
		}
	}
	var rest []string
	for k := range v {
		if !seen[k] {
			rest = append(rest, k)
		}
	}
	slices.Sort(rest)
	buf = append(buf, '{')
	for i, k := range append(keys, rest...) {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = appendJSONString(buf, k)
		buf = append(buf, ':')
		buf = appendJSON(buf, v[k], t.member(k))
	}
	return append(buf, '}')
}

// appendJSONString appends s as a JSON string without HTML escaping.
// Invalid UTF-8 becomes U+FFFD.
func appendJSONString(buf []byte, s string) []byte { return jsonstr.Append(buf, s, false) }
