package ingest

import (
	"crypto/sha256"
	"encoding/hex"
)

// An ingest keeps two things for every input of the run until it ends: its
// path, and its digest once read (to take the same bytes only once per
// run). Held as strings, the 1M inputs of the 10M-event bench trail were
// 3M small objects that every garbage collection had to scan, and
// collection took 40% of the ingest's CPU (5% on the 1M trail). Both are
// held without pointers here, which the collector skips.

// pathList is a list of paths packed into one buffer.
type pathList struct {
	buf  []byte
	ends []int
}

func packPaths(paths []string) pathList {
	n := 0
	for _, p := range paths {
		n += len(p)
	}
	l := pathList{buf: make([]byte, 0, n), ends: make([]int, 0, len(paths))}
	for _, p := range paths {
		l.buf = append(l.buf, p...)
		l.ends = append(l.ends, len(l.buf))
	}
	return l
}

func (l pathList) len() int { return len(l.ends) }

func (l pathList) at(i int) string {
	start := 0
	if i > 0 {
		start = l.ends[i-1]
	}
	return string(l.buf[start:l.ends[i]])
}

// DigestSet is a set of ledger keys: input digests (lake.Source.Digest, the
// hex SHA-256 of the input) stored as their raw 32 bytes. A key that is not
// 64 hex digits (an import's "<digest>@<slice>") is stored as the SHA-256
// of its text.
type DigestSet map[[sha256.Size]byte]struct{}

func digestKey(digest string) [sha256.Size]byte {
	var k [sha256.Size]byte
	if len(digest) == 2*sha256.Size {
		if _, err := hex.Decode(k[:], []byte(digest)); err == nil {
			return k
		}
	}
	return sha256.Sum256([]byte(digest))
}

// Has reports whether the set holds the key.
func (s DigestSet) Has(digest string) bool {
	_, ok := s[digestKey(digest)]
	return ok
}

// Add adds the key and reports whether it was new.
func (s DigestSet) Add(digest string) bool {
	k := digestKey(digest)
	if _, ok := s[k]; ok {
		return false
	}
	s[k] = struct{}{}
	return true
}
