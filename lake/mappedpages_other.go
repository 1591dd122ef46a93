//go:build !linux

package lake

import bolt "go.etcd.io/bbolt"

// releaseMappedPages is a no-op where madvise is not used; see the Linux
// version.
func releaseMappedPages(*bolt.DB) error { return nil }

func releaseMapped(*bolt.Tx) error { return nil }
