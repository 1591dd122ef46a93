package history

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
)

// Download formats.
const (
	FormatCSV  = "csv"
	FormatJSON = "json"
)

// downloadPage is the page size of a download: larger than the API's 50,
// so that a download of many events takes few queries.
const downloadPage = 1000

// csvHeader is the header of the CloudTrail console's event history CSV
// download.
var csvHeader = []string{
	"Event ID", "Event time", "User name", "Event name", "Resource type", "Resource name",
	"AWS access key", "AWS region", "Error code", "Source IP address", "Resources",
}

// Download writes every event the lookup matches (all pages; in.NextToken
// and in.MaxResults are ignored) to w as the CloudTrail console's download
// does: CSV with csvHeader, or JSON {"Records": [record, ...]} of the full
// records. It returns the number of events written.
func (s *Searcher) Download(ctx context.Context, in Input, format string, w io.Writer) (int, error) {
	if format != FormatCSV && format != FormatJSON {
		return 0, fmt.Errorf("download format %q: want %s or %s", format, FormatCSV, FormatJSON)
	}
	in.NextToken, in.MaxResults = "", 0
	bw := bufio.NewWriter(w)
	cw := csv.NewWriter(bw)
	if format == FormatCSV {
		if err := cw.Write(csvHeader); err != nil {
			return 0, err
		}
	} else if _, err := bw.WriteString(`{"Records":[`); err != nil {
		return 0, err
	}
	n := 0
	for {
		p, err := s.lookup(ctx, in, downloadPage)
		if err != nil {
			return n, err
		}
		for _, e := range p.Events {
			if format == FormatCSV {
				err = cw.Write(csvRow(e))
			} else {
				if n > 0 {
					err = bw.WriteByte(',')
				}
				if err == nil {
					_, err = bw.WriteString(compactJSON(e.CloudTrailEvent))
				}
			}
			if err != nil {
				return n, err
			}
			n++
		}
		if p.NextToken == "" {
			break
		}
		in.NextToken = p.NextToken
	}
	if format == FormatCSV {
		cw.Flush()
		if err := cw.Error(); err != nil {
			return n, err
		}
	} else if _, err := bw.WriteString("]}\n"); err != nil {
		return n, err
	}
	return n, bw.Flush()
}

func csvRow(e Event) []string {
	var types, names []string
	for _, r := range e.Resources {
		types = append(types, r.Type)
		names = append(names, r.Name)
	}
	res := "[]"
	if len(e.Resources) > 0 {
		type jr struct {
			ResourceType string `json:"resourceType"`
			ResourceName string `json:"resourceName"`
		}
		list := make([]jr, len(e.Resources))
		for i, r := range e.Resources {
			list[i] = jr{r.Type, r.Name}
		}
		data, _ := json.Marshal(list)
		res = string(data)
	}
	return []string{
		e.EventID, e.EventTime.UTC().Format(time.RFC3339), e.Username, e.EventName,
		strings.Join(types, ", "), strings.Join(names, ", "),
		e.AccessKeyID, e.AWSRegion, e.ErrorCode, e.SourceIPAddress, res,
	}
}

// compactJSON returns a record's JSON on one line; text that is not JSON
// (it cannot be: ingest decoded it) is written as a JSON string.
func compactJSON(s string) string {
	var buf bytes.Buffer
	if err := json.Compact(&buf, []byte(s)); err == nil {
		return buf.String()
	}
	data, _ := json.Marshal(s)
	return string(data)
}
