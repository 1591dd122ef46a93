//go:build !linux

package lake

import bolt "go.etcd.io/bbolt"

// releaseMapped is a no-op where madvise is not used; see the Linux
// version.
func releaseMapped(*bolt.Tx) error { return nil }
