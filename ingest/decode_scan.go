package ingest

import (
	"encoding/binary"
	"fmt"
	"unicode/utf8"
)

// maxNesting bounds the nesting depth of a record (fastjson allows 300).
const maxNesting = 256

// syntaxError is where and why a record is not valid JSON.
type syntaxError struct {
	pos int // buf index of the offending byte (len(buf) at end of input)
	msg string
	eof bool // the input ended inside the record
	cut bool // a line starting with '{' began inside the record (JSON Lines)
}

// plain marks the bytes a string can hold without a closer look: not '"',
// not '\\', not a control character, not the start of a multi-byte rune.
var plain = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

const (
	stValue    = iota // a value must follow
	stArrFirst        // after '[': a value or ']'
	stObjFirst        // after '{': a key or '}'
	stObjKey          // after ',' in an object: a key
	stColon           // after a key: ':'
	stObjNext         // after a member: ',' or '}'
	stArrNext         // after an element: ',' or ']'
)

// scanRecord validates the JSON value that starts at buf[start] strictly
// (RFC 8259) and appends its compact form (whitespace outside strings
// removed, everything else byte for byte) to d.compact. Invalid UTF-8 inside
// strings is replaced by U+FFFD. It returns the index just past the value.
//
// A newline followed directly by '{' inside an unfinished record ends it:
// that is how a truncated line of a JSON Lines file shows, and the next line
// must not be swallowed.
func (d *Decoder) scanRecord(start int) (int, *syntaxError) {
	w := &d.in
	out := d.compact[:0]
	stack := d.stack[:0]
	defer func() { d.compact, d.stack = out, stack[:0] }()
	st := stValue
	i := start
	d.limit = start + MaxRecordBytes
	for {
		if i >= len(w.buf) && !w.avail(i) {
			return i, &syntaxError{pos: i, eof: true, msg: "the input ends inside this record"}
		}
		c := w.buf[i]
		switch c {
		case ' ', '\t', '\r':
			i++
			continue
		case '\n':
			i++
			if len(stack) > 0 && w.avail(i) && w.buf[i] == '{' {
				return i, &syntaxError{pos: i, cut: true, msg: "the record ends unfinished at the end of its line"}
			}
			continue
		}
		if i > d.limit {
			return i, &syntaxError{pos: i, msg: fmt.Sprintf("the record is larger than %d bytes", MaxRecordBytes)}
		}
		switch st {
		case stObjFirst, stObjKey:
			if c == '}' && st == stObjFirst {
				break // closed below
			}
			if c != '"' {
				return i, d.unexpected(i, "a string key")
			}
			var serr *syntaxError
			out, i, serr = d.scanString(out, i)
			if serr != nil {
				return i, serr
			}
			st = stColon
			continue
		case stColon:
			if c != ':' {
				return i, d.unexpected(i, "':' after the key")
			}
			out = append(out, ':')
			i++
			st = stValue
			continue
		case stObjNext, stArrNext:
			if c == ',' {
				out = append(out, ',')
				i++
				st = stValue
				if stack[len(stack)-1] == '{' {
					st = stObjKey
				}
				continue
			}
			if want := stack[len(stack)-1] + 2; c != want { // '{'+2 == '}', '['+2 == ']'
				return i, d.unexpected(i, fmt.Sprintf("',' or '%c'", want))
			}
		case stArrFirst:
			if c == ']' {
				break
			}
			st = stValue
		}
		switch c {
		case '}', ']':
			if st == stValue || len(stack) == 0 || stack[len(stack)-1]+2 != c {
				return i, d.unexpected(i, "a value")
			}
			stack = stack[:len(stack)-1]
			out = append(out, c)
			i++
		case '{', '[':
			if len(stack) >= maxNesting {
				return i, &syntaxError{pos: i, msg: fmt.Sprintf("nesting is deeper than %d levels", maxNesting)}
			}
			stack = append(stack, c)
			out = append(out, c)
			i++
			st = stObjFirst
			if c == '[' {
				st = stArrFirst
			}
			continue
		case '"':
			var serr *syntaxError
			out, i, serr = d.scanString(out, i)
			if serr != nil {
				return i, serr
			}
		case 't':
			var ok bool
			if out, i, ok = d.scanLiteral(out, i, "true"); !ok {
				return i, d.unexpected(i, "a value")
			}
		case 'f':
			var ok bool
			if out, i, ok = d.scanLiteral(out, i, "false"); !ok {
				return i, d.unexpected(i, "a value")
			}
		case 'n':
			var ok bool
			if out, i, ok = d.scanLiteral(out, i, "null"); !ok {
				return i, d.unexpected(i, "a value")
			}
		default:
			var serr *syntaxError
			out, i, serr = d.scanNumber(out, i)
			if serr != nil {
				return i, serr
			}
		}
		// A value is complete.
		if len(stack) == 0 {
			return i, nil
		}
		st = stObjNext
		if stack[len(stack)-1] == '[' {
			st = stArrNext
		}
	}
}

func (d *Decoder) unexpected(i int, want string) *syntaxError {
	return &syntaxError{pos: i, msg: fmt.Sprintf("expected %s, found %s", want, quoteByte(d.in.buf[i]))}
}

func quoteByte(c byte) string {
	if c >= 0x20 && c < 0x7f {
		return fmt.Sprintf("'%c'", c)
	}
	return fmt.Sprintf("byte 0x%02x", c)
}

// scanLiteral checks for lit at buf[i].
func (d *Decoder) scanLiteral(out []byte, i int, lit string) ([]byte, int, bool) {
	w := &d.in
	for k := 0; k < len(lit); k++ {
		if !w.avail(i+k) || w.buf[i+k] != lit[k] {
			return out, i, false
		}
	}
	return append(out, lit...), i + len(lit), true
}

// scanNumber checks the JSON number grammar at buf[i]; the number's text is
// kept as it is.
func (d *Decoder) scanNumber(out []byte, i int) ([]byte, int, *syntaxError) {
	w := &d.in
	at := func(j int) byte {
		if w.avail(j) {
			return w.buf[j]
		}
		return 0
	}
	digits := func(j int) int {
		for c := at(j); c >= '0' && c <= '9'; c = at(j) {
			j++
		}
		return j
	}
	j := i
	if at(j) == '-' {
		j++
	}
	switch c := at(j); {
	case c == '0':
		j++
	case c >= '1' && c <= '9':
		j = digits(j + 1)
	default:
		if j == i {
			return out, i, d.unexpected(i, "a value")
		}
		return out, j, &syntaxError{pos: j, eof: !w.avail(j), msg: "a number has no digits"}
	}
	if at(j) == '.' {
		k := digits(j + 1)
		if k == j+1 {
			return out, k, &syntaxError{pos: k, eof: !w.avail(k), msg: "a number has no digits after '.'"}
		}
		j = k
	}
	if c := at(j); c == 'e' || c == 'E' {
		j++
		if c := at(j); c == '+' || c == '-' {
			j++
		}
		k := digits(j)
		if k == j {
			return out, k, &syntaxError{pos: k, eof: !w.avail(k), msg: "a number has no digits in its exponent"}
		}
		j = k
	}
	return append(out, w.buf[i:j]...), j, nil
}

// scanString copies the string that starts at buf[i] (a '"') to out and
// checks its escapes, control characters and UTF-8.
func (d *Decoder) scanString(out []byte, i int) ([]byte, int, *syntaxError) {
	w := &d.in
	out = append(out, '"')
	i++
	for {
		buf := w.buf
		j := i
		for j+8 <= len(buf) && !hasSpecial(binary.LittleEndian.Uint64(buf[j:])) {
			j += 8
		}
		for j < len(buf) && plain[buf[j]] {
			j++
		}
		out = append(out, buf[i:j]...)
		i = j
		if i >= len(buf) {
			if i > d.limit {
				return out, i, &syntaxError{pos: i, msg: fmt.Sprintf("the record is larger than %d bytes", MaxRecordBytes)}
			}
			if !w.avail(i) {
				return out, i, &syntaxError{pos: i, eof: true, msg: "the input ends inside a string"}
			}
			continue
		}
		switch c := buf[i]; {
		case c == '"':
			return append(out, '"'), i + 1, nil
		case c == '\\':
			n, ok := d.escapeLen(i)
			if !ok {
				return out, i, &syntaxError{pos: i, eof: !w.avail(i + n), msg: "a string has an invalid escape sequence"}
			}
			out = append(out, w.buf[i:i+n]...)
			i += n
		case c < 0x20:
			if c == '\n' && w.avail(i+1) && w.buf[i+1] == '{' {
				return out, i + 1, &syntaxError{pos: i + 1, cut: true, msg: "a string is not closed at the end of its line"}
			}
			return out, i, &syntaxError{pos: i, msg: fmt.Sprintf("a string holds the control character 0x%02x", c)}
		default: // c >= 0x80
			w.avail(i + utf8.UTFMax - 1)
			r, size := utf8.DecodeRune(w.buf[i:])
			if r == utf8.RuneError && size <= 1 {
				out = append(out, "\uFFFD"...)
				i++
				continue
			}
			out = append(out, w.buf[i:i+size]...)
			i += size
		}
	}
}

// hasSpecial reports whether any of the 8 bytes in x is not plain: a
// control character, '"', '\\' or a byte >= 0x80 (no false negatives).
func hasSpecial(x uint64) bool {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	q := x ^ (lo * '"')
	b := x ^ (lo * '\\')
	return ((x-lo*0x20)&^x|(q-lo)&^q|(b-lo)&^b|x)&hi != 0
}

// escapeLen returns the length of the escape sequence at buf[i] (a '\\').
func (d *Decoder) escapeLen(i int) (int, bool) {
	w := &d.in
	if !w.avail(i + 1) {
		return 1, false
	}
	switch w.buf[i+1] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		return 2, true
	case 'u':
		for k := i + 2; k < i+6; k++ {
			if !w.avail(k) {
				return k - i, false
			}
			if !isHex(w.buf[k]) {
				return 0, false
			}
		}
		return 6, true
	}
	return 2, false
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}
