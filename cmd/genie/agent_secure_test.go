package main

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/base64"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/cli"

	"github.com/genie-cluster/genie/api"
	"github.com/genie-cluster/genie/node"
	"github.com/genie-cluster/genie/tlsutil"
)

func TestAgentRefusesAnUnsecuredNodeWithoutInsecure(t *testing.T) {
	ui := cli.NewMockUi()
	args := []string{"-data-dir", node.PassableTempDir(t), "-http-addr", "127.0.0.1:0", "-raft-addr", "127.0.0.1:0", "-gossip-addr", freeAddr(t)}
	if code := (&AgentCommand{UI: ui, Stderr: &strings.Builder{}}).Run(args); code != 1 {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{"not secured", "ACLs (-acl-enabled)", "TLS (-tls-ca-file", "gossip encryption (-encrypt)", "-insecure"} {
		if !strings.Contains(ui.ErrorWriter.String(), want) {
			t.Errorf("refusal lacks %q:\n%s", want, ui.ErrorWriter)
		}
	}

	// -dev keeps to loopback.
	ui = cli.NewMockUi()
	if code := (&AgentCommand{UI: ui, Stderr: &strings.Builder{}}).Run([]string{"-dev", "-http-addr", "0.0.0.0:0"}); code != 1 ||
		!strings.Contains(ui.ErrorWriter.String(), "loopback only") {
		t.Fatalf("-dev on 0.0.0.0: exit %d, %s", code, ui.ErrorWriter)
	}
}

func TestAgentInsecureWaivesOnlyWhatIsMissing(t *testing.T) {
	ui := cli.NewMockUi()
	signals := make(chan os.Signal, 1)
	agent := &AgentCommand{UI: ui, Stderr: &strings.Builder{}, signals: signals}
	done := make(chan int, 1)
	go func() {
		done <- agent.Run([]string{"-insecure", "-acl-enabled", "-data-dir", node.PassableTempDir(t), "-http-addr", "127.0.0.1:0",
			"-raft-addr", "127.0.0.1:0", "-gossip-addr", freeAddr(t)})
	}()
	var addr string
	waitUntil(t, 30*time.Second, "the agent to announce its address", func() bool {
		if m := apiLine.FindStringSubmatch(ui.OutputWriter.String()); m != nil {
			addr = m[1]
			return true
		}
		return false
	})
	warning := ui.ErrorWriter.String()
	if !strings.Contains(warning, "-insecure: running without") || strings.Contains(warning, "ACLs") || !strings.Contains(warning, "TLS") {
		t.Fatalf("warning: %s", warning)
	}
	// ACLs, configured, are enforced.
	c, _ := api.NewClient(&api.Config{Address: addr})
	if _, _, err := c.Clusters().List(context.Background(), nil); !api.HasStatus(err, 401) {
		t.Fatalf("without a token: %v", err)
	}
	signals <- syscall.SIGTERM
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("agent did not stop")
	}
}

// TestSecuredAgentReloadsCertificatesOnSIGHUP runs the binary secured
// (ACLs, TLS, gossip key, jobs as an unprivileged account when root): it
// starts without -insecure, and SIGHUP with new certificate files serves
// the new certificate while a job keeps running.
func TestSecuredAgentReloadsCertificatesOnSIGHUP(t *testing.T) {
	bin := buildGenie(t)
	ca := tlsutil.NewTestCA(t)
	tlsCfg := ca.Config(t, tlsutil.CertOpts{Kind: tlsutil.ServerCert})
	key := make([]byte, 32)
	rand.Read(key)
	dataDir := node.PassableTempDir(t)
	httpAddr, raftAddr := freeAddr(t), freeAddr(t)
	cmd := startSecuredAgent(t, bin, dataDir, httpAddr, raftAddr, tlsCfg, base64.StdEncoding.EncodeToString(key))

	c, err := api.NewClient(&api.Config{Address: "https://" + httpAddr, TLS: &api.TLSConfig{CACert: tlsCfg.CAFile}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	waitUntil(t, 30*time.Second, "the secured agent to serve", func() bool {
		return c.Agent().Health(ctx) == nil
	})
	boot, err := c.ACL().Bootstrap(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c, _ = api.NewClient(&api.Config{Address: "https://" + httpAddr, Token: boot.SecretID, TLS: &api.TLSConfig{CACert: tlsCfg.CAFile}})
	if _, err := c.Clusters().Create(ctx, &api.Cluster{ID: "local", Name: "local", User: "ops", Version: "1",
		Tags: []string{"sched:adhoc"}, Status: api.ClusterStatusUp}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Commands().Create(ctx, &api.Command{ID: "sh", Name: "sh", User: "ops", Version: "1",
		Tags: []string{"type:shell"}, Status: api.CommandStatusActive, ExecutableAndArguments: []string{"/bin/sh", "-c"}}); err != nil {
		t.Fatal(err)
	}
	id, err := c.Jobs().Submit(ctx, &api.JobRequest{Name: "slow", User: "ops",
		ClusterCriterias: []api.ClusterCriteria{{Tags: []string{"sched:adhoc"}}},
		CommandCriteria:  []string{"type:shell"}, CommandArguments: []string{"sleep 2; echo done"}})
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 30*time.Second, "the job to run", func() bool {
		st, err := c.Jobs().Status(ctx, id)
		return err == nil && st == api.JobStatusRunning
	})

	serial := func() string {
		conn, err := tls.Dial("tcp", httpAddr, &tls.Config{InsecureSkipVerify: true})
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		return conn.ConnectionState().PeerCertificates[0].SerialNumber.String()
	}
	before := serial()
	cert, certKey := ca.Cert(t, tlsutil.CertOpts{Kind: tlsutil.ServerCert})
	tlsutil.WriteFiles(t, tlsCfg, ca.CertPEM, cert, certKey)
	cmd.Signal(syscall.SIGHUP)
	waitUntil(t, 10*time.Second, "the new certificate to be served", func() bool { return serial() != before })
	waitUntil(t, 30*time.Second, "the job to succeed", func() bool {
		st, err := c.Jobs().Status(ctx, id)
		if err == nil && st.Terminal() && st != api.JobStatusSucceeded {
			t.Fatalf("job ended %s", st)
		}
		return st == api.JobStatusSucceeded
	})
}

func startSecuredAgent(t *testing.T, bin, dataDir, httpAddr, raftAddr string, tlsCfg tlsutil.Config, key string) *os.Process {
	t.Helper()
	args := []string{"agent", "-data-dir", dataDir, "-http-addr", httpAddr, "-raft-addr", raftAddr, "-gossip-addr", freeAddr(t),
		"-acl-enabled", "-tls-ca-file", tlsCfg.CAFile, "-tls-cert-file", tlsCfg.CertFile, "-tls-key-file", tlsCfg.KeyFile,
		"-encrypt", key, "-node-name", "secured"}
	if os.Geteuid() != 0 {
		// Jobs cannot run as another account: the only waiver needed.
		args = append(args, "-insecure")
	}
	return runAgent(t, bin, dataDir, args...).Process
}

func TestAgentCountsARootJobAccountAsNoIsolation(t *testing.T) {
	ui := cli.NewMockUi()
	args := []string{"-data-dir", node.PassableTempDir(t), "-http-addr", "127.0.0.1:0", "-raft-addr", "127.0.0.1:0",
		"-gossip-addr", freeAddr(t), "-job-os-user", "root"}
	if code := (&AgentCommand{UI: ui, Stderr: &strings.Builder{}}).Run(args); code != 1 || !strings.Contains(ui.ErrorWriter.String(), "job isolation") {
		t.Fatalf("-job-os-user root: exit %d, %s", code, ui.ErrorWriter)
	}
}
