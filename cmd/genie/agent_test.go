package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/pprof"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/cli"

	"github.com/genie-cluster/genie/api"
	"github.com/genie-cluster/genie/node"
)

// waitUntil polls cond until it holds or the deadline passes.
func waitUntil(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

var apiLine = regexp.MustCompile(`API:\s+(http://\S+)`)

func TestAgentDevNodeAnswersTheCLI(t *testing.T) {
	ui := cli.NewMockUi()
	signals := make(chan os.Signal, 1)
	agent := &AgentCommand{UI: ui, Stderr: &strings.Builder{}, signals: signals}
	done := make(chan int, 1)
	gossipAddr := freeAddr(t)
	go func() {
		done <- agent.Run([]string{"-dev", "-data-dir", node.PassableTempDir(t), "-http-addr", "127.0.0.1:0", "-raft-addr", "127.0.0.1:0",
			"-gossip-addr", gossipAddr, "-cluster-name", node.TestClusterName(t), "-kill-grace", "1s"})
	}()
	var addr string
	waitUntil(t, 30*time.Second, "the agent to announce its address", func() bool {
		if m := apiLine.FindStringSubmatch(ui.OutputWriter.String()); m != nil {
			addr = m[1]
			return true
		}
		return false
	})
	if !strings.Contains(ui.OutputWriter.String(), "genie jobs submit") {
		t.Fatalf("no first command to try in:\n%s", ui.OutputWriter.String())
	}

	out := cli.NewMockUi()
	if code := Run([]string{"jobs", "submit", "-address", addr, "-wait", "--", "echo", "hello", "from", "genie"}, out); code != 0 {
		t.Fatalf("submit -wait exited %d:\n%s\n%s", code, out.OutputWriter, out.ErrorWriter)
	}
	id := strings.Fields(out.OutputWriter.String())[0]
	logs := cli.NewMockUi()
	if code := Run([]string{"jobs", "logs", "-address", addr, id}, logs); code != 0 || logs.OutputWriter.String() != "hello from genie\n" {
		t.Fatalf("logs exited %d: %q %s", code, logs.OutputWriter, logs.ErrorWriter)
	}
	failing := cli.NewMockUi()
	if code := Run([]string{"jobs", "submit", "-address", addr, "-wait", "--", "exit 5"}, failing); code != 5 {
		t.Fatalf("failing job: exit %d, want 5", code)
	}

	signals <- syscall.SIGTERM
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("agent exited %d: %s", code, ui.ErrorWriter)
		}
	case <-time.After(30 * time.Second):
		var stacks strings.Builder
		pprof.Lookup("goroutine").WriteTo(&stacks, 2)
		t.Fatalf("agent did not stop on SIGTERM; goroutines:\n%s", stacks.String())
	}
}

func TestAgentRejectsBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"-max-jobs", "0", "-data-dir", t.TempDir()},
		{"-http-addr", "nonsense", "-data-dir", t.TempDir()},
		{"-log-level", "loud"},
		{"-cluster-selector", "round-robin", "-data-dir", t.TempDir()},
	} {
		ui := cli.NewMockUi()
		if code := (&AgentCommand{UI: ui, Stderr: &strings.Builder{}}).Run(args); code == 0 {
			t.Fatalf("%v: exit 0", args)
		}
		if ui.ErrorWriter.String() == "" {
			t.Fatalf("%v: no error message", args)
		}
	}
}

func TestAgentEnvironmentOverrides(t *testing.T) {
	t.Setenv("GENIE_MAX_JOBS", "not-a-number")
	ui := cli.NewMockUi()
	if code := (&AgentCommand{UI: ui, Stderr: &strings.Builder{}}).Run(nil); code == 0 || !strings.Contains(ui.ErrorWriter.String(), "GENIE_MAX_JOBS") {
		t.Fatalf("bad GENIE_MAX_JOBS: exit %d, %q", code, ui.ErrorWriter)
	}
}

// freeAddr returns a loopback address with a port nobody listens on now.
func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// buildGenie builds the genie binary once per test binary run.
func buildGenie(t testing.TB) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "genie")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build genie: %v\n%s", err, out)
	}
	return bin
}

// startAgent runs the binary as a -dev node and waits until it serves.
func startAgent(t testing.TB, bin, dataDir, httpAddr, raftAddr string, extra ...string) *exec.Cmd {
	t.Helper()
	args := append([]string{"agent", "-dev", "-data-dir", dataDir, "-http-addr", httpAddr, "-raft-addr", raftAddr,
		"-gossip-addr", freeAddr(t), "-cluster-name", node.TestClusterName(t)}, extra...)
	cmd := runAgent(t, bin, dataDir, args...)
	c, _ := api.NewClient(&api.Config{Address: "http://" + httpAddr})
	waitUntil(t, 30*time.Second, "the agent to serve", func() bool {
		return c.Agent().Health(context.Background()) == nil
	})
	return cmd
}

// runAgent starts the binary with args, logging to a file in dataDir that
// a failing test prints, and kills it when the test ends.
func runAgent(t testing.TB, bin, dataDir string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(bin, args...)
	log, err := os.Create(filepath.Join(dataDir, fmt.Sprintf("agent-%d.log", time.Now().UnixNano())))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		log.Close()
		if t.Failed() {
			buf, _ := os.ReadFile(log.Name())
			t.Logf("agent log:\n%s", buf)
		}
	})
	return cmd
}

// TestKill9OfTheNodeLosesNoJob kills the node process outright while a job
// runs: the job keeps running, and the restarted node re-attaches to it and
// records its true exit code; the registry and finished jobs are all there.
func TestKill9OfTheNodeLosesNoJob(t *testing.T) {
	bin := buildGenie(t)
	dataDir := node.PassableTempDir(t)
	httpAddr, raftAddr := freeAddr(t), freeAddr(t)
	agent := startAgent(t, bin, dataDir, httpAddr, raftAddr)
	c, _ := api.NewClient(&api.Config{Address: "http://" + httpAddr})
	ctx := context.Background()

	gate := filepath.Join(node.PassableTempDir(t), "gate")
	req := &api.JobRequest{Name: "gated", User: "test",
		ClusterCriterias: []api.ClusterCriteria{{Tags: []string{"sched:adhoc"}}},
		CommandCriteria:  []string{"type:shell"},
		CommandArguments: []string{fmt.Sprintf("while [ ! -e %s ]; do sleep 0.05; done; echo done; exit 3", gate)}}
	id, err := c.Jobs().Submit(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	var pid int
	waitUntil(t, 30*time.Second, "the job to run", func() bool {
		e, err := c.Jobs().Execution(ctx, id)
		if err == nil && e.ProcessID != nil {
			pid = *e.ProcessID
		}
		return pid != 0
	})

	agent.Process.Signal(syscall.SIGKILL)
	agent.Wait()
	if err := syscall.Kill(pid, 0); err != nil {
		t.Fatalf("the job died with its node: %v", err)
	}

	startAgent(t, bin, dataDir, httpAddr, raftAddr)
	if st, err := c.Jobs().Status(ctx, id); err != nil || st != api.JobStatusRunning {
		t.Fatalf("after restart: %s, %v", st, err)
	}
	os.WriteFile(gate, nil, 0o644)
	waitUntil(t, 30*time.Second, "the re-attached job to end", func() bool {
		st, err := c.Jobs().Status(ctx, id)
		return err == nil && st.Terminal()
	})
	e, _ := c.Jobs().Execution(ctx, id)
	if e.ExitCode == nil || *e.ExitCode != 3 {
		t.Fatalf("exit code %v, want 3", e.ExitCode)
	}
	if !errors.Is(syscall.Kill(pid, 0), syscall.ESRCH) && !isZombieProcess(pid) {
		t.Fatalf("job process %d still there", pid)
	}
}

func isZombieProcess(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i > 0 && i+2 < len(s) && s[i+2] == 'Z'
}

// BenchmarkNodeRSSWithFinishedJobs runs the genie binary as a node, has it
// run 10,000 jobs to SUCCEEDED, and reports the node process's resident
// memory with them stored: all of it (VmRSS) and the part that is the
// process's own memory rather than mapped files (RssAnon; the raft log's
// bolt file is memory-mapped and its touched pages count in VmRSS).
func BenchmarkNodeRSSWithFinishedJobs(b *testing.B) {
	const jobs = 10000
	bin := buildGenie(b)
	for i := 0; i < b.N; i++ {
		dataDir := node.PassableTempDir(b)
		httpAddr := freeAddr(b)
		agent := startAgent(b, bin, dataDir, httpAddr, freeAddr(b), "-max-jobs", "100000", "-max-memory", "100000000")
		c, _ := api.NewClient(&api.Config{Address: "http://" + httpAddr})
		ctx := context.Background()
		req := &api.JobRequest{Name: "true", User: "bench",
			ClusterCriterias: []api.ClusterCriteria{{Tags: []string{"sched:adhoc"}}},
			CommandCriteria:  []string{"type:exec"}, CommandArguments: []string{"true"}}
		var wg sync.WaitGroup
		var next atomic.Int64
		for w := 0; w < 16; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for next.Add(1) <= jobs {
					if _, err := c.Jobs().Submit(ctx, req); err != nil {
						b.Error(err)
						return
					}
				}
			}()
		}
		wg.Wait()
		waitUntil(b, 10*time.Minute, "10,000 jobs to finish", func() bool {
			_, page, err := c.Jobs().List(ctx, &api.JobQuery{Status: []api.JobStatus{api.JobStatusSucceeded}, Size: 1})
			return err == nil && page.TotalElements >= jobs
		})
		status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", agent.Process.Pid))
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(statusKB(status, "VmRSS")/1024, "rss-MB")
		b.ReportMetric(statusKB(status, "RssAnon")/1024, "anon-MB")
	}
}

func statusKB(status []byte, field string) float64 {
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			var kb float64
			fmt.Sscan(strings.TrimSuffix(strings.TrimSpace(v), "kB"), &kb)
			return kb
		}
	}
	return -1
}
