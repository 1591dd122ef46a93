package main

import (
	"strings"
)

// csvRows splits CSV output with a header row into its data records,
// keeping quoted newlines inside their record.
func csvRows(b []byte) []string {
	var rows []string
	inQuote, start := false, 0
	for i, c := range b {
		switch {
		case c == '"':
			inQuote = !inQuote
		case c == '\n' && !inQuote:
			if rec := strings.TrimSuffix(string(b[start:i]), "\r"); rec != "" {
				rows = append(rows, rec)
			}
			start = i + 1
		}
	}
	if rec := strings.TrimSuffix(string(b[start:]), "\r"); rec != "" {
		rows = append(rows, rec)
	}
	if len(rows) > 0 {
		rows = rows[1:] // header
	}
	return rows
}
