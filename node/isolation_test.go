package node

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/genie-cluster/genie/api"
	"github.com/genie-cluster/genie/tlsutil"
)

// osAccount adds an OS account for the test and removes it after.
func osAccount(t testing.TB, name string) {
	t.Helper()
	if out, err := exec.Command("useradd", "-M", "-s", "/usr/sbin/nologin", name).CombinedOutput(); err != nil {
		t.Fatalf("useradd %s: %v\n%s", name, err, out)
	}
	t.Cleanup(func() { exec.Command("userdel", name).Run() })
}

// TestJobsCannotReachTheNodesSecrets: on a secured node run as root with
// -run-as-user, a job submitted with a user token runs as its user's OS
// account and cannot read the node's TLS key, its raft log, another user's
// job directory or the agent's environment, nor signal the agent; its
// environment holds none of the agent's settings.
func TestJobsCannotReachTheNodesSecrets(t *testing.T) {
	if os.Geteuid() != 0 {
		if os.Getenv("CI") != "" {
			t.Fatal("this test runs jobs as other OS accounts: CI runs it as root")
		}
		t.Skip("running jobs as other OS accounts needs root")
	}
	suffix := strconv.Itoa(os.Getpid() % 1_000_000)
	aliceName, bobName := "gja"+suffix, "gjb"+suffix
	osAccount(t, aliceName)
	osAccount(t, bobName)
	key := make([]byte, 32)
	rand.Read(key)
	encoded := base64.StdEncoding.EncodeToString(key)
	t.Setenv("GENIE_ENCRYPT", encoded)
	t.Setenv("GENIE_SOME_SETTING", "agent-only")

	ca := tlsutil.NewTestCA(t)
	dataDir := PassableTempDir(t)
	tlsCfg := ca.Config(t, tlsutil.CertOpts{Kind: tlsutil.ServerCert})
	// The node's files where an operator keeps them: in its data dir.
	keyFile := filepath.Join(dataDir, "tls-key.pem")
	buf, err := os.ReadFile(tlsCfg.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, buf, 0o600); err != nil {
		t.Fatal(err)
	}
	tlsCfg.KeyFile = keyFile

	cfg := TestConfig(t, dataDir)
	cfg.ACLEnabled = true
	cfg.TLS = tlsCfg
	cfg.EncryptKey = encoded
	cfg.JobUser = "nobody"
	cfg.RunAsUser = true
	n := StartNode(t, cfg)
	ctx := context.Background()
	admin, _ := bootstrapTLS(t, n, ca)
	alice := tlsClient(t, n, ca, newToken(t, admin, aliceName, "user"))
	bob := tlsClient(t, n, ca, newToken(t, admin, bobName, "user"))

	// A user without an OS account has its job failed at INIT.
	ghost := tlsClient(t, n, ca, newToken(t, admin, "no-such-account-"+suffix, "user"))
	failed, err := ghost.Jobs().Submit(ctx, shellJobAs("", "true"))
	if err != nil {
		t.Fatal(err)
	}
	if j := waitStatus(t, ghost, failed, api.JobStatusFailed, 30*time.Second); !strings.Contains(j.StatusMsg, "no such OS account") {
		t.Fatalf("job of a user without an account: %s", j.StatusMsg)
	}

	other, err := bob.Jobs().Submit(ctx, shellJobAs("", "echo bob-private > private; sleep 600"))
	if err != nil {
		t.Fatal(err)
	}
	waitStatus(t, bob, other, api.JobStatusRunning, 30*time.Second)
	otherDir := n.runner.JobDir(other)

	probe := strings.Join([]string{
		"id -un",
		fmt.Sprintf("cat %s >/dev/null 2>&1; echo tls-key=$?", keyFile),
		fmt.Sprintf("cat %s >/dev/null 2>&1; echo raft-log=$?", filepath.Join(dataDir, "raft", "raft.db")),
		fmt.Sprintf("ls %s >/dev/null 2>&1; echo data-dir=$?", dataDir),
		fmt.Sprintf("cat %s >/dev/null 2>&1; echo other-job=$?", filepath.Join(otherDir, "private")),
		fmt.Sprintf("cat /proc/%d/environ >/dev/null 2>&1; echo agent-environ=$?", os.Getpid()),
		fmt.Sprintf("kill -0 %d 2>/dev/null; echo signal-agent=$?", os.Getpid()),
		"env",
	}, "\n")
	id, err := alice.Jobs().Submit(ctx, shellJobAs("", probe))
	if err != nil {
		t.Fatal(err)
	}
	waitStatus(t, alice, id, api.JobStatusSucceeded, 30*time.Second)
	out, err := readStdout(ctx, alice, id)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(out, "\n")
	if lines[0] != aliceName {
		t.Fatalf("the job ran as %q", lines[0])
	}
	for _, probe := range []string{"tls-key", "raft-log", "data-dir", "other-job", "agent-environ", "signal-agent"} {
		if strings.Contains(out, probe+"=0\n") || !strings.Contains(out, probe+"=") {
			t.Errorf("the job could %s:\n%s", probe, out)
		}
	}
	for _, leak := range []string{"GENIE_ENCRYPT", "GENIE_SOME_SETTING", encoded} {
		if strings.Contains(out, leak) {
			t.Errorf("the job's environment holds %s", leak)
		}
	}
	if !strings.Contains(out, "GENIE_JOB_ID="+id) || !strings.Contains(out, "USER="+aliceName) {
		t.Errorf("the job's own variables are missing:\n%s", out)
	}
	if err := bob.Jobs().Kill(ctx, other); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, bob, other, api.JobStatusKilled, 30*time.Second)
}
