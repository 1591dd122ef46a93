package ingest

import (
	"bytes"
	"fmt"

	"github.com/auditlake/auditlake/lake"
)

// maxWrappers bounds how many enclosing arrays and {"Records":[...]} objects
// the record sequence may be nested in.
const maxWrappers = 64

func isSpace(c byte) bool { return c == ' ' || c == '\n' || c == '\t' || c == '\r' }

// run finds the records in the input and decodes each. The input is a
// sequence of JSON values at the top level (one object, JSON Lines,
// concatenated objects), possibly wrapped in arrays or in
// {"Records":[...]} / {"Events":[...]} objects.
//
// After a record that is not valid JSON, the decoder is out of step with
// the structure: it resynchronizes by trying each following '{' as the start
// of a record, silently passing over candidates that are not records, until
// one that looks like a CloudTrail record parses.
func (d *Decoder) run(emit func(*lake.Event) error) error {
	w := &d.in
	d.streamReported = false
	pos := 0
	if w.avail(2) && bytes.HasPrefix(w.buf, []byte("\xef\xbb\xbf")) {
		pos = 3 // UTF-8 byte order mark
	}
	var wrappers [maxWrappers]byte // expected closing bytes
	nw := 0
	started, resync, endedInRecord := false, false, false
	for {
		pos = w.shift(pos)
		if !w.avail(pos) {
			break
		}
		c := w.buf[pos]
		if isSpace(c) {
			pos++
			continue
		}
		if !started {
			started = true
			if c != '{' && c != '[' {
				d.inputError(pos, newProblem(ErrNotJSON, "the input is not JSON: it starts with %s", quoteStart(w.buf[pos:])))
				return nil
			}
		}
		if resync && c != '{' {
			if k := bytes.IndexByte(w.buf[pos:], '{'); k >= 0 {
				pos += k
			} else {
				pos = len(w.buf)
			}
			continue
		}
		switch {
		case c == '{':
			if n := d.wrapperPrefix(pos); n > 0 && nw+2 <= maxWrappers {
				wrappers[nw], wrappers[nw+1] = '}', ']'
				nw += 2
				pos += n
				continue
			}
			next, rs, eof, err := d.record(pos, resync, emit)
			if err != nil {
				return err
			}
			pos, resync, endedInRecord = next, rs, eof
		case c == '[' && nw < maxWrappers:
			wrappers[nw] = ']'
			nw++
			pos++
		case c == ',' && nw > 0 && wrappers[nw-1] == '}':
			// Another member of a {"Records":[...], ...} object: skip it.
			next, ok := d.skipMember(pos + 1)
			if !ok {
				pos, resync = d.junk(pos)
				continue
			}
			pos = next
		case c == ',':
			pos++ // between records
		case (c == ']' || c == '}') && nw > 0 && wrappers[nw-1] == c:
			nw--
			pos++
		default:
			pos, resync = d.junk(pos)
		}
	}
	d.finish(started, nw > 0 && !resync && !endedInRecord)
	return nil
}

// finish reports what is wrong with the input as a whole at its end.
func (d *Decoder) finish(started, unclosed bool) {
	w := &d.in
	end := len(w.buf)
	switch {
	case w.streamErr != nil && !d.streamReported:
		_, off := w.where(end)
		d.addError(-1, end, newProblem(ErrCompressed, "the gzip stream is truncated or corrupt after %d bytes of data: %v", off, w.streamErr))
	case !started && w.ioErr == nil:
		d.inputError(end, newProblem(ErrEmpty, "the input is empty"))
	case unclosed && w.ioErr == nil:
		d.addError(-1, end, newProblem(ErrSyntax, "the input ends before the record list is closed (is the file truncated?)"))
	}
}

// junk reports a value where a record should be and starts resynchronizing.
func (d *Decoder) junk(pos int) (int, bool) {
	idx := d.res.Records
	d.res.Records++
	d.addError(idx, pos, newProblem(ErrNotRecord, "expected a record (a JSON object), found %s", quoteStart(d.in.buf[pos:])))
	return pos + 1, true
}

// quoteStart quotes the first few bytes of b for a message.
func quoteStart(b []byte) string {
	if len(b) > 16 {
		return fmt.Sprintf("%q...", b[:16])
	}
	return fmt.Sprintf("%q", b)
}

// wrapperPrefix returns the length of `{"Records":[` (any whitespace, or
// "Events" as in LookupEvents output) at buf[pos], or 0.
func (d *Decoder) wrapperPrefix(pos int) int {
	w := &d.in
	i := pos + 1
	ws := func() bool {
		for n := 0; n < 4096 && w.avail(i) && isSpace(w.buf[i]); n++ {
			i++
		}
		return w.avail(i)
	}
	lit := func(s string) bool {
		for k := 0; k < len(s); k++ {
			if !w.avail(i+k) || w.buf[i+k] != s[k] {
				return false
			}
		}
		i += len(s)
		return true
	}
	if !ws() || !(lit(`"Records"`) || lit(`"Events"`)) || !ws() || !lit(":") || !ws() || !lit("[") {
		return 0
	}
	return i - pos
}

// skipMember skips `"key": value` at buf[pos] after a comma.
func (d *Decoder) skipMember(pos int) (int, bool) {
	w := &d.in
	ws := func() bool {
		for w.avail(pos) && isSpace(w.buf[pos]) {
			pos++
		}
		return w.avail(pos)
	}
	if !ws() || w.buf[pos] != '"' {
		return pos, false
	}
	end, serr := d.scanRecord(pos)
	if serr != nil {
		return pos, false
	}
	pos = end
	if !ws() || w.buf[pos] != ':' {
		return pos, false
	}
	pos++
	if !ws() {
		return pos, false
	}
	end, serr = d.scanRecord(pos)
	if serr != nil {
		return pos, false
	}
	return end, true
}

// record scans, decodes and emits the record at buf[start] (a '{'). It
// returns where to go on, whether to resynchronize, whether the input ended
// inside the record, and an error from emit.
func (d *Decoder) record(start int, resync bool, emit func(*lake.Event) error) (int, bool, bool, error) {
	end, serr := d.scanRecord(start)
	if serr != nil {
		if resync {
			return start + 1, true, false, nil
		}
		idx := d.res.Records
		d.res.Records++
		var prob error
		if serr.eof && d.in.streamErr != nil {
			d.streamReported = true
			prob = newProblem(ErrCompressed, "the gzip stream is truncated or corrupt inside this record: %v", d.in.streamErr)
		} else {
			line, off := d.in.where(serr.pos)
			prob = newProblem(ErrSyntax, "invalid JSON at line %d, offset %d: %s", line, off, serr.msg)
		}
		d.addError(idx, start, prob)
		switch {
		case serr.eof:
			return len(d.in.buf), false, true, nil
		case serr.cut:
			return serr.pos, false, false, nil
		}
		return serr.pos, true, false, nil
	}
	ev, isRecord, prob := d.decodeRecord(d.compact, resync)
	if resync && !isRecord {
		return start + 1, true, false, nil
	}
	idx := d.res.Records
	d.res.Records++
	if prob != nil {
		d.addError(idx, start, prob)
		return end, false, false, nil
	}
	d.res.Events++
	if err := emit(ev); err != nil {
		return end, false, false, err
	}
	return end, false, false, nil
}
