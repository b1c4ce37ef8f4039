package node

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"

	"github.com/genie-cluster/genie/api"
	"github.com/genie-cluster/genie/fsm"
	"github.com/genie-cluster/genie/internal/testlog"
)

func TestThreeNodesBootstrapAndReplicateWrites(t *testing.T) {
	c := MakeCluster(t, 3, nil)
	// Every node is a voter once caught up.
	waitFor(t, 30*time.Second, "three voters", func() bool {
		peers, err := c.WaitForLeader().RaftPeers(context.Background())
		if err != nil || len(peers) != 3 {
			return false
		}
		for _, p := range peers {
			if !p.Voter {
				return false
			}
		}
		return true
	})
	// A registry write on a follower is visible on every node.
	f := c.Followers()[0]
	register(t, client(t, f))
	for _, n := range c.Nodes {
		waitFor(t, 10*time.Second, "the cluster on "+n.Name(), func() bool { return n.State().Cluster("local") != nil })
	}
	// And it is there at once on the node that took it.
	if _, err := client(t, f).Commands().Get(context.Background(), "sh"); err != nil {
		t.Fatalf("read your write on the follower: %v", err)
	}
}

// clusterJob is a shell job for cluster tests.
func clusterJob(script string) *api.JobRequest {
	req := shellJob(script)
	return req
}

func TestSubmissionsToOneNodeSpreadAndEveryNodeAnswers(t *testing.T) {
	c := MakeCluster(t, 3, nil)
	entry := c.Nodes[0]
	ec := client(t, entry)
	register(t, ec)
	ctx := context.Background()

	var ids []string
	for i := 0; i < 60; i++ {
		ids = append(ids, submit(t, ec, clusterJob("sleep 2; echo done")))
	}
	perNode := map[string]int{}
	for _, id := range ids {
		var j *fsm.Job
		waitFor(t, 10*time.Second, "job "+id+" on the entry node", func() bool { j = entry.State().Job(id); return j != nil })
		perNode[j.NodeName]++
	}
	t.Logf("jobs per node: %v", perNode)
	if len(perNode) != 3 {
		t.Fatalf("not every node runs jobs: %v", perNode)
	}
	lo, hi := 1<<30, 0
	for _, k := range perNode {
		lo, hi = min(lo, k), max(hi, k)
	}
	if float64(hi) > 1.5*float64(lo) {
		t.Fatalf("unbalanced: %v", perNode)
	}

	// A running job's status and output are served by every node, and any
	// node kills it.
	long := submit(t, ec, clusterJob("echo started; sleep 100"))
	waitStatus(t, ec, long, api.JobStatusRunning, 30*time.Second)
	for _, n := range c.Nodes {
		nc := client(t, n)
		waitFor(t, 10*time.Second, "live output on "+n.Name(), func() bool {
			f, err := nc.Jobs().OutputFile(ctx, long, "stdout", 0)
			if err != nil {
				return false
			}
			defer f.Close()
			b, _ := io.ReadAll(f)
			return string(b) == "started\n"
		})
		listing, err := nc.Jobs().OutputListing(ctx, long, "")
		if err != nil || len(listing.Files) == 0 {
			t.Fatalf("listing on %s: %v", n.Name(), err)
		}
		if want := "http://" + n.HTTPAddr() + "/api/v3/jobs/" + long + "/output/"; !strings.HasPrefix(listing.Files[0].URL, want) {
			t.Fatalf("listing through %s links to %s, want %s...", n.Name(), listing.Files[0].URL, want)
		}
	}
	runner := entry.State().Job(long).Node
	var killer *Node
	for _, n := range c.Nodes {
		if n.ID() != runner {
			killer = n
		}
	}
	if err := client(t, killer).Jobs().Kill(ctx, long); err != nil {
		t.Fatalf("kill through %s: %v", killer.Name(), err)
	}
	waitStatus(t, ec, long, api.JobStatusKilled, 30*time.Second)

	// Every job ends, and every node serves every job's status and output.
	for _, id := range ids {
		waitStatus(t, ec, id, api.JobStatusSucceeded, 60*time.Second)
	}
	for _, n := range c.Nodes {
		nc := client(t, n)
		for _, id := range ids {
			waitFor(t, 10*time.Second, "archive of "+id, func() bool {
				e, err := nc.Jobs().Execution(ctx, id)
				return err == nil && e.ArchiveStatus == api.ArchiveStatusArchived
			})
			if got := readOutput(t, nc, id, "stdout"); got != "done\n" {
				t.Fatalf("stdout of %s through %s: %q", id, n.Name(), got)
			}
		}
	}
}

// voters returns the ids of the voters and non-voters in raft as the leader
// has them.
func raftServers(t testing.TB, c *TestCluster) (voters, nonvoters []string) {
	t.Helper()
	f := c.WaitForLeader().raft.GetConfiguration()
	if err := f.Error(); err != nil {
		t.Fatal(err)
	}
	for _, s := range f.Configuration().Servers {
		if s.Suffrage == raft.Voter {
			voters = append(voters, string(s.ID))
		} else {
			nonvoters = append(nonvoters, string(s.ID))
		}
	}
	return voters, nonvoters
}

func TestLeaderStoppedNewLeaderAndOldOneRejoins(t *testing.T) {
	c := MakeCluster(t, 3, nil)
	waitFor(t, 30*time.Second, "three voters", func() bool { v, _ := raftServers(t, c); return len(v) == 3 })
	old := c.WaitForLeader()
	oldIdx := -1
	for i, n := range c.Nodes {
		if n == old {
			oldIdx = i
		}
	}
	register(t, client(t, old))
	if err := old.Shutdown(); err != nil {
		t.Fatal(err)
	}
	stopped := time.Now()
	next := c.WaitForLeader()
	if next == old {
		t.Fatal("the stopped node still leads")
	}
	t.Logf("new leader %s after %s", next.Name(), time.Since(stopped))
	// Writes resume, through a follower too.
	for _, n := range c.Followers() {
		if _, err := client(t, n).Clusters().Create(context.Background(), &api.Cluster{Name: "after-" + n.Name(), User: "ops", Version: "1", Status: api.ClusterStatusUp}); err != nil {
			t.Fatalf("write through %s after failover: %v", n.Name(), err)
		}
	}

	// The old leader restarts on its data dir and rejoins as a follower.
	cfg := *c.Config(oldIdx)
	cfg.Join = []string{c.Config(next.indexIn(c)).GossipAddr}
	cfg.Logger = TestLogger(t)
	back := StartNode(t, &cfg)
	c.Nodes[oldIdx] = back
	if back.ID() != old.ID() {
		t.Fatalf("node id changed: %s → %s", old.ID(), back.ID())
	}
	want := len(next.State().Clusters(fsm.ResourceFilter{}))
	waitFor(t, 30*time.Second, "the old leader to catch up", func() bool {
		return len(back.State().Clusters(fsm.ResourceFilter{})) == want
	})
	if want != 2 {
		t.Fatalf("%d clusters on the leader, want 2", want)
	}
	if back.IsLeader() && c.WaitForLeader() != back {
		t.Fatal("two leaders")
	}
}

// indexIn returns the node's index in the cluster.
func (n *Node) indexIn(c *TestCluster) int {
	for i, m := range c.Nodes {
		if m == n {
			return i
		}
	}
	return -1
}

func TestScaleThreeToFiveToThreeAndDeadNodeRemoved(t *testing.T) {
	grace := func(cfg *Config) { cfg.DeadServerGrace = 3 * time.Second }
	c := MakeCluster(t, 3, func(_ int, cfg *Config) { grace(cfg) })
	waitFor(t, 30*time.Second, "three voters", func() bool { v, _ := raftServers(t, c); return len(v) == 3 })

	// Up to five: every node a voter.
	c.AddNode(grace)
	c.AddNode(grace)
	waitFor(t, 30*time.Second, "five voters", func() bool { v, n := raftServers(t, c); return len(v) == 5 && len(n) == 0 })
	// A sixth stays a non-voter: at most five voters, an odd number.
	sixth := c.AddNode(grace)
	waitFor(t, 30*time.Second, "the sixth as a non-voter", func() bool {
		v, n := raftServers(t, c)
		return len(v) == 5 && len(n) == 1 && n[0] == sixth.ID()
	})

	// Down to three by graceful leaves, the leader among them: each is
	// removed at once.
	leaving := []*Node{c.WaitForLeader(), sixth}
	for _, f := range c.Followers() {
		if f != sixth {
			leaving = append(leaving, f)
			break
		}
	}
	for _, n := range leaving {
		if err := n.Leave(); err != nil {
			t.Fatalf("leave %s: %v", n.Name(), err)
		}
		waitFor(t, 30*time.Second, n.Name()+" out of raft", func() bool {
			v, nv := raftServers(t, c)
			for _, id := range append(v, nv...) {
				if id == n.ID() {
					return false
				}
			}
			return true
		})
	}
	waitFor(t, 30*time.Second, "three voters after the leaves", func() bool { v, n := raftServers(t, c); return len(v) == 3 && len(n) == 0 })
	// Writes still work.
	register(t, client(t, c.Followers()[0]))

	// A node that dies and stays dead is removed after the grace period.
	dead := c.Followers()[0]
	dead.Shutdown()
	waitFor(t, 30*time.Second, "the dead node's removal", func() bool {
		v, nv := raftServers(t, c)
		for _, id := range append(v, nv...) {
			if id == dead.ID() {
				return false
			}
		}
		return true
	})
	if _, err := client(t, c.WaitForLeader()).Clusters().Create(context.Background(), &api.Cluster{Name: "x", User: "u", Version: "1", Status: api.ClusterStatusUp}); err != nil {
		t.Fatalf("write after the removal: %v", err)
	}
}

// logBuffer collects a node's logs for assertions on them.
type logBuffer struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) contains(s string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Contains(l.buf.String(), s)
}

// captureLogs makes cfg log to t and to the returned buffer.
func captureLogs(t testing.TB, cfg *Config) *logBuffer {
	lb := &logBuffer{}
	cfg.Logger = hclog.New(&hclog.LoggerOptions{Name: "genie", Level: hclog.Debug, Output: io.MultiWriter(testlog.Writer(t), lb)})
	return lb
}

func TestJoinThroughAWrongAddressFailsClearly(t *testing.T) {
	c := MakeCluster(t, 3, nil)
	cfg := TestConfig(t, t.TempDir())
	cfg.NodeName = "lost"
	cfg.BootstrapExpect = 3
	cfg.Join = []string{freeLoopbackAddr(t)}
	cfg.JoinTimeout = time.Second
	logs := captureLogs(t, cfg)
	lost, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lost.Shutdown() })
	waitFor(t, 30*time.Second, "the join error", func() bool { return logs.contains("could not join the cluster") })
	if lost.IsLeader() || lost.hasRaftState() {
		t.Fatal("the lost node formed a group of its own")
	}
	if v, nv := raftServers(t, c); len(v)+len(nv) != 3 {
		t.Fatalf("the cluster changed: %v %v", v, nv)
	}
}

func TestDifferentBootstrapExpectDoesNotBootstrap(t *testing.T) {
	var logs []*logBuffer
	var nodes []*Node
	var first string
	for i := 0; i < 3; i++ {
		cfg := TestConfig(t, t.TempDir())
		cfg.NodeName = fmt.Sprintf("node%d", i)
		cfg.BootstrapExpect = 3
		if i == 2 {
			cfg.BootstrapExpect = 2
		}
		if i == 0 {
			first = cfg.GossipAddr
		} else {
			cfg.Join = []string{first}
		}
		logs = append(logs, captureLogs(t, cfg))
		n, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { n.Shutdown() })
		nodes = append(nodes, n)
	}
	for i, lb := range logs {
		waitFor(t, 30*time.Second, fmt.Sprintf("node%d to refuse to bootstrap", i), func() bool {
			return lb.contains("expects a different number of servers")
		})
	}
	for _, n := range nodes {
		if n.hasRaftState() {
			t.Fatalf("%s bootstrapped despite the mismatch", n.Name())
		}
	}
}

func TestConsistentReadOnAFollower(t *testing.T) {
	c := MakeCluster(t, 3, nil)
	leader := c.WaitForLeader()
	register(t, client(t, leader))
	for _, f := range c.Followers() {
		status, body := rawRequest(t, f, "GET", "/api/v3/clusters/local?consistent=true", "", nil)
		if status != 200 || body["id"] != "local" {
			t.Fatalf("consistent read on %s: %d %v", f.Name(), status, body)
		}
	}
}

// TestTwoNodesTheVoterLeaves covers the sole voter of a two-node group
// leaving: it hands its vote to the other node, which then leads alone.
func TestTwoNodesTheVoterLeaves(t *testing.T) {
	c := MakeCluster(t, 1, nil)
	second := c.AddNode(nil)
	waitFor(t, 30*time.Second, "one voter and one non-voter", func() bool {
		v, nv := raftServers(t, c)
		return len(v) == 1 && len(nv) == 1 && nv[0] == second.ID()
	})
	if err := c.Nodes[0].Leave(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, "the second node to lead alone", func() bool {
		if !second.IsLeader() {
			return false
		}
		f := second.raft.GetConfiguration()
		return f.Error() == nil && len(f.Configuration().Servers) == 1
	})
	if _, err := client(t, second).Clusters().Create(context.Background(), &api.Cluster{Name: "x", User: "u", Version: "1", Status: api.ClusterStatusUp}); err != nil {
		t.Fatalf("write after the voter left: %v", err)
	}
	// The node that left shows as left, not dead.
	waitFor(t, 10*time.Second, "the member to show as left", func() bool {
		for _, m := range second.Members() {
			if m.ID == c.Nodes[0].ID() {
				return m.Status == "left"
			}
		}
		return true
	})
}

// TestReplacedNodeTakesItsSeat restarts a node with the same name and
// addresses but an empty data dir (a new id): the leader drops the old id
// and adds the new one.
func TestReplacedNodeTakesItsSeat(t *testing.T) {
	c := MakeCluster(t, 3, func(_ int, cfg *Config) { cfg.RaftAddr = freeLoopbackAddr(t) })
	waitFor(t, 30*time.Second, "three voters", func() bool { v, _ := raftServers(t, c); return len(v) == 3 })
	old := c.Followers()[0]
	i := old.indexIn(c)
	old.Shutdown()
	cfg := *c.Config(i)
	cfg.DataDir = t.TempDir()
	cfg.JobsDir, cfg.ArchiveDir = "", ""
	cfg.Join = []string{c.Config(c.WaitForLeader().indexIn(c)).GossipAddr}
	cfg.Logger = TestLogger(t)
	fresh := StartNode(t, &cfg)
	c.Nodes[i] = fresh
	waitFor(t, 30*time.Second, "the new id as a voter in place of the old", func() bool {
		v, nv := raftServers(t, c)
		ids := strings.Join(append(v, nv...), ",")
		return len(v) == 3 && strings.Contains(strings.Join(v, ","), fresh.ID()) && !strings.Contains(ids, old.ID())
	})
	// Reconciling goes on: a new node still joins.
	c.AddNode(nil)
	waitFor(t, 30*time.Second, "four servers", func() bool { v, nv := raftServers(t, c); return len(v)+len(nv) == 4 })
}

func TestOperatorCallsThroughAFollower(t *testing.T) {
	c := MakeCluster(t, 3, nil)
	waitFor(t, 30*time.Second, "three voters", func() bool { v, _ := raftServers(t, c); return len(v) == 3 })
	f := c.Followers()[0]
	fc := client(t, f)
	if err := fc.Operator().RaftRemovePeer(context.Background(), "nope"); !api.IsNotFound(err) {
		t.Fatalf("remove unknown through a follower: %v", err)
	}
	if err := fc.Operator().RaftTransferLeader(context.Background(), f.ID()); err != nil {
		t.Fatalf("transfer through a follower: %v", err)
	}
	waitFor(t, 10*time.Second, "the follower to lead", func() bool { return f.IsLeader() })
}
