//go:build race

package retention_test

func init() { raceEnabled = true }
