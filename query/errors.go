package query

import (
	"regexp"
	"strconv"
	"strings"
)

// syntaxError builds the error for a statement DuckDB's parser rejected at
// byte offset off of rw.SQL (-1: unknown), adding what was probably meant.
func syntaxError(rw *rewritten, off int, msg string) *StatementError {
	if hint := syntaxHint(rw.Orig); hint != "" {
		msg += "; " + hint
	}
	return newStatementError(rw.Orig, off, "%s", msg)
}

// gluedKeyword finds a keyword glued to a neighbouring word, such as
// "SELECTeventName" or "eventNameFROM".
var gluedKeyword = regexp.MustCompile(`(?i)^(select|from|where|group|order|limit|having|join)([a-z_][a-z0-9_]*)$|^([a-z_][a-z0-9_]*?)(from|where|select|limit)$`)

// syntaxHint says what was expected, for the mistakes people make most:
// unbalanced parentheses, an unterminated string, keywords glued to names,
// a comma before FROM.
func syntaxHint(src string) string {
	toks := tokenize(src)
	depth := 0
	var opens []token
	for i, t := range toks {
		switch t.kind {
		case tokString:
			if t.end == len(src) && (t.end-t.start < 2 || src[t.end-1] != src[t.start] || t.end-t.start == 1) {
				l, c := lineColumn(src, t.start)
				return "expected a closing quote for the string that starts at line " + strconv.Itoa(l) + ", column " + strconv.Itoa(c)
			}
		case tokPunct:
			switch src[t.start] {
			case '(':
				depth++
				opens = append(opens, t)
			case ')':
				depth--
				if depth < 0 {
					l, c := lineColumn(src, t.start)
					return "unexpected ')' at line " + strconv.Itoa(l) + ", column " + strconv.Itoa(c) + " with no '(' to close"
				}
				opens = opens[:len(opens)-1]
			case ',':
				if i+1 < len(toks) && toks[i+1].kind == tokWord && strings.EqualFold(src[toks[i+1].start:toks[i+1].end], "FROM") {
					l, c := lineColumn(src, t.start)
					return "expected an expression after the ',' at line " + strconv.Itoa(l) + ", column " + strconv.Itoa(c) + " (a comma before FROM?)"
				}
			}
		case tokWord:
			w := src[t.start:t.end]
			next := ""
			if i+1 < len(toks) && toks[i+1].kind == tokWord {
				next = strings.ToLower(src[toks[i+1].start:toks[i+1].end])
			}
			if lw := strings.ToLower(w); lw == next && doubledKeyword[lw] {
				l, c := lineColumn(src, toks[i+1].start)
				return strings.ToUpper(w) + " is written twice, at line " + strconv.Itoa(l) + ", column " + strconv.Itoa(c)
			}
			if a, kw, ok := gluedBeforeBy(w, next); ok {
				return "expected a space between " + a + " and " + kw + " in " + w + "? (write \"" + a + " " + kw + " BY\")"
			}
			if m := gluedKeyword.FindStringSubmatch(w); m != nil && !knownWord(w) {
				a, b := m[1]+m[3], m[2]+m[4]
				return "expected a space between " + strings.ToUpper(strings.TrimSpace(a)) + " and " + b + " in " + strings.TrimSpace(w) + "? (write \"" + a + " " + b + "\")"
			}
		}
	}
	if depth > 0 {
		t := opens[len(opens)-1]
		l, c := lineColumn(src, t.start)
		return "expected ')' to close the '(' at line " + strconv.Itoa(l) + ", column " + strconv.Itoa(c)
	}
	return ""
}

// doubledKeyword are keywords that are never right twice in a row.
var doubledKeyword = map[string]bool{"select": true, "from": true, "where": true, "and": true, "or": true, "by": true, "group": true, "order": true}

// gluedBeforeBy finds ORDER or GROUP glued to the end of a name and
// followed by BY, as in "GROUP BY eventNameORDER BY c".
func gluedBeforeBy(w, next string) (name, keyword string, ok bool) {
	if next != "by" || len(w) <= len("order") {
		return "", "", false
	}
	for _, kw := range []string{"ORDER", "GROUP"} {
		if strings.HasSuffix(strings.ToUpper(w), kw) {
			return w[:len(w)-len(kw)], kw, true
		}
	}
	return "", "", false
}

// knownWord are words that end or start like a keyword but are fine.
func knownWord(w string) bool {
	switch strings.ToLower(w) {
	case "selection", "fromage", "ordering", "orders", "grouping", "groups", "joined", "limits", "wherever":
		return true
	}
	return false
}

// placeholderRE matches the internal names of store references.
var placeholderRE = regexp.MustCompile(placeholderPrefix + `[0-9]+`)

// userMessage rewrites a DuckDB error message in terms of the statement
// as the user wrote it: store placeholders become the references as
// written, internal columns eventJson, and messages about unknown
// functions say so plainly.
func userMessage(rw *rewritten, msg string) string {
	msg = placeholderRE.ReplaceAllStringFunc(msg, func(ph string) string {
		for _, r := range rw.Refs {
			if strings.EqualFold(r.Placeholder, ph) {
				return r.Text
			}
		}
		return ph
	})
	msg = strings.ReplaceAll(msg, "__trino_if", "if")
	if rw.pushdown {
		msg = internalColumnRE.ReplaceAllString(msg, "eventJson") // what the user wrote
	}
	if m := unknownFunctionRE.FindStringSubmatch(msg); m != nil {
		return "function " + m[1] + " does not exist" + strings.TrimSuffix(" ("+strings.TrimSpace(m[2])+")", " ()")
	}
	return msg
}

var internalColumnRE = regexp.MustCompile(ejPrefix + `[a-z_]+`)

var unknownFunctionRE = regexp.MustCompile(`(?:Scalar|Aggregate|Table) Function with name "?([^ "]+)"? does not exist!?(.*)$`)
