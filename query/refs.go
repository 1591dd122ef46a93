package query

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/auditlake/auditlake/lake"

	"github.com/auditlake/auditlake/internal/sqlscan"
)

// placeholderPrefix starts the internal identifier that replaces each store
// reference. The engine creates one view of that name per reference.
const placeholderPrefix = "__auditlake_s"

type tokKind uint8

const (
	tokWord   tokKind = iota // unquoted identifier, keyword or number
	tokIdent                 // "quoted identifier"
	tokString                // 'string', E'string', $$string$$
	tokPunct                 // any other single character
)

type token struct {
	kind       tokKind
	start, end int // byte offsets of the whole token, quotes included
}

// tokenize splits SQL into tokens, dropping white space and comments. It
// never fails: an unterminated quote or comment runs to the end.
func tokenize(src string) []token {
	var toks []token
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
			i++
		case c == '-' && strings.HasPrefix(src[i:], "--"):
			if j := strings.IndexByte(src[i:], '\n'); j >= 0 {
				i += j + 1
			} else {
				i = len(src)
			}
		case c == '/' && strings.HasPrefix(src[i:], "/*"):
			i = sqlscan.SkipBlockComment(src, i)
		case c == '\'':
			j := sqlscan.SkipQuoted(src, i, '\'', false)
			toks = append(toks, token{tokString, i, j})
			i = j
		case (c == 'e' || c == 'E') && i+1 < len(src) && src[i+1] == '\'':
			j := sqlscan.SkipQuoted(src, i+1, '\'', true)
			toks = append(toks, token{tokString, i, j})
			i = j
		case c == '"':
			j := sqlscan.SkipQuoted(src, i, '"', false)
			toks = append(toks, token{tokIdent, i, j})
			i = j
		case c == '$':
			if j, ok := sqlscan.SkipDollarQuoted(src, i); ok {
				toks = append(toks, token{tokString, i, j})
				i = j
				break
			}
			j := i + 1
			for j < len(src) && sqlscan.IsWordByte(src[j]) {
				j++
			}
			toks = append(toks, token{tokWord, i, j})
			i = j
		case sqlscan.IsWordByte(c):
			j := i + 1
			for j < len(src) && sqlscan.IsWordByte(src[j]) {
				j++
			}
			toks = append(toks, token{tokWord, i, j})
			i = j
		default:
			toks = append(toks, token{tokPunct, i, i + 1})
			i++
		}
	}
	return toks
}

// storeRef is one reference to a store in a statement.
type storeRef struct {
	Text        string // the reference as written, quotes removed
	Placeholder string // the identifier that replaced it
	Store       lake.StoreInfo
	Found       bool
}

// edit is one replacement made in the statement, for mapping error
// positions back to what the caller wrote.
type edit struct {
	origStart, origEnd int
	newStart, newEnd   int
}

// rewritten is a statement whose store references were replaced.
type rewritten struct {
	Orig string
	SQL  string
	Refs []storeRef
	// Now is the statement's start instant (UTC, whole milliseconds):
	// now(), current_timestamp and current_date are that one instant both
	// in the translated SQL and in time pruning.
	Now   time.Time
	edits []edit
	// layers are later rewrites of SQL (preTranslate), each mapping its
	// output back to the previous text.
	layers [][]edit
	// pushdown is set when the translation reads the stored eventJson
	// through internal columns (eventjson.go), whose names error messages
	// must not show.
	pushdown bool
}

// origOffset maps a byte offset in SQL back to one in Orig.
func (r *rewritten) origOffset(off int) int {
	for i := len(r.layers) - 1; i >= 0; i-- {
		off = mapBack(r.layers[i], off)
	}
	return mapBack(r.edits, off)
}

// mapBack maps an offset after edits to one before them.
func mapBack(edits []edit, off int) int {
	delta := 0
	for _, e := range edits {
		if off < e.newStart {
			break
		}
		if off < e.newEnd {
			return e.origStart
		}
		delta = e.origEnd - e.newEnd
	}
	return off + delta
}

// resolveFunc looks a store reference up. It returns found == false when
// there is no such store.
type resolveFunc func(ctx context.Context, ref string) (info lake.StoreInfo, found bool, err error)

// catalogResolver adapts a Catalog to a resolveFunc.
func catalogResolver(cat Catalog) resolveFunc {
	return func(ctx context.Context, ref string) (lake.StoreInfo, bool, error) {
		info, err := cat.Store(ctx, ref)
		switch {
		case errors.Is(err, lake.ErrStoreNotFound):
			return lake.StoreInfo{}, false, nil
		case err != nil:
			return lake.StoreInfo{}, false, fmt.Errorf("resolve store %q: %w", ref, err)
		}
		return info, true, nil
	}
}

// rewriteRefs finds the table references in FROM and JOIN position that are
// not CTE names, resolves them and replaces each with a placeholder
// identifier (plus, when the reference has no alias, an alias spelling the
// reference as written). Unresolved bare and double-quoted references are
// replaced too and reported with Found == false; unresolved string literals
// are left for the validator to refuse. The rewrite is a best effort: a
// reference it misses stays in the statement, and the validator refuses it.
func rewriteRefs(ctx context.Context, src string, resolve resolveFunc) (*rewritten, error) {
	toks := tokenize(src)
	ctes := cteNames(src, toks)
	rw := &rewritten{Orig: src, Now: queryClock().UTC().Truncate(time.Millisecond)}
	var b strings.Builder
	last := 0
	for _, pos := range tablePositions(src, toks) {
		start, end, text, ok := refAt(src, toks, pos)
		if !ok || ctes[strings.ToLower(text)] {
			continue
		}
		info, found, err := resolve(ctx, text)
		if err != nil {
			return nil, err
		}
		if !found && toks[pos].kind == tokString {
			continue
		}
		ph := fmt.Sprintf("%s%d", placeholderPrefix, len(rw.Refs)+1)
		rw.Refs = append(rw.Refs, storeRef{Text: text, Placeholder: ph, Store: info, Found: found})
		repl := ph
		if next := nextAfter(toks, end); !hasAlias(src, toks, next) && !strings.ContainsRune(text, '"') {
			repl += ` AS "` + text + `"`
		}
		b.WriteString(src[last:start])
		e := edit{origStart: start, origEnd: end, newStart: b.Len()}
		b.WriteString(repl)
		e.newEnd = b.Len()
		rw.edits = append(rw.edits, e)
		last = end
	}
	b.WriteString(src[last:])
	rw.SQL = b.String()
	return rw, nil
}

// refAt reads the table reference that starts at token pos: a quoted
// identifier, a string literal, or a run of words, '-' and '.' with no
// space between them (store IDs and names as written unquoted). It returns
// false for a table function or anything that is not a reference.
func refAt(src string, toks []token, pos int) (start, end int, text string, ok bool) {
	t := toks[pos]
	switch t.kind {
	case tokIdent:
		return t.start, t.end, unquote(src[t.start:t.end], '"'), true
	case tokString:
		if src[t.start] != '\'' {
			return 0, 0, "", false
		}
		return t.start, t.end, unquote(src[t.start:t.end], '\''), true
	case tokWord:
		if src[t.start] == '$' || notTableWords[strings.ToUpper(src[t.start:t.end])] {
			return 0, 0, "", false
		}
	default:
		return 0, 0, "", false
	}
	i := pos
	for i+1 < len(toks) && toks[i+1].start == toks[i].end && isNameTok(src, toks[i+1]) {
		i++
	}
	if c := src[toks[i].start]; c == '-' || c == '.' {
		i-- // a name does not end in '-' or '.'
	}
	if i+1 < len(toks) && src[toks[i+1].start] == '(' {
		return 0, 0, "", false // table function
	}
	return t.start, toks[i].end, src[t.start:toks[i].end], true
}

func isNameTok(src string, t token) bool {
	if t.kind == tokWord {
		return src[t.start] != '$'
	}
	c := src[t.start]
	return t.kind == tokPunct && (c == '-' || c == '.')
}

// notTableWords are keywords that can follow FROM or JOIN without being a
// table name.
var notTableWords = map[string]bool{
	"SELECT": true, "VALUES": true, "LATERAL": true, "WITH": true, "TABLE": true,
}

// tablePositions returns the indexes of the tokens where a table reference
// may start: after FROM (when it is a FROM clause, not EXTRACT(x FROM y) or
// IS DISTINCT FROM), after JOIN, PIVOT and UNPIVOT, after LATERAL there, and
// after a comma in a FROM clause.
func tablePositions(src string, toks []token) []int {
	type group struct{ call, sawSelect, inFrom bool }
	stack := []group{{}}
	var out []int
	word := func(i int) string {
		if i < 0 || i >= len(toks) || toks[i].kind != tokWord {
			return ""
		}
		return strings.ToUpper(src[toks[i].start:toks[i].end])
	}
	add := func(i int) {
		for word(i) == "LATERAL" {
			i++
		}
		if i < len(toks) {
			out = append(out, i)
		}
	}
	for i, t := range toks {
		top := &stack[len(stack)-1]
		if t.kind == tokPunct {
			switch src[t.start] {
			case '(':
				prev := word(i - 1)
				stack = append(stack, group{call: prev != "" && !clauseWords[prev]})
			case ')':
				if len(stack) > 1 {
					stack = stack[:len(stack)-1]
				}
			case ',':
				if top.inFrom {
					add(i + 1)
				}
			case ';':
				*top = group{}
			}
			continue
		}
		switch w := word(i); w {
		case "SELECT":
			top.sawSelect, top.inFrom = true, false
		case "FROM":
			if top.call && !top.sawSelect || word(i-1) == "DISTINCT" {
				continue
			}
			top.inFrom = true
			add(i + 1)
		case "JOIN":
			top.inFrom = true
			add(i + 1)
		case "PIVOT", "UNPIVOT": // PIVOT <table> ON ...; FROM t PIVOT (...) is skipped by refAt
			add(i + 1)
		case "WHERE", "GROUP", "HAVING", "ORDER", "LIMIT", "OFFSET", "QUALIFY", "WINDOW",
			"UNION", "INTERSECT", "EXCEPT", "RETURNING":
			top.inFrom = false
		}
	}
	return out
}

// clauseWords are keywords after which '(' opens a subquery or a
// parenthesized expression rather than a function call's arguments.
var clauseWords = map[string]bool{
	"FROM": true, "JOIN": true, "IN": true, "EXISTS": true, "AS": true, "ON": true,
	"WHERE": true, "AND": true, "OR": true, "NOT": true, "SELECT": true, "UNION": true,
	"ALL": true, "INTERSECT": true, "EXCEPT": true, "LATERAL": true, "ANY": true,
	"SOME": true, "WITH": true, "MATERIALIZED": true, "THEN": true, "ELSE": true,
	"WHEN": true, "HAVING": true, "QUALIFY": true, "VALUES": true, "BY": true,
	"DISTINCT": true, "CASE": true, "RECURSIVE": true, "USING": true, "IS": true,
}

// hasAlias reports whether the token at i (after a table reference) starts
// an alias. Only a few well-known followers are treated as "no alias"; when
// unsure it says yes, which merely leaves out the implicit alias.
func hasAlias(src string, toks []token, i int) bool {
	if i >= len(toks) {
		return false
	}
	t := toks[i]
	switch t.kind {
	case tokPunct:
		return false
	case tokWord:
		return !aliasStoppers[strings.ToUpper(src[t.start:t.end])]
	}
	return true
}

var aliasStoppers = map[string]bool{
	"WHERE": true, "JOIN": true, "INNER": true, "LEFT": true, "RIGHT": true, "FULL": true,
	"CROSS": true, "NATURAL": true, "POSITIONAL": true, "ASOF": true, "ANTI": true,
	"SEMI": true, "ON": true, "USING": true, "GROUP": true, "ORDER": true, "LIMIT": true,
	"OFFSET": true, "UNION": true, "INTERSECT": true, "EXCEPT": true, "HAVING": true,
	"WINDOW": true, "QUALIFY": true, "SELECT": true, "FETCH": true, "OUTER": true,
}

func nextAfter(toks []token, off int) int {
	for i, t := range toks {
		if t.start >= off {
			return i
		}
	}
	return len(toks)
}

// cteNames returns the lower-cased names of all common table expressions
// defined anywhere in the statement. A CTE name shadows a store name.
func cteNames(src string, toks []token) map[string]bool {
	names := map[string]bool{}
	upper := func(i int) string {
		if i >= len(toks) || toks[i].kind != tokWord {
			return ""
		}
		return strings.ToUpper(src[toks[i].start:toks[i].end])
	}
	for i := range toks {
		if upper(i) != "WITH" {
			continue
		}
		j := i + 1
		if upper(j) == "RECURSIVE" {
			j++
		}
		for j < len(toks) {
			t := toks[j]
			switch t.kind {
			case tokWord:
				names[strings.ToLower(src[t.start:t.end])] = true
			case tokIdent:
				names[strings.ToLower(unquote(src[t.start:t.end], '"'))] = true
			default:
				j = len(toks)
				continue
			}
			j++
			for j < len(toks) && upper(j) != "AS" { // column list, USING KEY (...)
				if toks[j].kind == tokPunct && src[toks[j].start] == '(' {
					j = skipParens(src, toks, j)
					continue
				}
				if upper(j) != "USING" && upper(j) != "KEY" {
					break
				}
				j++
			}
			if upper(j) != "AS" {
				break
			}
			j++
			for upper(j) == "NOT" || upper(j) == "MATERIALIZED" {
				j++
			}
			if j >= len(toks) || src[toks[j].start] != '(' {
				break
			}
			j = skipParens(src, toks, j)
			if j >= len(toks) || src[toks[j].start] != ',' || toks[j].kind != tokPunct {
				break
			}
			j++
		}
	}
	return names
}

// skipParens returns the index after the ')' matching the '(' at toks[i].
func skipParens(src string, toks []token, i int) int {
	depth := 0
	for ; i < len(toks); i++ {
		if toks[i].kind != tokPunct {
			continue
		}
		switch src[toks[i].start] {
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return i + 1
			}
		}
	}
	return len(toks)
}

// unquote removes the quotes around s and undoubles inner quotes.
func unquote(s string, q byte) string {
	if len(s) >= 2 && s[0] == q && s[len(s)-1] == q {
		s = s[1 : len(s)-1]
	} else if len(s) >= 1 && s[0] == q {
		s = s[1:]
	}
	return strings.ReplaceAll(s, string([]byte{q, q}), string(q))
}
