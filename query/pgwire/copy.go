package pgwire

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5/pgproto3"
)

// copyOptions are the options of COPY ... TO STDOUT.
type copyOptions struct {
	csv       bool
	header    bool
	delimiter byte
}

// copyStatement starts COPY (query) TO STDOUT or COPY table TO STDOUT,
// with the text or CSV format; COPY FROM is refused (nothing writes).
func (c *conn) copyStatement(ctx context.Context, text string) (*result, error) {
	ws := words(text)
	if len(ws) < 2 {
		return nil, &pgError{code: "42601", msg: "syntax error at end of input"}
	}
	var inner string
	rest := ws[2:]
	if ws[1].text == "(" {
		depth, end := 0, -1
		for i, t := range ws[1:] {
			if t.text == "(" {
				depth++
			} else if t.text == ")" {
				if depth--; depth == 0 {
					end = i + 1
					break
				}
			}
		}
		if end < 0 {
			return nil, &pgError{code: "42601", msg: "syntax error: unbalanced parentheses in COPY"}
		}
		inner = text[ws[1].pos+1 : ws[end].pos]
		rest = ws[end+1:]
	} else {
		j := 1
		for j+2 < len(ws) && ws[j+1].text == "." {
			j += 2
		}
		inner = "SELECT * FROM " + text[ws[1].pos:ws[j].pos+len(ws[j].text)]
		rest = ws[j+1:]
	}
	if len(rest) < 2 || !strings.EqualFold(rest[0].text, "to") {
		return nil, &pgError{code: "25006", msg: "cannot execute COPY FROM in a read-only transaction"}
	}
	if !strings.EqualFold(rest[1].text, "stdout") {
		return nil, &pgError{code: "42501", msg: "COPY to a file is not allowed; use COPY ... TO STDOUT (psql: \\copy)"}
	}
	opts := &copyOptions{delimiter: '\t'}
	for i := 2; i < len(rest); i++ {
		w := strings.ToLower(rest[i].text)
		next := ""
		if i+1 < len(rest) {
			next = strings.ToLower(rest[i+1].text)
		}
		switch {
		case w == "csv" || w == "format" && next == "csv":
			opts.csv = true
			if opts.delimiter == '\t' {
				opts.delimiter = ','
			}
		case w == "header" && next != "false":
			opts.header = true
		case w == "delimiter" && i+1 < len(rest) && rest[i+1].kind == tokString:
			if d := unquoteString(rest[i+1].text); len(d) == 1 {
				opts.delimiter = d[0]
			}
		}
	}
	res, err := c.query(ctx, inner)
	if err != nil {
		return nil, err
	}
	res.copyOut = opts
	return res, nil
}

// copyOut streams a COPY result as CopyData messages, one per row.
func (c *conn) copyOut(p *portal) error {
	res, opts := p.res, p.res.copyOut
	formats := make([]uint16, len(res.cols))
	c.be.Send(&pgproto3.CopyOutResponse{OverallFormat: 0, ColumnFormatCodes: formats})
	c.setRunning(p.cancel)
	defer c.setRunning(nil)
	var line, field []byte
	if opts.header {
		for i, col := range res.cols {
			if i > 0 {
				line = append(line, opts.delimiter)
			}
			line = appendCopyField(line, []byte(col.name), opts)
		}
		c.be.Send(&pgproto3.CopyData{Data: append(line, '\n')})
	}
	var n int64
	pending := 0
	for res.next() {
		line = line[:0]
		for i, v := range res.values() {
			if i > 0 {
				line = append(line, opts.delimiter)
			}
			if v == nil {
				if !opts.csv {
					line = append(line, `\N`...)
				}
				continue
			}
			field = appendText(field[:0], v, res.cols[i].oid)
			line = appendCopyField(line, field, opts)
		}
		line = append(line, '\n')
		c.be.Send(&pgproto3.CopyData{Data: line})
		n++
		if pending += len(line); pending >= flushBytes {
			pending = 0
			if err := c.be.Flush(); err != nil {
				return err
			}
		}
	}
	if err := res.err(); err != nil {
		return mapError(p.ctx, p.sql, err)
	}
	c.be.Send(&pgproto3.CopyDone{})
	c.be.Send(&pgproto3.CommandComplete{CommandTag: fmt.Appendf(nil, "COPY %d", n)})
	return p.close()
}

// appendCopyField escapes a field for COPY's text format (backslash
// escapes) or CSV (quoted when it must be).
func appendCopyField(b, v []byte, opts *copyOptions) []byte {
	if opts.csv {
		quote := len(v) == 0 // "" is the empty string, nothing is NULL
		for _, ch := range v {
			if ch == '"' || ch == '\r' || ch == '\n' || ch == opts.delimiter {
				quote = true
				break
			}
		}
		if !quote {
			return append(b, v...)
		}
		b = append(b, '"')
		for _, ch := range v {
			if ch == '"' {
				b = append(b, '"')
			}
			b = append(b, ch)
		}
		return append(b, '"')
	}
	for _, ch := range v {
		switch ch {
		case '\\':
			b = append(b, `\\`...)
		case '\n':
			b = append(b, `\n`...)
		case '\r':
			b = append(b, `\r`...)
		case '\t':
			b = append(b, `\t`...)
		default:
			if ch == opts.delimiter {
				b = append(b, '\\')
			}
			b = append(b, ch)
		}
	}
	return b
}
