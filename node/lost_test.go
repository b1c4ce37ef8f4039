package node

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/genie-cluster/genie/api"
	"github.com/genie-cluster/genie/fsm"
)

// submitUntilOn submits script through n until a job lands on n itself
// (placement may send some to peers) and returns its id.
func submitUntilOn(t *testing.T, n *Node, script string) string {
	t.Helper()
	for i := 0; i < 60; i++ {
		id := submit(t, client(t, n), shellJob(script))
		if j := submittedJob(n, id); j != nil && j.Node == n.ID() {
			return id
		}
	}
	t.Fatalf("no submission landed on %s", n.Name())
	return ""
}

// restart starts node i again on its data dir, joining through a running
// node.
func (c *TestCluster) restart(t *testing.T, i int, via *Node) *Node {
	t.Helper()
	cfg := *c.Config(i)
	cfg.Join = []string{c.Config(via.indexIn(c)).GossipAddr}
	cfg.Logger = TestLogger(t)
	n := StartNode(t, &cfg)
	c.Nodes[i] = n
	return n
}

func TestJobsOfALostNodeMoveOrFailAndItsReturnStopsThem(t *testing.T) {
	c := MakeCluster(t, 3, func(_ int, cfg *Config) { cfg.NodeLostGrace = 2 * time.Second })
	leader := c.WaitForLeader()
	register(t, client(t, leader))
	victim := c.Followers()[0]
	victimIdx := victim.indexIn(c)
	waitFor(t, 10*time.Second, "the registry on "+victim.Name(), func() bool { return victim.State().Command("sh") != nil })

	running := submitUntilOn(t, victim, "sleep 300")
	pgid := runningPID(t, client(t, victim), running)
	// With its runner held, the victim keeps the next job ACCEPTED.
	victim.holdRunner.Store(true)
	marker := filepath.Join(PassableTempDir(t), "ran")
	queued := submitUntilOn(t, victim, "echo $GENIE_JOB_ID >> "+marker)

	// The victim dies without a word: its job process lives on.
	victim.Shutdown()
	lc := client(t, leader)
	lost := waitStatus(t, lc, running, api.JobStatusFailed, 30*time.Second)
	if !strings.Contains(lost.StatusMsg, "node lost") {
		t.Fatalf("lost job's message %q", lost.StatusMsg)
	}
	moved := waitStatus(t, lc, queued, api.JobStatusSucceeded, 30*time.Second)
	if j := leader.State().Job(queued); j.Node == victim.ID() {
		t.Fatalf("the queued job %s still names the lost node", moved.ID)
	}
	if processGone(pgid) {
		t.Fatal("the lost node's job process ended before the node came back")
	}

	// The victim comes back: it stops the job it was told it lost, keeps
	// its final status and archives what it has.
	back := c.restart(t, victimIdx, leader)
	waitFor(t, 30*time.Second, "the lost job's processes to stop", func() bool { return processGone(pgid) })
	waitFor(t, 30*time.Second, "the lost job's directory archived", func() bool {
		return archivedOn(back, running)
	})
	j := back.State().Job(running)
	if j.Status != fsm.JobFailed || j.StatusMsg != fsm.MsgNodeLost {
		t.Fatalf("after the return the job is %s (%s)", j.Status, j.StatusMsg)
	}
	if out := readOutput(t, client(t, back), running, "run"); !strings.Contains(out, "sleep 300") {
		t.Fatalf("archived run script: %q", out)
	}
	// The moved job ran once, elsewhere: the returning node did not run
	// it too.
	ran, err := os.ReadFile(marker)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(ran), queued+"\n"); n != 1 {
		t.Fatalf("the moved job ran %d times:\n%s", n, ran)
	}
}

func TestANodeBackWithinTheGraceKeepsItsJobs(t *testing.T) {
	c := MakeCluster(t, 3, func(_ int, cfg *Config) { cfg.NodeLostGrace = time.Minute })
	leader := c.WaitForLeader()
	register(t, client(t, leader))
	victim := c.Followers()[0]
	victimIdx := victim.indexIn(c)
	waitFor(t, 10*time.Second, "the registry on "+victim.Name(), func() bool { return victim.State().Command("sh") != nil })

	id := submitUntilOn(t, victim, "sleep 4; echo done")
	runningPID(t, client(t, victim), id)
	victim.Shutdown()
	back := c.restart(t, victimIdx, leader)
	done := waitStatus(t, client(t, back), id, api.JobStatusSucceeded, 30*time.Second)
	if done.StatusMsg != fsm.MsgSucceeded {
		t.Fatalf("job message %q", done.StatusMsg)
	}
	waitFor(t, 30*time.Second, "the job's archive", func() bool { return archivedOn(leader, id) })
	if out := readOutput(t, client(t, leader), id, "stdout"); out != "done\n" {
		t.Fatalf("stdout %q", out)
	}
}

func TestEveryNodeStoppedAtOnceAndRestarted(t *testing.T) {
	// Fixed raft ports: restarted together, the nodes find each other only
	// at the addresses their raft configuration holds.
	c := MakeCluster(t, 3, func(_ int, cfg *Config) { cfg.RaftAddr = freeLoopbackAddr(t) })
	leader := c.WaitForLeader()
	register(t, client(t, leader))
	victim := c.Followers()[0]
	waitFor(t, 10*time.Second, "the registry on "+victim.Name(), func() bool { return victim.State().Command("sh") != nil })
	long := submitUntilOn(t, victim, "sleep 3; echo survived")
	runningPID(t, client(t, victim), long)
	var ids []string
	for i := 0; i < 6; i++ {
		ids = append(ids, submit(t, client(t, c.Nodes[i%3]), shellJob("echo quick")))
	}
	clusters := len(leader.State().Clusters(fsm.ResourceFilter{}))

	for _, n := range c.Nodes {
		n.Shutdown()
	}
	for i := range c.Nodes {
		cfg := *c.Config(i)
		cfg.Logger = TestLogger(t)
		n, err := New(&cfg)
		if err != nil {
			t.Fatalf("restart node %d: %v", i, err)
		}
		t.Cleanup(func() { n.Shutdown() })
		c.Nodes[i] = n
	}
	for _, n := range c.Nodes {
		select {
		case <-n.Ready():
		case <-time.After(60 * time.Second):
			t.Fatalf("%s not ready after the restart", n.Name())
		}
	}
	leader = c.WaitForLeader()
	if got := len(leader.State().Clusters(fsm.ResourceFilter{})); got != clusters {
		t.Fatalf("%d clusters after the restart, want %d", got, clusters)
	}
	lc := client(t, leader)
	// The running job was re-attached and ends on its own; every other job
	// is accounted for.
	waitStatus(t, lc, long, api.JobStatusSucceeded, 30*time.Second)
	for _, id := range ids {
		waitFor(t, 30*time.Second, "job "+id+" to end", func() bool {
			j := leader.State().Job(id)
			return j != nil && j.Status.Terminal()
		})
	}
	register2 := &api.Cluster{Name: "after", User: "ops", Version: "1", Status: api.ClusterStatusUp}
	if _, err := client(t, c.Followers()[0]).Clusters().Create(context.Background(), register2); err != nil {
		t.Fatalf("write after the restart: %v", err)
	}
}

// archivedOn reports whether n's replica has job id archived.
func archivedOn(n *Node, id string) bool {
	j := n.State().Job(id)
	return j != nil && j.ArchiveStatus == fsm.ArchiveArchived
}
