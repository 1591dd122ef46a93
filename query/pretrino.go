package query

import (
	"sort"
	"strconv"
	"strings"
)

// Some Trino syntax does not parse in DuckDB at all, so it cannot be
// translated in the tree: type names in CAST (array(varchar),
// row(a bigint), varbinary), IF with two arguments, and
// listagg(...) WITHIN GROUP (ORDER BY ...). preTranslate rewrites those few
// forms on the tokens, which know strings, quoted identifiers and comments,
// before the statement is parsed, and joins comparison operators written
// with a space inside ("< =").

// textEdit replaces src[start:end] with text.
type textEdit struct {
	start, end int
	text       string
}

// preTranslate applies the token-level rewrites to rw.SQL.
func preTranslate(rw *rewritten) {
	src := rw.SQL
	toks := tokenize(src)
	var edits []textEdit
	word := func(i int) string {
		if i < 0 || i >= len(toks) || toks[i].kind != tokWord {
			return ""
		}
		return strings.ToUpper(src[toks[i].start:toks[i].end])
	}
	punct := func(i int, c byte) bool {
		return i >= 0 && i < len(toks) && toks[i].kind == tokPunct && src[toks[i].start] == c
	}
	for i := range toks {
		if e, ok := spacedOperator(src, toks, i); ok {
			edits = append(edits, e)
			continue
		}
		switch word(i) {
		case "IF":
			if punct(i+1, '(') && !punct(i-1, '.') {
				edits = append(edits, textEdit{toks[i].start, toks[i].end, "__trino_if"})
			}
		case "CAST", "TRY_CAST":
			if !punct(i+1, '(') {
				continue
			}
			end := skipParens(src, toks, i+1) - 1 // the closing ')'
			depth := 0
			for j := i + 1; j < end; j++ {
				if toks[j].kind == tokPunct {
					switch src[toks[j].start] {
					case '(':
						depth++
					case ')':
						depth--
					}
				}
				if depth == 1 && word(j) == "AS" && j+1 < end {
					from, to := toks[j+1].start, toks[end-1].end
					if end >= len(toks) {
						to = len(src)
					}
					typ := src[from:to]
					if conv := convertType(typ); conv != typ {
						edits = append(edits, textEdit{from, to, conv})
					}
					break
				}
			}
		case "LISTAGG":
			if e, ok := listagg(src, toks, i); ok {
				edits = append(edits, e...)
			}
		}
	}
	if len(edits) > 0 {
		rw.apply(edits)
	}
}

// spacedOperator joins a two-character comparison operator written with
// white space inside it, as in "eventtime < ='2023-01-19 13:51:00'" from
// the CloudTrail Lake documentation: "< =", "> =", "! =" and "< >".
func spacedOperator(src string, toks []token, i int) (textEdit, bool) {
	if i+1 >= len(toks) || toks[i].kind != tokPunct || toks[i+1].kind != tokPunct || toks[i+1].start == toks[i].end {
		return textEdit{}, false
	}
	if strings.TrimSpace(src[toks[i].end:toks[i+1].start]) != "" {
		return textEdit{}, false // a comment in between: leave it to the parser
	}
	op := string(src[toks[i].start]) + string(src[toks[i+1].start])
	switch op {
	case "<=", ">=", "!=", "<>":
		return textEdit{toks[i].start, toks[i+1].end, op}, true
	}
	return textEdit{}, false
}

// listagg turns listagg(x, sep) WITHIN GROUP (ORDER BY ...) into
// string_agg(x, sep ORDER BY ...).
func listagg(src string, toks []token, i int) ([]textEdit, bool) {
	if i+1 >= len(toks) || src[toks[i+1].start] != '(' {
		return nil, false
	}
	close := skipParens(src, toks, i+1) - 1
	if close+4 >= len(toks) || close < 0 || src[toks[close].start] != ')' {
		return nil, false
	}
	w := func(j int) string { return strings.ToUpper(src[toks[j].start:toks[j].end]) }
	if w(close+1) != "WITHIN" || w(close+2) != "GROUP" || src[toks[close+3].start] != '(' {
		return nil, false
	}
	gclose := skipParens(src, toks, close+3) - 1
	if gclose <= close+3 || gclose >= len(toks) {
		return nil, false
	}
	order := src[toks[close+4].start:toks[gclose].start]
	return []textEdit{
		{toks[i].start, toks[i].end, "string_agg"},
		{toks[close].start, toks[gclose].end, " " + order + ")"},
	}, true
}

// convertType converts a Trino type name to DuckDB's spelling. What it
// does not know is kept as written.
func convertType(s string) string {
	toks := tokenize(s)
	out, _ := convType(s, toks, 0, 0)
	if out == "" {
		return s
	}
	return out
}

func convType(s string, toks []token, i, depth int) (string, int) {
	if i >= len(toks) || depth > 32 {
		return "", len(toks)
	}
	text := func(j int) string { return s[toks[j].start:toks[j].end] }
	open := func(j int) bool { return j < len(toks) && toks[j].kind == tokPunct && s[toks[j].start] == '(' }
	isPunct := func(j int, c byte) bool { return j < len(toks) && toks[j].kind == tokPunct && s[toks[j].start] == c }
	lw := strings.ToLower(text(i))
	switch {
	case toks[i].kind == tokWord && lw == "array" && open(i+1):
		inner, j := convType(s, toks, i+2, depth+1)
		if !isPunct(j, ')') {
			return "", len(toks)
		}
		return inner + "[]", j + 1
	case toks[i].kind == tokWord && lw == "map" && open(i+1):
		k, j := convType(s, toks, i+2, depth+1)
		if !isPunct(j, ',') {
			return "", len(toks)
		}
		v, j := convType(s, toks, j+1, depth+1)
		if !isPunct(j, ')') {
			return "", len(toks)
		}
		return "MAP(" + k + ", " + v + ")", j + 1
	case toks[i].kind == tokWord && lw == "row" && open(i+1):
		var fields []string
		j := i + 2
		for n := 0; ; n++ {
			if j >= len(toks) {
				return "", len(toks)
			}
			name := "field" + strconv.Itoa(n)
			if j+1 < len(toks) && (toks[j].kind == tokWord || toks[j].kind == tokIdent) &&
				(toks[j+1].kind == tokWord || toks[j+1].kind == tokIdent) && !multiWordType[strings.ToLower(text(j))] {
				name = text(j)
				j++
			} else if toks[j].kind == tokIdent {
				name = text(j)
				j++
			}
			typ, k := convType(s, toks, j, depth+1)
			if typ == "" {
				return "", len(toks)
			}
			fields = append(fields, name+" "+typ)
			j = k
			if isPunct(j, ')') {
				return "STRUCT(" + strings.Join(fields, ", ") + ")", j + 1
			}
			if !isPunct(j, ',') {
				return "", len(toks)
			}
			j++
		}
	}
	// A plain type: words and parenthesized arguments up to ',' or ')'.
	start, j := toks[i].start, i
	for j < len(toks) && !isPunct(j, ',') && !isPunct(j, ')') {
		if open(j) {
			j = skipParens(s, toks, j)
			continue
		}
		j++
	}
	if j == i {
		return "", len(toks)
	}
	plain := s[start:toks[j-1].end]
	switch strings.ToLower(plain) {
	case "varbinary":
		plain = "BLOB"
	case "ipaddress":
		plain = "VARCHAR"
	}
	return plain, j
}

// multiWordType are type names that may be followed by more words
// (double precision, timestamp with time zone).
var multiWordType = map[string]bool{"double": true, "timestamp": true, "time": true, "interval": true}

// apply replaces parts of rw.SQL and records the edits so that error
// offsets still map back to what the caller wrote.
func (rw *rewritten) apply(edits []textEdit) {
	sort.Slice(edits, func(i, j int) bool { return edits[i].start < edits[j].start })
	var b strings.Builder
	var layer []edit
	last := 0
	for _, e := range edits {
		if e.start < last {
			continue // overlapping: keep the first
		}
		b.WriteString(rw.SQL[last:e.start])
		ed := edit{origStart: e.start, origEnd: e.end, newStart: b.Len()}
		b.WriteString(e.text)
		ed.newEnd = b.Len()
		layer = append(layer, ed)
		last = e.end
	}
	b.WriteString(rw.SQL[last:])
	rw.SQL = b.String()
	rw.layers = append(rw.layers, layer)
}
