package ingest

import (
	"bytes"
	"io"
)

const (
	readChunk   = 64 << 10
	compactMark = 1 << 20
)

// inputWindow holds the part of the decompressed input still needed. Scanning
// code keeps positions as indexes into buf; buf only grows while a record is
// scanned, and the consumed prefix is dropped only between records (shift),
// so an index stays valid while it is in use.
type inputWindow struct {
	src  io.Reader
	rr   *errRecorder
	buf  []byte
	base int64 // offset of buf[0] in the decompressed input

	lineIdx int // buf index up to which newlines are counted
	line    int // 1-based line number at lineIdx

	eof       bool
	ioErr     error // the caller's reader failed
	streamErr error // the decompressed stream is damaged (content problem)
}

func (w *inputWindow) reset(src io.Reader, rr *errRecorder) {
	w.src = src
	w.rr = rr
	w.buf = w.buf[:0]
	w.base = 0
	w.lineIdx = 0
	w.line = 1
	w.eof = false
	w.ioErr = nil
	w.streamErr = nil
}

// fill appends more input to buf. It reports false once nothing more can be
// read: at the end of the input or after a read error.
func (w *inputWindow) fill() bool {
	for !w.eof {
		if cap(w.buf)-len(w.buf) < readChunk/2 {
			nb := make([]byte, len(w.buf), 2*cap(w.buf)+readChunk)
			copy(nb, w.buf)
			w.buf = nb
		}
		n, err := w.src.Read(w.buf[len(w.buf):cap(w.buf)])
		w.buf = w.buf[:len(w.buf)+n]
		if err != nil {
			w.eof = true
			switch {
			case err == io.EOF:
			case w.rr.err != nil:
				w.ioErr = w.rr.err
			default:
				w.streamErr = err
			}
		}
		if n > 0 {
			return true
		}
	}
	return false
}

// avail makes sure buf[i] exists if the input has it.
func (w *inputWindow) avail(i int) bool {
	for i >= len(w.buf) {
		if !w.fill() {
			return false
		}
	}
	return true
}

// shift drops buf[:pos] when that frees enough memory and returns the new
// index of pos.
func (w *inputWindow) shift(pos int) int {
	if pos < compactMark && pos < len(w.buf)/2 || pos == 0 {
		return pos
	}
	w.advanceLines(pos)
	n := copy(w.buf, w.buf[pos:])
	w.buf = w.buf[:n]
	w.base += int64(pos)
	w.lineIdx -= pos
	return 0
}

func (w *inputWindow) advanceLines(pos int) {
	if pos >= w.lineIdx {
		w.line += bytes.Count(w.buf[w.lineIdx:pos], []byte{'\n'})
	} else {
		w.line -= bytes.Count(w.buf[pos:w.lineIdx], []byte{'\n'})
	}
	w.lineIdx = pos
}

// where returns the 1-based line and the input offset of buf[pos].
func (w *inputWindow) where(pos int) (int, int64) {
	if pos > len(w.buf) {
		pos = len(w.buf)
	}
	w.advanceLines(pos)
	return w.line, w.base + int64(pos)
}
