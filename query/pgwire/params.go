package pgwire

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
)

// paramLiteral turns a bound parameter into an SQL literal: numbers and
// booleans bare, timestamps typed, everything else a string literal, which
// DuckDB casts to the type it is compared with.
func paramLiteral(v []byte, oid uint32, format int16) (string, error) {
	if v == nil {
		return "NULL", nil
	}
	if format == pgtype.TextFormatCode {
		s := string(v)
		switch oid {
		case oidInt2, oidInt4, oidInt8, oidOID, oidFloat4, oidFloat8, oidNumeric:
			if _, err := strconv.ParseFloat(s, 64); err == nil && !strings.ContainsAny(s, "xXpP_") {
				return s, nil
			}
			return "", &pgError{code: "22P02", msg: fmt.Sprintf("invalid input syntax for type %s: %q", formatType(oid), s)}
		case oidBool:
			b, err := strconv.ParseBool(strings.ToLower(s))
			if err != nil && strings.EqualFold(s, "t") || err == nil && b {
				return "TRUE", nil
			}
			return "FALSE", nil
		}
		return quoteLiteral(s), nil
	}
	m := pgtype.NewMap()
	switch oid {
	case oidInt2, oidInt4, oidInt8, oidOID:
		var n int64
		if err := m.Scan(oid, format, v, &n); err != nil {
			return "", binaryErr(oid, err)
		}
		return strconv.FormatInt(n, 10), nil
	case oidFloat4, oidFloat8:
		var f float64
		if err := m.Scan(oid, format, v, &f); err != nil {
			return "", binaryErr(oid, err)
		}
		return strconv.FormatFloat(f, 'g', -1, 64), nil
	case oidNumeric:
		var n pgtype.Numeric
		if err := m.Scan(oid, format, v, &n); err != nil {
			return "", binaryErr(oid, err)
		}
		out, err := n.MarshalJSON()
		if err != nil {
			return "", binaryErr(oid, err)
		}
		return string(out), nil
	case oidBool:
		var b bool
		if err := m.Scan(oid, format, v, &b); err != nil {
			return "", binaryErr(oid, err)
		}
		return strings.ToUpper(strconv.FormatBool(b)), nil
	case oidTimestamp, oidTimestamptz, oidDate:
		var t time.Time
		if err := m.Scan(oid, format, v, &t); err != nil {
			return "", binaryErr(oid, err)
		}
		if oid == oidDate {
			return "DATE " + quoteLiteral(t.Format("2006-01-02")), nil
		}
		return "TIMESTAMP " + quoteLiteral(t.UTC().Format("2006-01-02 15:04:05.999999")), nil
	case oidText, oidVarchar, oidName, oidJSON, 1042, 0:
		return quoteLiteral(string(v)), nil
	}
	return "", &pgError{code: "0A000", msg: fmt.Sprintf("binary parameters of type OID %d are not supported; send them as text", oid)}
}

func binaryErr(oid uint32, err error) error {
	return &pgError{code: "22P03", msg: fmt.Sprintf("incorrect binary data format for type %s: %v", formatType(oid), err)}
}
