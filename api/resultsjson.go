package api

import (
	"strconv"
	"unicode/utf8"

	"github.com/auditlake/auditlake/query/jobs"
)

// rawJSON is a response body encoded already: finish writes it as it is.
type rawJSON []byte

// appendQueryResults appends GetQueryResults' response for page: the
// model's shape, with QueryResultRows a list of rows, each a list of
// one-entry maps {column: value}. The bytes are those encoding/json makes
// of that shape as [][]map[string]string, without building the maps and
// walking them by reflection: on a page of 1,000 rows that is most of the
// call's time.
func appendQueryResults(dst []byte, page jobs.ResultPage) []byte {
	dst = append(dst, `{"QueryStatus":`...)
	dst = appendJSONString(dst, string(page.Status))
	dst = append(dst, `,"QueryStatistics":{"ResultsCount":`...)
	dst = strconv.AppendInt(dst, int64(page.ResultsCount), 10)
	dst = append(dst, `,"TotalResultsCount":`...)
	dst = strconv.AppendInt(dst, page.TotalResultsCount, 10)
	dst = append(dst, `,"BytesScanned":`...)
	dst = strconv.AppendInt(dst, page.BytesScanned, 10)
	dst = append(dst, `},"QueryResultRows":[`...)
	for i, row := range page.Rows {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, '[')
		for j, f := range row {
			if j > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, '{')
			dst = appendJSONString(dst, f.Column)
			dst = append(dst, ':')
			dst = appendJSONString(dst, f.Value)
			dst = append(dst, '}')
		}
		dst = append(dst, ']')
	}
	dst = append(dst, ']')
	if page.NextToken != "" {
		dst = append(dst, `,"NextToken":`...)
		dst = appendJSONString(dst, page.NextToken)
	}
	if page.ErrorMessage != "" {
		dst = append(dst, `,"ErrorMessage":`...)
		dst = appendJSONString(dst, page.ErrorMessage)
	}
	return append(dst, '}')
}

// queryResultsSize estimates the encoded size of page, to size the buffer
// once.
func queryResultsSize(page jobs.ResultPage) int {
	n := 256 + len(page.NextToken) + len(page.ErrorMessage)
	for _, row := range page.Rows {
		n += 2
		for _, f := range row {
			n += len(f.Column) + len(f.Value) + 8
		}
	}
	return n
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string escaped as encoding/json
// escapes it: quote, backslash and control characters; <, > and & (HTML
// safety); U+2028 and U+2029; invalid UTF-8 as U+FFFD.
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		b := s[i]
		if b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' && b != '<' && b != '>' && b != '&' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '"', '\\':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
			}
			i++
			start = i
			continue
		}
		c, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case c == utf8.RuneError && size == 1:
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
		case c == '\u2028' || c == '\u2029':
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[c&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
