package main_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestAWSCLI runs .ci/awscli-test against the real binary with every aws
// CLI found (the one on PATH and Debian's /usr/bin/aws). Without an aws CLI
// it skips, except under CI=true, where it fails: CI must install awscli.
func TestAWSCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	var clis []string
	if p, err := exec.LookPath("aws"); err == nil {
		clis = append(clis, p)
	}
	if _, err := os.Stat("/usr/bin/aws"); err == nil && (len(clis) == 0 || clis[0] != "/usr/bin/aws") {
		clis = append(clis, "/usr/bin/aws")
	}
	if len(clis) == 0 {
		if os.Getenv("CI") == "true" {
			t.Fatal("CI=true and no aws CLI is installed; .ci/run installs Debian's awscli")
		}
		t.Skip("no aws CLI installed (apt-get install awscli)")
	}
	script, err := filepath.Abs("../../.ci/awscli-test")
	require.NoError(t, err)
	for _, cli := range clis {
		t.Run(cli, func(t *testing.T) {
			cmd := exec.Command(script, binary)
			cmd.Env = append(os.Environ(), "AWS_CLI="+cli)
			out, err := cmd.CombinedOutput()
			require.NoError(t, err, "%s", out)
			require.Contains(t, string(out), "awscli-test: ok")
		})
	}
}

func TestKeysCommands(t *testing.T) {
	lake := t.TempDir()
	out := mustRun(t, lake, "keys", "create", "--user", "alice", "--policy", `{"Statement":[{"Effect":"Allow","Action":"cloudtrail:List*","Resource":"*"}]}`)
	require.Contains(t, out, `"SecretAccessKey"`)
	require.Contains(t, out, "arn:aws:iam::123456789012:user/alice")
	list := mustRun(t, lake, "keys", "list")
	require.Contains(t, list, "alice")
	require.NotContains(t, list, "SecretAccessKey")
	_, errOut, code := run(t, lake, "keys", "create", "--user", "bob", "--policy", `{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{}}]}`)
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "invalid policy")
	fi, err := os.Stat(filepath.Join(lake, "secrets.key"))
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	_, errOut, code = run(t, lake, "keys", "delete", "AKIANOSUCHKEY0000000")
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "access key not found")
}
