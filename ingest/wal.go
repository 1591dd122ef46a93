package ingest

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/auditlake/auditlake/internal/fsutil"
	"github.com/auditlake/auditlake/lake"
)

// The write-ahead log's on-disk format is described in docs/format/wal.md.
// This file holds the format; sink.go holds the Sink that uses it.

const (
	walMagic     = "AUDITLAKE-WAL-1\n" // file header, 16 bytes
	walExt       = ".wal"
	walFrameSize = 16 // length (4) + CRC-32C (4) + LSN (8)
	// MaxAppendBytes bounds one log record (the events of one Append call).
	MaxAppendBytes = 64 << 20
)

var walCRC = crc32.MakeTable(crc32.Castagnoli)

// walGroup is a set of events bound for the same stores.
type walGroup struct {
	stores []string // store IDs
	kind   lake.RowKind
	events []lake.Event      // kind RowEvent
	audit  []lake.AuditEvent // kind RowAuditEvent
}

// walRecord is one logged Append.
type walRecord struct {
	lsn    uint64
	groups []walGroup
	bytes  int64     // encoded payload size, for flush accounting
	at     time.Time // when it was logged (or replayed)
}

// encodePayload renders groups as a record payload.
func encodePayload(groups []walGroup) ([]byte, error) {
	var buf []byte
	buf = binary.AppendUvarint(buf, uint64(len(groups)))
	for _, g := range groups {
		buf = binary.AppendUvarint(buf, uint64(len(g.stores)))
		for _, s := range g.stores {
			buf = binary.AppendUvarint(buf, uint64(len(s)))
			buf = append(buf, s...)
		}
		buf = append(buf, byte(g.kind))
		var err error
		switch g.kind {
		case lake.RowEvent:
			buf, err = appendRows(buf, g.events)
		case lake.RowAuditEvent:
			buf, err = appendRows(buf, g.audit)
		default:
			err = fmt.Errorf("wal: unknown row kind %d", g.kind)
		}
		if err != nil {
			return nil, err
		}
	}
	if len(buf) > MaxAppendBytes {
		return nil, fmt.Errorf("%w: %d bytes of events in one append; at most %d", lake.ErrInvalidParameter, len(buf), MaxAppendBytes)
	}
	return buf, nil
}

func appendRows[R lake.Row](buf []byte, rows []R) ([]byte, error) {
	buf = binary.AppendUvarint(buf, uint64(len(rows)))
	for i := range rows {
		data, err := json.Marshal(&rows[i])
		if err != nil {
			return nil, fmt.Errorf("wal: encode event: %w", err)
		}
		buf = binary.AppendUvarint(buf, uint64(len(data)))
		buf = append(buf, data...)
	}
	return buf, nil
}

// payloadReader decodes a payload; the first error sticks.
type payloadReader struct {
	b   []byte
	err error
}

func (r *payloadReader) uvarint(limit uint64) uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 || v > limit {
		r.err = errors.New("bad count")
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *payloadReader) bytes() []byte {
	n := r.uvarint(uint64(len(r.b)))
	if r.err != nil {
		return nil
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out
}

func decodePayload(lsn uint64, p []byte) (walRecord, error) {
	rec := walRecord{lsn: lsn, bytes: int64(len(p))}
	r := &payloadReader{b: p}
	ng := r.uvarint(uint64(len(p)))
	for range ng {
		var g walGroup
		ns := r.uvarint(uint64(len(r.b)))
		for range ns {
			g.stores = append(g.stores, string(r.bytes()))
		}
		if r.err == nil && len(r.b) > 0 {
			g.kind = lake.RowKind(r.b[0])
			r.b = r.b[1:]
		}
		var err error
		switch g.kind {
		case lake.RowEvent:
			g.events, err = readRows[lake.Event](r)
		case lake.RowAuditEvent:
			g.audit, err = readRows[lake.AuditEvent](r)
		default:
			err = fmt.Errorf("unknown row kind %d", g.kind)
		}
		if r.err != nil {
			err = r.err
		}
		if err != nil {
			return walRecord{}, fmt.Errorf("record %d: %w", lsn, err)
		}
		rec.groups = append(rec.groups, g)
	}
	if r.err == nil && len(r.b) != 0 {
		r.err = fmt.Errorf("%d trailing bytes", len(r.b))
	}
	if r.err != nil {
		return walRecord{}, fmt.Errorf("record %d: %w", lsn, r.err)
	}
	return rec, nil
}

func readRows[R lake.Row](r *payloadReader) ([]R, error) {
	n := r.uvarint(uint64(len(r.b)))
	rows := make([]R, 0, n)
	for range n {
		data := r.bytes()
		if r.err != nil {
			return nil, r.err
		}
		var row R
		if err := json.Unmarshal(data, &row); err != nil {
			return nil, fmt.Errorf("decode event: %w", err)
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// appendFrame appends one framed record to buf.
func appendFrame(buf []byte, lsn uint64, payload []byte) []byte {
	var hdr [walFrameSize]byte
	binary.LittleEndian.PutUint32(hdr[0:4], uint32(len(payload)))
	binary.LittleEndian.PutUint64(hdr[8:16], lsn)
	crc := crc32.Update(0, walCRC, hdr[8:16])
	crc = crc32.Update(crc, walCRC, payload)
	binary.LittleEndian.PutUint32(hdr[4:8], crc)
	buf = append(buf, hdr[:]...)
	return append(buf, payload...)
}

// walFileName is the name of the log file whose first record is lsn.
func walFileName(lsn uint64) string { return fmt.Sprintf("%020d%s", lsn, walExt) }

// listWALFiles returns the log files in dir in LSN order.
func listWALFiles(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range ents {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, walExt) {
			continue
		}
		if _, err := strconv.ParseUint(strings.TrimSuffix(name, walExt), 10, 64); err != nil {
			continue
		}
		out = append(out, filepath.Join(dir, name))
	}
	slices.Sort(out)
	return out, nil
}

// readWALFile reads the records of one log file. It returns the offset
// after the last whole, valid record and whether the file ends there: a
// false clean means a torn or corrupt tail after good.
func readWALFile(path string, fn func(lsn uint64, payload []byte) error) (good int64, clean bool, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, false, err
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 1<<20)
	magic := make([]byte, len(walMagic))
	if _, err := io.ReadFull(br, magic); err != nil {
		return 0, false, nil // torn header: a file created just before a crash
	}
	if string(magic) != walMagic {
		return 0, false, fmt.Errorf("%w: %s is not an auditlake write-ahead log", lake.ErrCorrupt, path)
	}
	good = int64(len(walMagic))
	var hdr [walFrameSize]byte
	var prev uint64
	for {
		if _, err := io.ReadFull(br, hdr[:]); err != nil {
			return good, errors.Is(err, io.EOF), nil
		}
		n := binary.LittleEndian.Uint32(hdr[0:4])
		lsn := binary.LittleEndian.Uint64(hdr[8:16])
		if n > MaxAppendBytes || (prev != 0 && lsn != prev+1) {
			return good, false, nil
		}
		payload := make([]byte, n)
		if _, err := io.ReadFull(br, payload); err != nil {
			return good, false, nil
		}
		crc := crc32.Update(0, walCRC, hdr[8:16])
		if crc32.Update(crc, walCRC, payload) != binary.LittleEndian.Uint32(hdr[4:8]) {
			return good, false, nil
		}
		if err := fn(lsn, payload); err != nil {
			return good, false, err
		}
		prev = lsn
		good += walFrameSize + int64(n)
	}
}

// createWALFile creates a new log file for records from lsn on, with its
// header synced and its directory entry durable.
func createWALFile(dir string, lsn uint64) (*os.File, error) {
	path := filepath.Join(dir, walFileName(lsn))
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, err
	}
	if _, err := f.WriteString(walMagic); err != nil {
		return nil, errors.Join(err, f.Close())
	}
	if err := f.Sync(); err != nil {
		return nil, errors.Join(err, f.Close())
	}
	if err := fsutil.SyncDir(dir); err != nil {
		return nil, errors.Join(err, f.Close())
	}
	return f, nil
}

// truncateWALFile cuts a torn tail off a log file, durably.
func truncateWALFile(path string, size int64) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	return errors.Join(f.Truncate(size), f.Sync(), f.Close())
}
