package lake

// SetCompactFreeBytes sets how much free space in auditlake.db makes open
// compact it, and returns a function that restores the default.
func SetCompactFreeBytes(n int64) func() {
	old := compactFreeBytes
	compactFreeBytes = n
	return func() { compactFreeBytes = old }
}
