package ingest

// Abandon stops the Sink as a crash would: no flush, no cleanup beyond
// closing the log file. Test-only.
func (s *Sink) Abandon() {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.appending.Wait()
	close(s.quit)
	s.wg.Wait()
	s.fileMu.Lock()
	_ = s.file.Close()
	s.fileMu.Unlock()
}

// WALDir is the Sink's log folder. Test-only.
func (s *Sink) WALDir() string { return s.dir }
