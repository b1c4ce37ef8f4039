package node

import (
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
		if j := n.State().Job(id); j != nil && j.Node == n.ID() {
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
	queued := submitUntilOn(t, victim, "echo moved")

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
		return back.State().Job(running).ArchiveStatus == fsm.ArchiveArchived
	})
	j := back.State().Job(running)
	if j.Status != fsm.JobFailed || j.StatusMsg != fsm.MsgNodeLost {
		t.Fatalf("after the return the job is %s (%s)", j.Status, j.StatusMsg)
	}
	if out := readOutput(t, client(t, back), running, "run"); !strings.Contains(out, "sleep 300") {
		t.Fatalf("archived run script: %q", out)
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
	if out := readOutput(t, client(t, leader), id, "stdout"); out != "done\n" {
		t.Fatalf("stdout %q", out)
	}
}
