package query

import (
	"strings"

	"github.com/auditlake/auditlake/internal/sqlscan"
)

// dtype is a parsed DuckDB type name, as Column.DuckDBType spells it. The
// formatters use it to order struct fields and to tell DATE, TIME and
// TIMESTAMP values apart, which duckdb-go all returns as time.Time.
type dtype struct {
	name     string  // upper-case base name: VARCHAR, TIMESTAMP, STRUCT, MAP, LIST, DECIMAL, ...
	fields   []field // STRUCT and UNION members, in declaration order
	elem     *dtype  // LIST and ARRAY element
	key, val *dtype  // MAP
}

type field struct {
	name string
	typ  *dtype
}

// parseType parses a DuckDB type name. It never fails: what it cannot read
// becomes a type it does not know, which formats values generically.
func parseType(s string) *dtype {
	p := typeParser{s: s}
	return p.parse(0)
}

type typeParser struct {
	s string
	i int
}

const maxTypeDepth = 64

func (p *typeParser) parse(depth int) *dtype {
	p.space()
	start := p.i
	for p.i < len(p.s) && !strings.ContainsRune("(),[]", rune(p.s[p.i])) {
		p.i++
	}
	t := &dtype{name: strings.ToUpper(strings.TrimSpace(p.s[start:p.i]))}
	if depth > maxTypeDepth {
		p.i = len(p.s)
		return t
	}
	if p.peek('(') {
		p.i++
		switch t.name {
		case "STRUCT", "UNION":
			for p.i < len(p.s) && !p.peek(')') {
				p.space()
				name := p.ident()
				t.fields = append(t.fields, field{name: name, typ: p.parse(depth + 1)})
				p.space()
				if !p.peek(',') {
					break
				}
				p.i++
			}
			p.expect(')')
		case "MAP":
			t.key = p.parse(depth + 1)
			p.expect(',')
			t.val = p.parse(depth + 1)
			p.expect(')')
		default: // DECIMAL(18,3), ENUM('a', 'b'), VARCHAR(10)
			p.skipArgs()
		}
	}
	for p.peek('[') {
		j := strings.IndexByte(p.s[p.i:], ']')
		if j < 0 {
			p.i = len(p.s)
			break
		}
		p.i += j + 1
		t = &dtype{name: "LIST", elem: t}
	}
	return t
}

func (p *typeParser) peek(c byte) bool { return p.i < len(p.s) && p.s[p.i] == c }

func (p *typeParser) space() {
	for p.i < len(p.s) && p.s[p.i] == ' ' {
		p.i++
	}
}

func (p *typeParser) expect(c byte) {
	p.space()
	if p.peek(c) {
		p.i++
	}
}

// ident reads a struct field name: "quoted" (with "" escapes) or bare.
func (p *typeParser) ident() string {
	if p.peek('"') {
		j := sqlscan.SkipQuoted(p.s, p.i, '"', false)
		name := unquote(p.s[p.i:j], '"')
		p.i = j
		return name
	}
	start := p.i
	for p.i < len(p.s) && p.s[p.i] != ' ' && p.s[p.i] != ',' && p.s[p.i] != ')' {
		p.i++
	}
	return p.s[start:p.i]
}

// skipArgs skips to after the ')' that closes the type arguments.
func (p *typeParser) skipArgs() {
	depth := 1
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case '\'':
			p.i = sqlscan.SkipQuoted(p.s, p.i, '\'', false)
			continue
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				p.i++
				return
			}
		}
		p.i++
	}
}

func (t *dtype) isTimestamp() bool {
	return t == nil || strings.HasPrefix(t.name, "TIMESTAMP")
}

// isZoned reports whether t is a timestamp with time zone.
func (t *dtype) isZoned() bool {
	return t != nil && (t.name == "TIMESTAMPTZ" || t.name == "TIMESTAMP WITH TIME ZONE" || t.name == "TIMESTAMP_TZ")
}

func (t *dtype) isDate() bool { return t != nil && t.name == "DATE" }

func (t *dtype) isNumeric() bool {
	if t == nil {
		return false
	}
	switch t.name {
	case "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
		"UINTEGER", "UBIGINT", "UHUGEINT", "FLOAT", "DOUBLE", "DECIMAL", "BIGNUM", "VARINT":
		return true
	}
	return false
}

// member returns the type of a struct field or union member.
func (t *dtype) member(name string) *dtype {
	if t == nil {
		return nil
	}
	for _, f := range t.fields {
		if f.name == name {
			return f.typ
		}
	}
	return nil
}

func (t *dtype) elemType() *dtype {
	if t == nil {
		return nil
	}
	return t.elem
}

func (t *dtype) mapTypes() (key, val *dtype) {
	if t == nil {
		return nil, nil
	}
	return t.key, t.val
}
