package query

import (
	"fmt"
	"strings"
)

// dateAdd is date_add(unit, n, t): t plus n units.
func dateAdd(t *translator, call map[string]any, a []any) (any, error) {
	if len(a) == 2 {
		return call, nil // DuckDB's own date_add(t, interval)
	}
	if len(a) != 3 {
		return nil, t.fail(call, "function date_add takes 3 arguments: unit, value, timestamp")
	}
	unit, ok := constString(a[0])
	if !ok {
		return t.expand("$3 + CAST(CAST($2 AS VARCHAR) || ' ' || $1 AS INTERVAL)", a...)
	}
	var src string
	switch strings.ToLower(unit) {
	case "millisecond":
		src = "$2 + to_milliseconds(CAST($1 AS BIGINT))"
	case "second":
		src = "$2 + to_seconds(CAST($1 AS BIGINT))"
	case "minute":
		src = "$2 + to_minutes(CAST($1 AS BIGINT))"
	case "hour":
		src = "$2 + to_hours(CAST($1 AS BIGINT))"
	case "day":
		src = "$2 + to_days(CAST($1 AS INTEGER))"
	case "week":
		src = "$2 + to_weeks(CAST($1 AS INTEGER))"
	case "month":
		src = "$2 + to_months(CAST($1 AS INTEGER))"
	case "quarter":
		src = "$2 + to_months(CAST($1 AS INTEGER) * 3)"
	case "year":
		src = "$2 + to_years(CAST($1 AS INTEGER))"
	default:
		return nil, t.fail(call, "date_add: unknown unit %q; use millisecond, second, minute, hour, day, week, month, quarter or year", unit)
	}
	return t.expand(src, a[1], a[2])
}

// timeFormat translates a function whose second argument is a format
// pattern, converted by conv to a DuckDB strftime/strptime pattern.
func timeFormat(conv func(string) (string, error), src string) func(*translator, map[string]any, []any) (any, error) {
	return func(t *translator, call map[string]any, a []any) (any, error) {
		name, _ := call["function_name"].(string)
		if len(a) != 2 {
			return nil, t.fail(call, "function %s takes 2 arguments", strings.ToLower(name))
		}
		pat, ok := constString(a[1])
		if !ok {
			return nil, t.fail(call, "the format of %s must be a string literal", strings.ToLower(name))
		}
		p, err := conv(pat)
		if err != nil {
			return nil, t.fail(call, "%s: %v", strings.ToLower(name), err)
		}
		return t.expand(src, a[0], stringConst(p))
	}
}

// mysqlSpecifiers maps MySQL date_format specifiers (as Trino implements
// them) to DuckDB strftime specifiers.
var mysqlSpecifiers = map[byte]string{
	'a': "%a", 'b': "%b", 'c': "%-m", 'd': "%d", 'e': "%-d", 'f': "%f", 'H': "%H", 'h': "%I",
	'I': "%I", 'i': "%M", 'j': "%j", 'k': "%-H", 'l': "%-I", 'M': "%B", 'm': "%m", 'p': "%p",
	'r': "%I:%M:%S %p", 'S': "%S", 's': "%S", 'T': "%H:%M:%S", 'W': "%A", 'w': "%w",
	'Y': "%Y", 'y': "%y", '%': "%%", 'U': "%U", 'u': "%W",
}

// mysqlPattern converts a MySQL-style pattern (date_format, date_parse).
func mysqlPattern(p string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c != '%' {
			b.WriteByte(c)
			continue
		}
		if i+1 >= len(p) {
			return "", fmt.Errorf("pattern %q ends in %%", p)
		}
		i++
		s, ok := mysqlSpecifiers[p[i]]
		if !ok {
			return "", fmt.Errorf("format specifier %%%c is not supported", p[i])
		}
		b.WriteString(s)
	}
	return b.String(), nil
}

// javaLetters maps Joda-Time pattern letters, by count, to strftime
// specifiers; the entry for the largest count not above the run's length
// applies.
var javaLetters = map[byte][]struct {
	n   int
	out string
}{
	'y': {{1, "%Y"}, {2, "%y"}, {3, "%Y"}},
	'Y': {{1, "%Y"}, {2, "%y"}, {3, "%Y"}},
	'x': {{1, "%G"}},
	'M': {{1, "%-m"}, {2, "%m"}, {3, "%b"}, {4, "%B"}},
	'd': {{1, "%-d"}, {2, "%d"}},
	'D': {{1, "%-j"}, {3, "%j"}},
	'H': {{1, "%-H"}, {2, "%H"}},
	'k': {{1, "%-H"}, {2, "%H"}},
	'h': {{1, "%-I"}, {2, "%I"}},
	'K': {{1, "%-I"}, {2, "%I"}},
	'm': {{1, "%-M"}, {2, "%M"}},
	's': {{1, "%-S"}, {2, "%S"}},
	'S': {{1, "%g"}, {4, "%f"}, {7, "%n"}},
	'a': {{1, "%p"}},
	'E': {{1, "%a"}, {4, "%A"}},
	'e': {{1, "%u"}},
	'w': {{1, "%V"}},
	'Z': {{1, "%z"}},
	'z': {{1, "%Z"}},
	'G': {{1, "AD"}},
}

// javaPattern converts a Joda-Time pattern (format_datetime,
// parse_datetime). Text in single quotes is literal; ” is a quote.
func javaPattern(p string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(p); {
		c := p[i]
		switch {
		case c == '\'':
			j := i + 1
			if j < len(p) && p[j] == '\'' {
				b.WriteByte('\'')
				i += 2
				continue
			}
			for j < len(p) {
				if p[j] == '\'' {
					if j+1 < len(p) && p[j+1] == '\'' {
						b.WriteByte('\'')
						j += 2
						continue
					}
					break
				}
				if p[j] == '%' {
					b.WriteByte('%')
				}
				b.WriteByte(p[j])
				j++
			}
			i = j + 1
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			j := i
			for j < len(p) && p[j] == c {
				j++
			}
			forms, ok := javaLetters[c]
			if !ok {
				return "", fmt.Errorf("pattern letter %c is not supported", c)
			}
			out := forms[0].out
			for _, f := range forms {
				if j-i >= f.n {
					out = f.out
				}
			}
			b.WriteString(out)
			i = j
		case c == '%':
			b.WriteString("%%")
			i++
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String(), nil
}
