package lake

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/bloom"
	bolt "go.etcd.io/bbolt"
)

// The ingest ledger's entries (which inputs each store has taken) live in
// a Pebble LSM database in <lake>/ledger, not in auditlake.db. bbolt reads
// through a memory map, so every random SHA-256 key looked up or inserted
// faulted a leaf page (and its neighbours) into the process's resident set,
// which then grew with the number of inputs the lake had ever taken (1.49
// GiB peak RSS ingesting 10M events). Pebble reads blocks with pread into a
// fixed block cache, keeps new entries in a small memtable, and answers for
// absent keys (every new input) from bloom filters, so its memory does not
// depend on the size of the ledger. docs/format/lake.md has the layout.

const (
	ledgerDirName = "ledger"

	// ledgerCacheBytes is the block cache: index and filter blocks first,
	// then the data blocks of recent lookups. A bloom filter costs 10 bits
	// per entry (1.25 MB per million inputs and store).
	ledgerCacheBytes = 16 << 20
	// ledgerMemTableBytes is one memtable; at most two are queued before
	// writes wait for a flush. One ingest batch's sources are well under it.
	ledgerMemTableBytes = 4 << 20
)

// Key layout: kindSource, the store ID's length (one byte) and bytes, then
// the digest: digestHex and the 32 bytes of a lower-case hex SHA-256, or
// digestText and the digest's text as given (tests and any other form).
// A slice suffix ("@<slice>", SliceSep) follows the digest as text, so an
// input's whole entry and its slices share the digest's prefix.
const (
	kindSource byte = 's'

	digestHex  byte = 0
	digestText byte = 1

	// sourceValueV1 starts a value: uvarint batch length, batch ID, varint
	// seconds and uvarint nanoseconds of the ingest time (UTC), then the
	// source's name to the end.
	sourceValueV1 byte = 1
)

// settingLedger, in the settings bucket of auditlake.db, records that the
// lake's ledger lives in ledgerDirName: once it is set, a missing ledger
// folder (a restore that left it out) is an error, not an empty ledger
// under which every input would be ingested again.
var settingLedger = []byte("ledger")

// openLedger opens the lake's ledger, creating it on the first open.
func (l *Lake) openLedger() error {
	var created bool
	if err := l.db.View(func(tx *bolt.Tx) error {
		created = tx.Bucket(bucketSettings).Get(settingLedger) != nil
		return nil
	}); err != nil {
		return err
	}
	var err error
	if l.ledger, err = openPebble(l.dir, created, l.log); err != nil {
		if created {
			return fmt.Errorf("%w (auditlake.db says the lake has one: restore %s/ from the backup it was taken with)", err, ledgerDirName)
		}
		return err
	}
	if created {
		return nil
	}
	return l.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketSettings).Put(settingLedger, []byte(ledgerDirName))
	})
}

func openPebble(dir string, mustExist bool, log *slog.Logger) (*pebble.DB, error) {
	opts := &pebble.Options{
		ErrorIfNotExists:            mustExist,
		CacheSize:                   ledgerCacheBytes,
		MemTableSize:                ledgerMemTableBytes,
		MemTableStopWritesThreshold: 2,
		FormatMajorVersion:          pebble.FormatNewest,
		Logger:                      pebbleLogger{log},
	}
	for i := range opts.Levels {
		opts.Levels[i].FilterPolicy = bloom.FilterPolicy(10)
	}
	db, err := pebble.Open(filepath.Join(dir, ledgerDirName), opts)
	if err != nil {
		return nil, fmt.Errorf("ingest ledger: %w", err)
	}
	return db, nil
}

// pebbleLogger sends Pebble's messages to the lake's logger: its routine
// ones (flushes, compactions, WAL recovery) at debug level.
type pebbleLogger struct{ log *slog.Logger }

func (p pebbleLogger) Infof(format string, args ...any) {
	if p.log.Enabled(context.Background(), slog.LevelDebug) {
		p.log.Debug("ingest ledger: " + fmt.Sprintf(format, args...))
	}
}

func (p pebbleLogger) Errorf(format string, args ...any) {
	p.log.Error("ingest ledger: " + fmt.Sprintf(format, args...))
}

// Fatalf is for Pebble's broken invariants; it must not return.
func (p pebbleLogger) Fatalf(format string, args ...any) {
	msg := "ingest ledger: " + fmt.Sprintf(format, args...)
	p.log.Error(msg)
	panic(msg)
}

// ledgerStorePrefix is the prefix of every key of the store.
func ledgerStorePrefix(b []byte, storeID string) ([]byte, error) {
	if len(storeID) == 0 || len(storeID) > 255 {
		return nil, fmt.Errorf("ingest ledger: store ID %q: want 1 to 255 bytes", storeID)
	}
	b = append(b, kindSource, byte(len(storeID)))
	return append(b, storeID...), nil
}

// ledgerKey appends the key of the store's entry for digest (a digest,
// or "<digest>@<slice>") to b.
func ledgerKey(b []byte, storeID, digest string) ([]byte, error) {
	b, err := ledgerStorePrefix(b, storeID)
	if err != nil {
		return nil, err
	}
	head, slice := digest, ""
	if i := strings.Index(digest, SliceSep); i >= 0 {
		head, slice = digest[:i], digest[i:]
	}
	if !isHexSHA256(head) {
		b = append(b, digestText)
		return append(b, digest...), nil
	}
	b = append(b, digestHex)
	b, _ = hex.AppendDecode(b, []byte(head)) // checked above: no allocation beyond b
	return append(b, slice...), nil
}

// isHexSHA256 reports whether s is 64 lower-case hex digits, the form that
// decodes to 32 bytes and back to the same text.
func isHexSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// ledgerKeyDigest is the digest text of a key under the store prefix of
// length n.
func ledgerKeyDigest(key []byte, n int) (string, error) {
	if len(key) <= n {
		return "", fmt.Errorf("%w: ingest ledger key %x: no digest", ErrCorrupt, key)
	}
	rest := key[n+1:]
	switch key[n] {
	case digestText:
		return string(rest), nil
	case digestHex:
		if len(rest) < 32 {
			return "", fmt.Errorf("%w: ingest ledger key %x: short digest", ErrCorrupt, key)
		}
		return hex.EncodeToString(rest[:32]) + string(rest[32:]), nil
	}
	return "", fmt.Errorf("%w: ingest ledger key %x: digest form %d", ErrCorrupt, key, key[n])
}

// prefixEnd is the first key after every key that starts with prefix.
func prefixEnd(prefix []byte) []byte {
	end := append([]byte(nil), prefix...)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] < 0xff {
			end[i]++
			return end[:i+1]
		}
	}
	return nil // every key
}

func appendSourceValue(b []byte, batch string, ingested time.Time, name string) []byte {
	b = append(b, sourceValueV1)
	b = binary.AppendUvarint(b, uint64(len(batch)))
	b = append(b, batch...)
	b = binary.AppendVarint(b, ingested.Unix())
	b = binary.AppendUvarint(b, uint64(ingested.Nanosecond()))
	return append(b, name...)
}

// decodeSourceValue decodes v into rec's batch, time and name, with one
// allocation for the two strings.
func decodeSourceValue(v []byte, rec *SourceRecord) error {
	bad := func(what string) error { return fmt.Errorf("%w: ingest ledger value: %s", ErrCorrupt, what) }
	if len(v) == 0 || v[0] != sourceValueV1 {
		return bad("unknown version")
	}
	v = v[1:]
	n, k := binary.Uvarint(v)
	if k <= 0 || n > uint64(len(v)-k) {
		return bad("batch")
	}
	batchEnd := k + int(n)
	sec, k1 := binary.Varint(v[batchEnd:])
	if k1 <= 0 {
		return bad("time")
	}
	nsec, k2 := binary.Uvarint(v[batchEnd+k1:])
	if k2 <= 0 || nsec >= 1e9 {
		return bad("time")
	}
	nameStart := batchEnd + k1 + k2
	text := string(v[k:batchEnd]) + string(v[nameStart:]) // one allocation
	rec.Batch = text[:n]
	rec.Name = text[n:]
	rec.Ingested = time.Unix(sec, int64(nsec)).UTC()
	return nil
}

// ledgerGetOptions are ledgerGet's iterator options, in a variable so that
// passing them does not allocate.
var ledgerGetOptions = pebble.IterOptions{UseL6Filters: true}

// ledgerGet reads the store's entry for digest.
func (l *Lake) ledgerGet(storeID, digest string) (SourceRecord, bool, error) {
	rec := SourceRecord{Source: Source{Digest: digest}}
	key, err := ledgerKey(make([]byte, 0, 2+len(storeID)+1+32+len(digest)), storeID, digest)
	if err != nil {
		return rec, false, err
	}
	l.ledgerMu.RLock()
	defer l.ledgerMu.RUnlock()
	if l.ledger == nil {
		return rec, false, l.noLedger()
	}
	// An iterator that reads L6's bloom filters instead of DB.Get, which
	// never does: in a ledger small enough to live in one level (a few
	// million inputs) every lookup of a new input, the common case, would
	// read and decompress a data block.
	it, err := l.ledger.NewIter(&ledgerGetOptions)
	if err != nil {
		return rec, false, fmt.Errorf("ingest ledger: %w", err)
	}
	found := it.SeekPrefixGE(key) && bytes.Equal(it.Key(), key)
	if found {
		var v []byte
		if v, err = it.ValueAndErr(); err == nil {
			err = decodeSourceValue(v, &rec)
		}
	}
	if err = errors.Join(err, it.Close()); err != nil {
		return rec, false, fmt.Errorf("ingest ledger: %w", err)
	}
	return rec, found, nil
}

// putSources records the sources as taken by the store in batch, in one
// synced write.
func (l *Lake) putSources(storeID, batch string, sources []Source, now time.Time) error {
	l.ledgerMu.RLock()
	defer l.ledgerMu.RUnlock()
	if l.ledger == nil {
		return l.noLedger()
	}
	b := l.ledger.NewBatch()
	defer b.Close()
	var key, val []byte
	for _, s := range sources {
		var err error
		if key, err = ledgerKey(key[:0], storeID, s.Digest); err != nil {
			return err
		}
		val = appendSourceValue(val[:0], batch, now, s.Name)
		if err := b.Set(key, val, nil); err != nil { // Set copies key and value
			return fmt.Errorf("ingest ledger: %w", err)
		}
	}
	if err := b.Commit(pebble.Sync); err != nil {
		return fmt.Errorf("ingest ledger: %w", err)
	}
	return nil
}

// deleteLedgerStore removes every entry of the store, synced.
func (l *Lake) deleteLedgerStore(storeID string) error {
	prefix, err := ledgerStorePrefix(nil, storeID)
	if err != nil {
		return err
	}
	l.ledgerMu.RLock()
	defer l.ledgerMu.RUnlock()
	if l.ledger == nil {
		return l.noLedger()
	}
	if err := l.ledger.DeleteRange(prefix, prefixEnd(prefix), pebble.Sync); err != nil {
		return fmt.Errorf("ingest ledger: %w", err)
	}
	return nil
}

// noLedger is the error of a ledger call on a lake without its ledger: one
// opened QueryOnly, which does not open it, or a closed one.
func (l *Lake) noLedger() error {
	if l.opts.QueryOnly {
		return fmt.Errorf("ingest ledger: %w", ErrQueryOnly)
	}
	return ErrClosed
}

// closeLedger closes the ledger once no call uses it.
func (l *Lake) closeLedger() error {
	l.ledgerMu.Lock()
	defer l.ledgerMu.Unlock()
	if l.ledger == nil {
		return nil
	}
	err := l.ledger.Close()
	l.ledger = nil
	return err
}
