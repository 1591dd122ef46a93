package api_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the run if a test leaves a goroutine behind: the server's
// self-audit writer, the sink's loops, the query manager's workers.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
