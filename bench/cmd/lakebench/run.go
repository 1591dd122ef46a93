package main

import (
	"os"
	"path/filepath"
	"strings"
)

// dirBytes sums the sizes of files under root whose names end in suffix, and
// counts them.
func dirBytes(root, suffix string) (int64, int, error) {
	var n int64
	var files int
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !strings.HasSuffix(p, suffix) {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		n += fi.Size()
		files++
		return nil
	})
	return n, files, err
}

// countCSVRows counts the data rows of CSV output with a header row. It
// counts record separators outside quotes, so quoted newlines in eventJson
// or error messages do not inflate the count.
func countCSVRows(b []byte) int {
	rows, inQuote, started := 0, false, false
	for _, c := range b {
		switch {
		case c == '"':
			inQuote = !inQuote
			started = true
		case c == '\n' && !inQuote:
			if started {
				rows++
			}
			started = false
		case c != '\r':
			started = true
		}
	}
	if started {
		rows++
	}
	if rows > 0 {
		rows-- // header
	}
	return rows
}
