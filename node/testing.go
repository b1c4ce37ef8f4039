package node

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/genie-cluster/genie/api"
	"github.com/genie-cluster/genie/internal/testlog"
	"github.com/genie-cluster/genie/runner"
)

// TestConfig returns a configuration for a node in dataDir listening on
// free loopback ports, logging to t, with a short kill grace so tests of
// kills finish quickly.
func TestConfig(t testing.TB, dataDir string) *Config {
	cfg := DefaultConfig()
	cfg.NodeName = "test-" + t.Name()
	cfg.ClusterName = TestClusterName(t)
	cfg.DataDir = dataDir
	cfg.HTTPAddr = "127.0.0.1:0"
	cfg.RaftAddr = "127.0.0.1:0"
	cfg.GossipAddr = freeLoopbackAddr(t)
	cfg.GossipPreset = "local"
	cfg.BootstrapExpect = 1
	cfg.KillGrace = 2 * time.Second
	// Tests take jobs whatever the machine's disk holds; the tests of the
	// limit set their own.
	cfg.MinFreeDisk = FreeSpace{}
	cfg.Logger = TestLogger(t)
	// GENIE_TEST_RAFT_LOG_STORE runs a suite on one log store.
	cfg.RaftLogStore = os.Getenv("GENIE_TEST_RAFT_LOG_STORE")
	return cfg
}

// testProcess tells this test process's clusters from those of another
// running at the same time.
var testProcess = func() string {
	b := make([]byte, 4)
	rand.Read(b)
	return hex.EncodeToString(b)
}()

// TestClusterName is the gossip cluster name of the nodes a test starts:
// its own, so that test clusters running side by side on loopback (other
// packages, other processes) never merge when one's port is reused by
// another's node while a node retries its dead members' addresses.
func TestClusterName(t testing.TB) string {
	h := fnv.New64a()
	h.Write([]byte(t.Name()))
	return fmt.Sprintf("test-%s-%016x", testProcess, h.Sum64())
}

// MakeNode starts a node with TestConfig in a fresh temporary data dir
// (changed by mutate, when given), waits until it is ready and shuts it down
// when the test ends.
func MakeNode(t testing.TB, mutate func(*Config)) *Node {
	t.Helper()
	cfg := TestConfig(t, t.TempDir())
	if mutate != nil {
		mutate(cfg)
	}
	return StartNode(t, cfg)
}

// StartNode starts a node with cfg, waits until it is ready and shuts it
// down when the test ends.
func StartNode(t testing.TB, cfg *Config) *Node {
	t.Helper()
	n, err := New(cfg)
	if err != nil {
		t.Fatalf("start node: %v", err)
	}
	t.Cleanup(func() { n.Shutdown() })
	select {
	case <-n.Ready():
	case <-time.After(30 * time.Second):
		t.Fatalf("node %s not ready after 30s", cfg.NodeName)
	}
	return n
}

// TestLogger logs to t until the test ends, then discards: nodes' goroutines
// may outlive a test by a moment, and logging to a finished test panics.
func TestLogger(t testing.TB) hclog.Logger { return testlog.New(t, "genie") }

// PassableTempDir is a temporary directory that the OS account a root
// node runs jobs as can pass through (t.TempDir's are 0700), as a data dir
// or a directory holding files a job reads must be.
func PassableTempDir(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	for _, d := range []string{dir, filepath.Dir(dir)} {
		if err := os.Chmod(d, 0o711); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// freeLoopbackAddr returns a loopback host:port free for both TCP and UDP
// now (memberlist binds both on one port, so port 0 cannot be used).
func freeLoopbackAddr(t testing.TB) string {
	t.Helper()
	for i := 0; i < 50; i++ {
		tcp, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("free port: %v", err)
		}
		addr := tcp.Addr().String()
		udp, err := net.ListenPacket("udp", addr)
		tcp.Close()
		if err == nil {
			udp.Close()
			return addr
		}
	}
	t.Fatal("no free loopback port for TCP and UDP")
	return ""
}

// newOnFreePort starts a node with cfg. A gossip port freeLoopbackAddr
// chose (chosen) is free when chosen but may be taken before the node binds
// it, by any process's outgoing connection: the node then tries another.
func newOnFreePort(t testing.TB, cfg *Config, chosen string) (*Node, error) {
	for attempt := 1; ; attempt++ {
		n, err := New(cfg)
		if err == nil || attempt == 5 || cfg.GossipAddr != chosen || !strings.Contains(err.Error(), "address already in use") {
			return n, err
		}
		t.Logf("gossip port %s was taken before the node bound it; trying another", chosen)
		cfg.GossipAddr = freeLoopbackAddr(t)
		chosen = cfg.GossipAddr
	}
}

// TestCluster is a set of real nodes on loopback ports that bootstrapped
// one raft group through gossip.
type TestCluster struct {
	t     testing.TB
	Nodes []*Node
	cfgs  []*Config
}

// MakeCluster starts n nodes with -bootstrap-expect n, each joining the
// first through gossip, and waits until they share a leader and are ready,
// like raft's MakeCluster. mutate, when given, changes each node's
// configuration (i is the node's index).
func MakeCluster(t testing.TB, n int, mutate func(i int, cfg *Config)) *TestCluster {
	t.Helper()
	c := &TestCluster{t: t}
	var first string
	for i := 0; i < n; i++ {
		cfg := TestConfig(t, t.TempDir())
		cfg.NodeName = fmt.Sprintf("node%d", i)
		cfg.BootstrapExpect = n
		cfg.JobUIDRange = TestJobUIDs(i).String()
		if i > 0 {
			cfg.Join = []string{first}
		}
		chosen := cfg.GossipAddr
		if mutate != nil {
			mutate(i, cfg)
		}
		node, err := newOnFreePort(t, cfg, chosen)
		if err != nil {
			t.Fatalf("start node %d: %v", i, err)
		}
		if i == 0 {
			first = cfg.GossipAddr
		}
		t.Cleanup(func() { node.Shutdown() })
		c.Nodes = append(c.Nodes, node)
		c.cfgs = append(c.cfgs, cfg)
	}
	for _, node := range c.Nodes {
		select {
		case <-node.Ready():
		case <-time.After(60 * time.Second):
			t.Fatalf("node %s not ready after 60s", node.Name())
		}
	}
	c.WaitForLeader()
	return c
}

// TestJobUIDs is node i's share of the default job uid range: nodes on
// one machine need uids of their own, or two could give the same uid to
// jobs at once.
func TestJobUIDs(i int) runner.UIDRange {
	const shares = 8
	all := runner.DefaultJobUIDs()
	size := all.Count / shares
	return runner.UIDRange{First: all.First + (i%shares)*size, Count: size}
}

// Config returns the configuration node i was started with.
func (c *TestCluster) Config(i int) *Config { return c.cfgs[i] }

// Leader waits for a leader among the running nodes and returns it.
func (c *TestCluster) WaitForLeader() *Node {
	c.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		for _, n := range c.Nodes {
			if n.running() && n.IsLeader() {
				return n
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	c.t.Fatal("no leader after 30s")
	return nil
}

// Followers returns the running nodes that do not lead.
func (c *TestCluster) Followers() []*Node {
	var out []*Node
	for _, n := range c.Nodes {
		if n.running() && !n.IsLeader() {
			out = append(out, n)
		}
	}
	return out
}

// AddNode starts one more node like the first ones, joining through a
// running node, and waits until it is ready.
func (c *TestCluster) AddNode(mutate func(cfg *Config)) *Node {
	c.t.Helper()
	cfg := TestConfig(c.t, c.t.TempDir())
	cfg.NodeName = fmt.Sprintf("node%d", len(c.Nodes))
	cfg.BootstrapExpect = c.cfgs[0].BootstrapExpect
	for i, n := range c.Nodes {
		if n.running() {
			cfg.Join = []string{c.cfgs[i].GossipAddr}
			break
		}
	}
	chosen := cfg.GossipAddr
	if mutate != nil {
		mutate(cfg)
	}
	node, err := newOnFreePort(c.t, cfg, chosen)
	if err != nil {
		c.t.Fatalf("start node: %v", err)
	}
	c.t.Cleanup(func() { node.Shutdown() })
	select {
	case <-node.Ready():
	case <-time.After(30 * time.Second):
		c.t.Fatalf("node %s not ready after 30s", cfg.NodeName)
	}
	c.Nodes = append(c.Nodes, node)
	c.cfgs = append(c.cfgs, cfg)
	return node
}

// RegisterShell creates the registry most tests use: a cluster "local"
// tagged sched:adhoc and type:local, and a command "sh" tagged type:shell
// that runs its argument with /bin/sh -c.
func RegisterShell(t testing.TB, c *api.Client) {
	t.Helper()
	ctx := context.Background()
	if _, err := c.Clusters().Create(ctx, &api.Cluster{ID: "local", Name: "local", User: "ops", Version: "1",
		Tags: []string{"sched:adhoc", "type:local"}, Status: api.ClusterStatusUp}); err != nil {
		t.Fatalf("create cluster: %v", err)
	}
	if _, err := c.Commands().Create(ctx, &api.Command{ID: "sh", Name: "sh", User: "ops", Version: "1",
		Tags: []string{"type:shell"}, Status: api.CommandStatusActive,
		ExecutableAndArguments: []string{"/bin/sh", "-c"}}); err != nil {
		t.Fatalf("create command: %v", err)
	}
}

// ShellRequest is a job request running script on the RegisterShell
// registry.
func ShellRequest(name, user, script string) *api.JobRequest {
	return &api.JobRequest{Name: name, User: user, Version: "1",
		ClusterCriterias: []api.ClusterCriteria{{Tags: []string{"sched:adhoc"}}},
		CommandCriteria:  []string{"type:shell"},
		CommandArguments: []string{script}}
}

// Submit submits req and returns the job's id, failing the test on error.
func Submit(t testing.TB, c *api.Client, req *api.JobRequest) string {
	t.Helper()
	id, err := c.Jobs().Submit(context.Background(), req)
	if err != nil {
		t.Fatalf("submit: %v", err)
	}
	return id
}

// WaitFor checks cond every 10 ms until it holds, failing the test when it
// still does not after timeout: a test waits for a condition, never for a
// fixed time.
func WaitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		<-tick.C
	}
}
