package query

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Table layout limits.
const (
	MaxTableCellWidth = 40   // characters; longer cells end in "…"
	tableSampleRows   = 1000 // rows read before column widths are fixed
)

// WriteTable writes r as an aligned table for people, in the style of
// psql: a header, a rule, the rows and a row count. Cells wider than
// MaxTableCellWidth characters are cut and end in "…", NULL is shown as
// NULL, line breaks and tabs as \n, \r and \t, and numbers are aligned
// right. Column widths are fixed by the first 1000 rows; the rest stream.
// It does not close r.
func WriteTable(w io.Writer, r *Rows) error {
	bw := bufio.NewWriter(w)
	types := columnTypes(r)
	cols := r.Columns()
	widths := make([]int, len(cols))
	header := make([]string, len(cols))
	for i, c := range cols {
		header[i] = tableCell(c.Name)
		widths[i] = utf8.RuneCountInString(header[i])
	}
	var sample [][]string
	cells := func() []string {
		row := make([]string, len(cols))
		for i, v := range r.Values() {
			if v == nil {
				row[i] = "NULL"
			} else {
				row[i] = tableCell(csvCell(v, types[i]))
			}
		}
		return row
	}
	for len(sample) < tableSampleRows && r.Next() {
		row := cells()
		for i, c := range row {
			widths[i] = max(widths[i], utf8.RuneCountInString(c))
		}
		sample = append(sample, row)
	}
	right := make([]bool, len(cols))
	for i := range cols {
		right[i] = types[i].isNumeric()
	}
	writeTableRow(bw, header, widths, nil)
	for i, wd := range widths {
		if i > 0 {
			bw.WriteString("+")
		}
		bw.WriteString(strings.Repeat("-", wd+2))
	}
	bw.WriteString("\n")
	n := 0
	for _, row := range sample {
		writeTableRow(bw, row, widths, right)
		n++
	}
	for r.Next() {
		writeTableRow(bw, cells(), widths, right)
		n++
	}
	if n == 1 {
		fmt.Fprintf(bw, "(1 row)\n")
	} else {
		fmt.Fprintf(bw, "(%d rows)\n", n)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write table: %w", err)
	}
	return r.Err()
}

func writeTableRow(w *bufio.Writer, row []string, widths []int, right []bool) {
	for i, c := range row {
		if i > 0 {
			w.WriteString("|")
		}
		pad := strings.Repeat(" ", max(widths[i]-utf8.RuneCountInString(c), 0))
		w.WriteString(" ")
		if right != nil && right[i] {
			w.WriteString(pad + c)
		} else if i == len(row)-1 {
			w.WriteString(c) // no trailing blanks
			continue
		} else {
			w.WriteString(c + pad)
		}
		w.WriteString(" ")
	}
	w.WriteString("\n")
}

// tableCell makes text printable on one line and cuts it to
// MaxTableCellWidth characters.
func tableCell(s string) string {
	s = strings.NewReplacer("\n", `\n`, "\r", `\r`, "\t", `\t`).Replace(s)
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return '?'
		}
		return r
	}, s)
	if utf8.RuneCountInString(s) <= MaxTableCellWidth {
		return s
	}
	rs := []rune(s)
	return string(rs[:MaxTableCellWidth-1]) + "…"
}
