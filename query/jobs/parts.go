package jobs

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"time"
)

// partMaxBytes bounds the size of one result file, whatever its rows.
const partMaxBytes = 8 << 20

// partWriter accumulates the rows of one result file.
type partWriter struct {
	n       int      // the file's number, from 1
	columns []string // the header's column names
	data    []byte   // the header line, then the rows
	rows    int64
	opened  time.Time // when the first row came
}

// writeParts reads the CSV that query.WriteCSV produces and stores it as
// result files of at most PartRows rows, each with the header, flushing a
// file early when FlushInterval has passed since its first row. It
// records each file in the query's record as soon as it is stored, except
// the last: that one, written when the CSV ends, it returns for the
// caller to record with the query's end (nil when the CSV ended with a
// full file), so that the last rows and the end are seen together. There
// is always at least one file. A query cancelled meanwhile stops it.
//
// The rows are copied as they come, not parsed and written again: only
// the header is parsed, for the column names.
func (m *Manager) writeParts(ctx context.Context, id string, src io.Reader) (*partWriter, error) {
	br := bufio.NewReaderSize(src, 64<<10)
	headLine, err := readCSVRecord(br, nil)
	if errors.Is(err, io.EOF) {
		err = errors.New("results have no header row")
	}
	if err != nil {
		return nil, fmt.Errorf("read results: %w", err)
	}
	cr := csv.NewReader(bytes.NewReader(headLine))
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("read results: %w", err)
	}
	var p *partWriter
	for n := 1; ; {
		if p == nil {
			p = &partWriter{n: n, columns: header, data: append(make([]byte, 0, 64<<10), headLine...)}
		}
		end := len(p.data)
		if p.data, err = readCSVRecord(br, p.data); err != nil {
			p.data = p.data[:end]
			if errors.Is(err, io.EOF) {
				break
			}
			return nil, fmt.Errorf("read results: %w", err)
		}
		if p.rows++; p.rows == 1 {
			p.opened = m.now()
		}
		if p.rows >= int64(m.opts.PartRows) || len(p.data) >= partMaxBytes || m.now().Sub(p.opened) >= m.opts.FlushInterval {
			if err := m.storePart(ctx, id, p); err != nil {
				return nil, err
			}
			p, n = nil, n+1
		}
	}
	if p.rows == 0 && p.n > 1 {
		return nil, nil
	}
	return p, m.writePart(ctx, id, p)
}

// readCSVRecord appends the next record of br, a CSV as encoding/csv
// writes it, to dst with its line end: one line, or more when a quoted
// field holds line breaks. A last record without a line end gets one. An
// empty line, a record of one empty field that CSV readers skip, is
// returned as "" quoted, so that the row is not lost. At the end of br it
// returns io.EOF.
func readCSVRecord(br *bufio.Reader, dst []byte) ([]byte, error) {
	start, quotes := len(dst), 0
	for {
		chunk, err := br.ReadSlice('\n')
		dst = append(dst, chunk...)
		quotes += bytes.Count(chunk, quote)
		switch {
		case err == nil && quotes%2 == 0:
			return emptyRecord(dst, start), nil
		case err == nil, errors.Is(err, bufio.ErrBufferFull):
			continue
		case !errors.Is(err, io.EOF):
			return dst, err
		case len(dst) == start:
			return dst, io.EOF
		case quotes%2 != 0:
			return dst, errors.New("a quoted field does not end")
		}
		return emptyRecord(append(dst, '\n'), start), nil
	}
}

var quote = []byte{'"'}

// emptyRecord quotes the record that starts at dst[start] when it is an
// empty line.
func emptyRecord(dst []byte, start int) []byte {
	switch n := len(dst) - start; {
	case n == 1: // \n
		return append(dst[:start], '"', '"', '\n')
	case n == 2 && dst[start] == '\r':
		return append(dst[:start], '"', '"', '\r', '\n')
	}
	return dst
}

// writePart writes result file p.n to the bucket, unless the query was
// cancelled. The file is not part of the results until it is recorded.
func (m *Manager) writePart(ctx context.Context, id string, p *partWriter) error {
	if err := ctx.Err(); err != nil {
		return context.Cause(ctx)
	}
	if err := m.l.Bucket().WriteAll(ctx, partKey(id, p.n), p.data, false); err != nil {
		return fmt.Errorf("store results: %w", err)
	}
	return nil
}

// storePart writes result file p.n and records it, with the statistics
// the query has in memory, unless the query is no longer running.
func (m *Manager) storePart(ctx context.Context, id string, p *partWriter) error {
	if err := m.writePart(ctx, id, p); err != nil {
		return err
	}
	m.cache.put(partKey(id, p.n), p.data) // readers find it once it is recorded
	scanned, bytes := m.liveStats(id)
	r, err := m.update(id, func(r *record) error {
		if r.Status != StatusRunning {
			return errCancelled
		}
		r.fillStats(scanned, bytes)
		return r.addPart(p)
	})
	if err != nil {
		return err
	}
	m.note(id, func(j *job) { j.rows = r.Rows })
	return nil
}

// addPart records result file p, which must follow the files r has.
func (r *record) addPart(p *partWriter) error {
	if len(r.Parts) != p.n-1 {
		return fmt.Errorf("store results: result file %d follows %d files", p.n, len(r.Parts))
	}
	r.Columns = p.columns // the same for every file
	r.Parts = append(r.Parts, part{Rows: p.rows, Bytes: int64(len(p.data))})
	r.Rows += p.rows
	return nil
}
