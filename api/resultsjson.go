package api

import (
	"strconv"

	"github.com/auditlake/auditlake/internal/jsonstr"
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

// appendJSONString appends s as encoding/json writes it, HTML escaping
// included: the pages must be what encoding/json made of them before.
func appendJSONString(dst []byte, s string) []byte { return jsonstr.Append(dst, s, true) }
