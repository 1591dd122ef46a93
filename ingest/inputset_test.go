package ingest

import (
	"crypto/sha256"
	"encoding/hex"
	"testing"
)

func TestPathListKeepsEveryPath(t *testing.T) {
	paths := []string{"a/b.json.gz", "", "c.json", "dé/ü.jsonl"}
	l := packPaths(paths)
	if l.len() != len(paths) {
		t.Fatalf("len %d, want %d", l.len(), len(paths))
	}
	for i, p := range paths {
		if got := l.at(i); got != p {
			t.Errorf("at(%d) = %q, want %q", i, got, p)
		}
	}
}

// Digests and slice keys are told apart exactly as their strings are.
func TestDigestSetIsASetOfKeys(t *testing.T) {
	sum := sha256.Sum256([]byte("input"))
	d := hex.EncodeToString(sum[:])
	other := sha256.Sum256([]byte("other"))
	keys := []string{d, hex.EncodeToString(other[:]), d + "@20260101T00-20260101T12", "not-a-digest"}
	s := DigestSet{}
	for _, k := range keys {
		if s.Has(k) {
			t.Fatalf("%q is in the set before it is added", k)
		}
		if !s.Add(k) {
			t.Fatalf("Add(%q) says it was there", k)
		}
		if !s.Has(k) || s.Add(k) {
			t.Fatalf("%q is not in the set after Add", k)
		}
	}
	if len(s) != len(keys) {
		t.Fatalf("%d entries for %d keys", len(s), len(keys))
	}
}
