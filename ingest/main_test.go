package ingest_test

import (
	"os"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	if os.Getenv(crashChildEnv) != "" {
		crashChild()
		return
	}
	if os.Getenv(walCrashChildEnv) != "" {
		walCrashChild()
		return
	}
	goleak.VerifyTestMain(m)
}
