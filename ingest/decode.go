package ingest

import (
	"bufio"
	"errors"
	"fmt"
	"io"

	"github.com/klauspost/compress/gzip"
	"github.com/valyala/fastjson"

	"github.com/auditlake/auditlake/lake"
)

// MaxRecordBytes bounds the size of one record in the decompressed input.
// CloudTrail caps each free-form field at 100 KB, so a record this large is
// damage (for example an unbalanced bracket), not an event.
const MaxRecordBytes = 16 << 20

// Sentinel errors wrapped by RecordError.Err; test them with errors.Is.
var (
	// ErrEmpty: the input holds no bytes, or only whitespace.
	ErrEmpty = errors.New("input is empty")
	// ErrNotJSON: the input does not start like JSON at all.
	ErrNotJSON = errors.New("input is not JSON")
	// ErrCompressed: the gzip stream is corrupt or truncated.
	ErrCompressed = errors.New("gzip stream is corrupt or truncated")
	// ErrSyntax: a record is not valid JSON, or the input ends inside one.
	ErrSyntax = errors.New("invalid JSON")
	// ErrNotRecord: a value where a record was expected is not a JSON object.
	ErrNotRecord = errors.New("not a record")
	// ErrEventTime: eventTime is missing or is not a valid time.
	ErrEventTime = errors.New("bad eventTime")
)

// Result summarizes one Decode call.
type Result struct {
	Records int            // records seen, good and bad
	Events  int            // events passed to emit
	Errors  []*RecordError // content problems, in input order
}

// RecordError is a content problem in one record, or in the input as a whole.
type RecordError struct {
	File   string // the name passed to Decode
	Index  int    // 0-based record position; -1 when the problem is the input as a whole
	Line   int    // 1-based line where the record (or problem) starts
	Offset int64  // byte offset of the same place in the decompressed input
	Err    error
}

// Error returns, for example,
// `trail.json.gz: record 17 (line 3, offset 4812): eventTime "2024-13-01T00:00:00Z" is not a valid time`.
func (e *RecordError) Error() string {
	if e.Index < 0 {
		return fmt.Sprintf("%s: line %d, offset %d: %v", e.File, e.Line, e.Offset, e.Err)
	}
	return fmt.Sprintf("%s: record %d (line %d, offset %d): %v", e.File, e.Index, e.Line, e.Offset, e.Err)
}

// Unwrap returns the underlying problem, which wraps one of the Err* sentinels.
func (e *RecordError) Unwrap() error { return e.Err }

// problem is a RecordError.Err: a message for people that unwraps to a sentinel.
type problem struct {
	kind error
	msg  string
}

func (p *problem) Error() string { return p.msg }
func (p *problem) Unwrap() error { return p.kind }

func newProblem(kind error, format string, args ...any) error {
	return &problem{kind: kind, msg: fmt.Sprintf(format, args...)}
}

// Decoder decodes CloudTrail events. It is not safe for concurrent use; use
// one per goroutine (it reuses a fastjson parser and buffers).
type Decoder struct {
	p  fastjson.Parser
	br *bufio.Reader
	gz *gzip.Reader
	rr errRecorder

	in inputWindow

	name    string
	res     Result
	compact []byte // compacted current record
	inner   []byte // CloudTrailEvent text of a LookupEvents object
	scratch []byte // MarshalTo target for nested values
	arena   arena
	stack   []byte // validator container stack
	limit   int    // buf index past which the current record is too large

	streamReported bool // the damaged gzip stream is already reported
}

// NewDecoder returns a Decoder.
func NewDecoder() *Decoder {
	return &Decoder{}
}

// Decode reads one input (plain or gzip, detected by magic bytes, not by
// name) and calls emit for each good record in input order.
//
// Content problems never stop the decode: each becomes a *RecordError in
// Result.Errors and decoding goes on with the next record it can find. The
// returned error is only for I/O failures, or an error returned by emit
// (returned as is). Events passed to emit share no memory with the Decoder.
func (d *Decoder) Decode(name string, r io.Reader, emit func(*lake.Event) error) (Result, error) {
	d.name = name
	d.res = Result{}
	d.rr = errRecorder{r: r}
	if d.br == nil {
		d.br = bufio.NewReaderSize(&d.rr, 64<<10)
	} else {
		d.br.Reset(&d.rr)
	}
	defer func() {
		d.rr.r = nil // do not keep the caller's reader alive
		d.br.Reset(nil)
	}()

	var src io.Reader = d.br
	d.in.reset(nil, &d.rr)
	magic, err := d.br.Peek(2)
	if err != nil && d.rr.err != nil {
		return d.res, fmt.Errorf("read %s: %w", name, d.rr.err)
	}
	if len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		if err := d.resetGzip(); err != nil {
			if d.rr.err != nil {
				return d.res, fmt.Errorf("read %s: %w", name, d.rr.err)
			}
			d.inputError(0, newProblem(ErrCompressed, "gzip header is not valid: %v", err))
			return d.res, nil
		}
		src = d.gz
	}
	d.in.src = src
	err = d.run(emit)
	d.in.src = nil
	if err == nil && d.in.ioErr != nil {
		err = fmt.Errorf("read %s: %w", name, d.in.ioErr)
	}
	res := d.res
	d.res = Result{}
	return res, err
}

func (d *Decoder) resetGzip() error {
	if d.gz == nil {
		gz, err := gzip.NewReader(d.br)
		if err != nil {
			return err
		}
		d.gz = gz
		return nil
	}
	return d.gz.Reset(d.br)
}

// errRecorder passes reads through and remembers a failure of the caller's
// reader, so that a truncated gzip stream (content) can be told apart from a
// failing disk or network (I/O).
type errRecorder struct {
	r   io.Reader
	err error
}

func (e *errRecorder) Read(p []byte) (int, error) {
	if e.r == nil {
		return 0, io.EOF
	}
	n, err := e.r.Read(p)
	if err != nil && err != io.EOF {
		e.err = err
	}
	return n, err
}

// addError records a content problem at buffer position pos.
func (d *Decoder) addError(index, pos int, err error) {
	line, off := d.in.where(pos)
	d.res.Errors = append(d.res.Errors, &RecordError{File: d.name, Index: index, Line: line, Offset: off, Err: err})
}

// inputError records a problem with the input as a whole.
func (d *Decoder) inputError(pos int, err error) { d.addError(-1, pos, err) }
