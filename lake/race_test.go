//go:build race

package lake_test

// Pebble turns on its invariant checks in race builds, and with them
// iterators that allocate more.
func init() { raceEnabled = true }
