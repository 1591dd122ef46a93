package ingest_test

import (
	"bufio"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// runAckingChild re-executes the test binary with env added (a crash test's
// child mode), passes the X of each "acked X" line it prints to onAck as
// soon as it is printed, kills it with SIGKILL after killAfter (0: never),
// and returns what it wrote to stderr and how it ended.
func runAckingChild(t *testing.T, env []string, killAfter time.Duration, onAck func(string)) (string, error) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), env...)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	var kill <-chan time.Time
	if killAfter > 0 {
		kill = time.After(killAfter)
	}
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				err := cmd.Wait()
				return stderr.String(), err
			}
			onAck(strings.TrimPrefix(line, "acked "))
		case <-kill:
			_ = cmd.Process.Signal(syscall.SIGKILL)
			kill = nil
		}
	}
}
