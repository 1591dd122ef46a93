package lake

import (
	"unsafe"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/sys/unix"
)

// releaseMapped drops the control-plane database's pages from this
// process's memory map; the kernel keeps them in its page cache, and the
// next read faults them back in. bbolt reads the whole file through a
// read-only shared mapping, and every page read counts in the process's
// resident set until the kernel needs the memory. Moving the ledger out of
// a lake written before it had its own database (ledgermigrate.go) reads
// all of it, 1.6 GB per million inputs: this keeps the pages of one step.
//
// tx may be a read or a write transaction: only the writer remaps the file,
// in its commit, so while tx is open the mapping stays where it is.
// Dropping pages of a read-only shared mapping never loses data.
func releaseMapped(tx *bolt.Tx) error {
	n := int(tx.Size())
	if n == 0 {
		return nil
	}
	// Info().Data is the mapping's address as a uintptr. The mapping is
	// not Go memory (the collector never moves or frees it), so reading
	// the address back as a pointer is sound while tx is open.
	info := tx.DB().Info()
	base := *(*unsafe.Pointer)(unsafe.Pointer(&info.Data))
	return unix.Madvise(unsafe.Slice((*byte)(base), n), unix.MADV_DONTNEED)
}
