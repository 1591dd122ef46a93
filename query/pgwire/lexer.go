package pgwire

import (
	"strings"

	"github.com/auditlake/auditlake/internal/sqlscan"
)

// tokKind classifies a lexical token of PostgreSQL SQL.
type tokKind uint8

const (
	tokWord   tokKind = iota // unquoted identifier, keyword or number
	tokIdent                 // "quoted identifier"
	tokString                // 'string', E'string', $tag$string$tag$
	tokParam                 // $1
	tokPunct                 // any other character
	tokSpace                 // white space and comments, kept so text can be rebuilt
)

type token struct {
	kind tokKind
	text string
	pos  int // byte offset in the statement
}

// lex splits SQL into tokens, keeping white space and comments as tokSpace
// so that joining the texts gives the input back. It never fails: an
// unterminated quote or comment runs to the end.
func lex(src string) []token {
	var toks []token
	for i := 0; i < len(src); {
		c := src[i]
		j := i + 1
		kind := tokPunct
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
			kind = tokSpace
			for j < len(src) && strings.IndexByte(" \t\n\r\f\v", src[j]) >= 0 {
				j++
			}
		case c == '-' && strings.HasPrefix(src[i:], "--"):
			kind = tokSpace
			if k := strings.IndexByte(src[i:], '\n'); k >= 0 {
				j = i + k + 1
			} else {
				j = len(src)
			}
		case c == '/' && strings.HasPrefix(src[i:], "/*"):
			kind, j = tokSpace, sqlscan.SkipBlockComment(src, i)
		case c == '\'':
			kind, j = tokString, sqlscan.SkipQuoted(src, i, '\'', false)
		case (c == 'e' || c == 'E') && j < len(src) && src[j] == '\'':
			kind, j = tokString, sqlscan.SkipQuoted(src, i+1, '\'', true)
		case c == '"':
			kind, j = tokIdent, sqlscan.SkipQuoted(src, i, '"', false)
		case c == '$' && j < len(src) && src[j] >= '0' && src[j] <= '9':
			kind = tokParam
			for j < len(src) && src[j] >= '0' && src[j] <= '9' {
				j++
			}
		case c == '$':
			if end, ok := sqlscan.SkipDollarQuoted(src, i); ok {
				kind, j = tokString, end
			}
		case sqlscan.IsWordByte(c):
			kind = tokWord
			for j < len(src) && (sqlscan.IsWordByte(src[j]) || src[j] == '$') {
				j++
			}
		}
		toks = append(toks, token{kind: kind, text: src[i:j], pos: i})
		i = j
	}
	return toks
}

// splitStatements splits a simple-query string at top-level semicolons and
// drops empty statements.
func splitStatements(src string) []string {
	var out []string
	start := 0
	for _, t := range lex(src) {
		if t.kind == tokPunct && t.text == ";" {
			if s := strings.TrimSpace(src[start:t.pos]); s != "" && !onlySpace(s) {
				out = append(out, src[start:t.pos])
			}
			start = t.pos + 1
		}
	}
	if s := src[start:]; !onlySpace(s) {
		out = append(out, s)
	}
	return out
}

// onlySpace reports whether s holds nothing but white space and comments.
func onlySpace(s string) bool {
	for _, t := range lex(s) {
		if t.kind != tokSpace {
			return false
		}
	}
	return true
}

// words returns the statement's non-space tokens.
func words(src string) []token {
	toks := lex(src)
	out := toks[:0]
	for _, t := range toks {
		if t.kind != tokSpace {
			out = append(out, t)
		}
	}
	return out
}

// keyword returns the lower-cased first word of a statement.
func keyword(src string) string {
	for _, t := range lex(src) {
		switch t.kind {
		case tokSpace:
			continue
		case tokPunct:
			if t.text == "(" {
				continue // (SELECT ...)
			}
		}
		return strings.ToLower(t.text)
	}
	return ""
}

// maxParam returns the highest $n in the statement.
func maxParam(src string) int {
	n := 0
	for _, t := range lex(src) {
		if t.kind == tokParam {
			if v := atoi(t.text[1:]); v > n {
				n = v
			}
		}
	}
	return n
}

func atoi(s string) int {
	n := 0
	for _, c := range []byte(s) {
		if c < '0' || c > '9' || n > 1<<20 {
			return -1
		}
		n = n*10 + int(c-'0')
	}
	return n
}

// bindParams replaces each $n with lits[n-1], an SQL literal.
func bindParams(src string, lits []string) string {
	var b strings.Builder
	for _, t := range lex(src) {
		if t.kind == tokParam {
			if n := atoi(t.text[1:]); n >= 1 && n <= len(lits) {
				b.WriteString(lits[n-1])
				continue
			}
		}
		b.WriteString(t.text)
	}
	return b.String()
}

// quoteLiteral quotes s as an SQL string literal.
func quoteLiteral(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// quoteIdent quotes s as an SQL identifier.
func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
