package pgwire

import (
	"strings"
	"sync"
)

// isCatalogQuery reports whether a SELECT is about the catalog rather than
// the stores: it names pg_catalog, information_schema or a pg_ relation or
// function, or reads no relation at all (SELECT version()).
func isCatalogQuery(sql string) bool {
	from := false
	for _, t := range words(sql) {
		w := ""
		switch t.kind {
		case tokWord:
			w = strings.ToLower(t.text)
		case tokIdent:
			w = unquoteIdent(t.text)
		default:
			continue
		}
		switch {
		case w == "pg_catalog" || w == "information_schema" || strings.HasPrefix(w, "pg_"):
			return true
		case w == "from" && t.kind == tokWord:
			from = true
		}
	}
	return !from
}

// stripSchema drops the schema (and database) qualifiers tools put before
// store names: public.x, "public"."x" and db.public.x become x, which the
// engine resolves by name or ID.
func stripSchema(sql string) string {
	toks := lex(sql)
	var b strings.Builder
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		if (t.kind == tokWord || t.kind == tokIdent) && unquoteIdent(t.text) == "public" &&
			i+2 < len(toks) && toks[i+1].text == "." && (toks[i+2].kind == tokWord || toks[i+2].kind == tokIdent) &&
			(i == 0 || toks[i-1].text != ".") {
			i++ // skip "public."
			continue
		}
		if (t.kind == tokWord || t.kind == tokIdent) && i+4 < len(toks) && toks[i+1].text == "." &&
			unquoteIdent(toks[i+2].text) == "public" && toks[i+3].text == "." && (i == 0 || toks[i-1].text != ".") {
			i += 3 // skip "db.public."
			continue
		}
		b.WriteString(t.text)
	}
	return b.String()
}

// rewriteCatalog adapts PostgreSQL catalog SQL to the catalog database:
// pg_catalog and information_schema become its schemas pgc and pgi,
// OPERATOR(pg_catalog.~) becomes ~, COLLATE clauses go, and casts to the
// reg* types become calls: 'name'::regclass looks up the OID, x::regclass
// (an OID) gives the name.
func rewriteCatalog(sql string) string {
	toks := lex(sql)
	next := func(i int) int { // index of the next non-space token after i
		for j := i + 1; j < len(toks); j++ {
			if toks[j].kind != tokSpace {
				return j
			}
		}
		return len(toks)
	}
	text := func(i int) string {
		if i < len(toks) {
			return toks[i].text
		}
		return ""
	}
	var out []token // emitted tokens, spaces included
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		lw := strings.ToLower(t.text)
		if t.kind == tokIdent {
			lw = unquoteIdent(t.text)
		}
		switch {
		case t.kind == tokWord && lw == "operator" && text(next(i)) == "(":
			j := next(i)
			var op strings.Builder
			for j = next(j); j < len(toks) && toks[j].text != ")"; j = next(j) {
				if tw := strings.ToLower(toks[j].text); tw != "pg_catalog" && tw != "." {
					op.WriteString(toks[j].text)
				}
			}
			out = append(out, token{kind: tokPunct, text: op.String()})
			i = j
			continue
		case t.kind == tokWord && lw == "collate":
			j := next(i)
			for k := next(j); text(k) == "."; k = next(next(k)) {
				j = next(k)
			}
			i = j
			continue
		case (t.kind == tokWord || t.kind == tokIdent) && (lw == "pg_catalog" || lw == "information_schema") && text(next(i)) == ".":
			name := "pgi"
			if lw == "pg_catalog" {
				j := next(next(i))
				if !pgcNames()[strings.ToLower(unquoteIdent(text(j)))] {
					i = next(i) // a built-in such as array_to_string or a type: drop "pg_catalog."
					continue
				}
				name = "pgc"
			}
			out = append(out, token{kind: tokWord, text: name})
			continue
		case t.kind == tokWord && (catalogFunctions[lw] || bareFunctions[lw]) && !afterDot(out):
			if text(next(i)) == "(" {
				if catalogFunctions[lw] {
					out = append(out, token{kind: tokWord, text: "pgc." + lw})
					continue
				}
			} else if bareFunctions[lw] {
				if lw == "user" {
					lw = "current_user"
				}
				out = append(out, token{kind: tokWord, text: "pgc." + lw + "()"})
				continue
			}
		case t.kind == tokPunct && t.text == ":" && text(i+1) == ":":
			j := next(i + 1)
			if strings.EqualFold(text(j), "pg_catalog") && text(next(j)) == "." {
				j = next(next(j))
			}
			typ := strings.ToLower(text(j))
			if typ == "oid" {
				out = append(out, token{kind: tokPunct, text: "::UINTEGER"})
				i = j
				continue
			}
			if strings.HasPrefix(typ, "reg") {
				out = wrapOperand(out, typ)
				i = j
				continue
			}
		}
		out = append(out, t)
	}
	var b strings.Builder
	for _, t := range out {
		b.WriteString(t.text)
	}
	return b.String()
}

// wrapOperand replaces the operand at the end of out (a string literal,
// a number or a dotted name) with a call of the reg* cast function.
func wrapOperand(out []token, typ string) []token {
	end := len(out)
	for end > 0 && out[end-1].kind == tokSpace {
		end--
	}
	start := end - 1
	if start < 0 {
		return out
	}
	literal := out[start].kind == tokString
	if !literal {
		for start >= 2 && out[start-1].text == "." && (out[start-2].kind == tokWord || out[start-2].kind == tokIdent) {
			start -= 2
		}
	}
	var arg strings.Builder
	for _, t := range out[start:end] {
		arg.WriteString(t.text)
	}
	fn := "pgc.oid_to_" + typ
	if literal {
		fn = "pgc.text_to_" + typ
	}
	out = append(out[:start], token{kind: tokWord, text: fn + "(" + arg.String() + ")"})
	return out
}

// afterDot reports whether the last emitted non-space token is a dot.
func afterDot(out []token) bool {
	for i := len(out) - 1; i >= 0; i-- {
		if out[i].kind != tokSpace {
			return out[i].text == "."
		}
	}
	return false
}

// pgcNames are the relations and functions of the catalog schema pgc.
var pgcNames = sync.OnceValue(func() map[string]bool {
	names := map[string]bool{}
	for _, t := range catalogTables {
		names[t[:strings.IndexByte(t, '(')]] = true
	}
	for _, v := range catalogViews {
		if rest, ok := strings.CutPrefix(v, "CREATE VIEW pgc."); ok {
			names[rest[:strings.IndexByte(rest, ' ')]] = true
		}
	}
	for _, m := range catalogMacros {
		rest := strings.TrimPrefix(m, "CREATE MACRO pgc.")
		names[rest[:strings.IndexByte(rest, '(')]] = true
	}
	return names
})
