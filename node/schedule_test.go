package node

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/genie-cluster/genie/api"
	"github.com/genie-cluster/genie/fsm"
	"github.com/hashicorp/raft"
)

// assignmentsInLog returns, in commit order, every assignment of a queued
// job the leader made, read back from n's raft log.
func assignmentsInLog(t testing.TB, n *Node) []fsm.Assignment {
	t.Helper()
	var out []fsm.Assignment
	eachLogEntry(t, n, func(typ fsm.MessageType, payload []byte) {
		if typ != fsm.JobAssignRequestType {
			return
		}
		var req fsm.JobAssignRequest
		if err := fsm.Decode(payload, &req); err != nil {
			t.Fatalf("decode assignment: %v", err)
		}
		out = append(out, req.Assignments...)
	})
	return out
}

// eachLogEntry calls fn with every command entry of n's raft log.
func eachLogEntry(t testing.TB, n *Node, fn func(typ fsm.MessageType, payload []byte)) {
	t.Helper()
	first, err := n.raftStore.FirstIndex()
	if err != nil {
		t.Fatal(err)
	}
	last, err := n.raftStore.LastIndex()
	if err != nil {
		t.Fatal(err)
	}
	for i := first; i <= last && i > 0; i++ {
		var l raft.Log
		if err := n.raftStore.GetLog(i, &l); err != nil {
			t.Fatalf("log entry %d: %v", i, err)
		}
		if l.Type == raft.LogCommand && len(l.Data) > 0 {
			fn(fsm.MessageType(l.Data[0]), l.Data[1:])
		}
	}
}

// sampleSlots watches the leader's state until stop closes and fails the
// test if any node ever holds more than maxJobs unfinished jobs. It
// returns the most it saw on one node.
func sampleSlots(t *testing.T, c *TestCluster, maxJobs int, stop <-chan struct{}) <-chan int {
	seen := make(chan int, 1)
	go func() {
		most := 0
		defer func() { seen <- most }()
		for {
			for _, n := range c.Nodes {
				if !n.running() {
					continue
				}
				state := n.State()
				for _, m := range c.Nodes {
					held := len(state.ActiveJobsOnNode(m.ID()))
					most = max(most, held)
					if held > maxJobs {
						t.Errorf("%s sees %d unfinished jobs on %s, more than -max-jobs %d", n.Name(), held, m.Name(), maxJobs)
						return
					}
				}
			}
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	return seen
}

func TestBurstBeyondCapacityQueuesRunsEveryJobFairlyAndInOrder(t *testing.T) {
	const maxJobs, total = 4, 300
	c := MakeCluster(t, 3, func(_ int, cfg *Config) { cfg.MaxJobs = maxJobs })
	leader := c.WaitForLeader()
	register(t, client(t, leader))
	entry := c.Followers()[0]
	waitFor(t, 10*time.Second, "the registry on "+entry.Name(), func() bool { return entry.State().Command("sh") != nil })

	stop := make(chan struct{})
	most := sampleSlots(t, c, maxJobs, stop)
	// Two users, one with twice the other's jobs, all at once through one
	// node: every submission is accepted, none refused.
	users := []string{"alice", "alice", "bob"}
	ids := make([]string, total)
	var wg sync.WaitGroup
	var next atomic.Int64
	ec := client(t, entry)
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1)) - 1; i < total; i = int(next.Add(1)) - 1 {
				id, err := ec.Jobs().Submit(context.Background(), shellJobAs(users[i%3], "sleep 1"))
				if err != nil {
					t.Errorf("submission %d: %v", i, err)
					return
				}
				ids[i] = id
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		close(stop)
		t.FailNow()
	}
	lc := client(t, leader)
	for _, id := range ids {
		waitStatus(t, lc, id, api.JobStatusSucceeded, 120*time.Second)
	}
	close(stop)
	t.Logf("at most %d unfinished jobs on one node", <-most)

	// Each user's queued jobs left the queue in the order they were
	// submitted (the order raft committed them), and the two users' jobs
	// took turns.
	state := leader.State()
	lastCreate := map[string]uint64{}
	switches, assigned := 0, 0
	prevUser := ""
	for _, a := range assignmentsInLog(t, leader) {
		j := state.Job(a.ID)
		user := j.Request.User
		if j.CreateIndex < lastCreate[user] {
			t.Fatalf("%s's job %s (index %d) was assigned after a later one (index %d)", user, j.ID, j.CreateIndex, lastCreate[user])
		}
		lastCreate[user] = j.CreateIndex
		if prevUser != "" && user != prevUser {
			switches++
		}
		prevUser = user
		assigned++
	}
	t.Logf("%d jobs waited in the queue; the users took turns %d times", assigned, switches)
	if assigned < total/2 {
		t.Fatalf("only %d of %d jobs waited in the queue: the burst did not exceed capacity", assigned, total)
	}
	if switches < 20 {
		t.Fatalf("the users took turns only %d times in %d assignments", switches, assigned)
	}
}

// fillEverySlot starts a long job on every slot of every node and returns
// the ids.
func fillEverySlot(t *testing.T, c *TestCluster, slots int) []string {
	t.Helper()
	cl := client(t, c.WaitForLeader())
	var ids []string
	for i := 0; i < slots; i++ {
		ids = append(ids, submit(t, cl, shellJob("sleep 300")))
	}
	for _, id := range ids {
		waitStatus(t, cl, id, api.JobStatusRunning, 30*time.Second)
	}
	return ids
}

// countLines is the number of lines in path, 0 when it does not exist.
func countLines(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	return strings.Count(string(b), "\n")
}

func TestQueuedJobSurvivesALeaderKillAndRunsOnce(t *testing.T) {
	c := MakeCluster(t, 3, func(_ int, cfg *Config) { cfg.MaxJobs = 1; cfg.NodeLostGrace = time.Minute })
	leader := c.WaitForLeader()
	register(t, client(t, leader))
	for _, n := range c.Nodes {
		waitFor(t, 10*time.Second, "the registry on "+n.Name(), func() bool { return n.State().Command("sh") != nil })
	}
	long := fillEverySlot(t, c, 3)

	marker := filepath.Join(PassableTempDir(t), "ran")
	follower := c.Followers()[0]
	queued := submit(t, client(t, follower), shellJob("echo once >> "+marker))
	if j := submittedJob(follower, queued); j == nil || !j.Queued() {
		t.Fatalf("the job did not wait in the queue: %+v", j)
	}

	if err := leader.Shutdown(); err != nil {
		t.Fatal(err)
	}
	next := c.WaitForLeader()
	nc := client(t, next)
	if j, err := nc.Jobs().Get(context.Background(), queued); err != nil || j.Status != api.JobStatusAccepted {
		t.Fatalf("after the leader change the queued job is %v (%v)", j, err)
	}
	// A slot frees on a surviving node: the new leader assigns the job.
	var free string
	for _, id := range long {
		if j := next.State().Job(id); j.Node != leader.ID() {
			free = id
			break
		}
	}
	freed := time.Now()
	if err := nc.Jobs().Kill(context.Background(), free); err != nil {
		t.Fatal(err)
	}
	done := waitStatus(t, nc, queued, api.JobStatusSucceeded, 30*time.Second)
	t.Logf("the new leader %s started the queued job %s after the slot freed", next.Name(), done.Started.Sub(freed))

	// The old leader comes back; the job never runs again.
	back := c.restart(t, leader.indexIn(c), next)
	waitFor(t, 30*time.Second, "the old leader to catch up", func() bool {
		j := back.State().Job(queued)
		return j != nil && j.Status == fsm.JobSucceeded
	})
	if n := countLines(t, marker); n != 1 {
		t.Fatalf("the queued job ran %d times, want once", n)
	}
}

func TestConcurrentCommitsAtALastFreeSlotPlaceOneThere(t *testing.T) {
	// node0 has one slot; the others have none free. Each node sends, at
	// once, submissions that all name node0: the state machine places
	// exactly one there, whatever the order they commit in.
	c := MakeCluster(t, 3, func(_ int, cfg *Config) { cfg.MaxJobs = 1 })
	leader := c.WaitForLeader()
	register(t, client(t, leader))
	target := c.Nodes[0]
	lc := client(t, leader)
	template := *leader.State().Job(submit(t, lc, shellJob("true")))
	waitStatus(t, lc, template.ID, api.JobStatusSucceeded, 30*time.Second)
	// Fill every slot, then free node0's; its runner is held so that what
	// lands there keeps the slot.
	for _, id := range fillEverySlot(t, c, 3) {
		if leader.State().Job(id).Node == target.ID() {
			target.holdRunner.Store(true)
			if err := lc.Jobs().Kill(context.Background(), id); err != nil {
				t.Fatal(err)
			}
			waitStatus(t, lc, id, api.JobStatusKilled, 30*time.Second)
		}
	}
	waitFor(t, 10*time.Second, "node0 as the only node with room", func() bool {
		for _, l := range leader.State().NodeLoads() {
			if (l.ID == target.ID()) != (l.Jobs < l.MaxJobs) {
				return false
			}
		}
		return true
	})

	const perNode = 4
	var wg sync.WaitGroup
	start := make(chan struct{})
	ids := make(chan string, perNode*len(c.Nodes))
	for _, n := range c.Nodes {
		for k := 0; k < perNode; k++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				job := template
				job.ID = fmt.Sprintf("last-slot-%s-%d", n.Name(), k)
				job.Status, job.StatusMsg = fsm.JobAccepted, ""
				job.Node, job.NodeName = target.ID(), ""
				job.ExitCode, job.Started, job.Finished = nil, 0, 0
				job.ArchiveStatus, job.ArchiveLocation = "", ""
				<-start
				if _, err := n.applyNoWait(context.Background(), fsm.JobSubmitRequestType, &fsm.JobSubmitRequest{Job: job, Place: true}); err != nil {
					t.Errorf("submit through %s: %v", n.Name(), err)
					return
				}
				ids <- job.ID
			}()
		}
	}
	close(start)
	wg.Wait()
	close(ids)

	placed, queued := 0, 0
	state := leader.State()
	for id := range ids {
		j := state.Job(id)
		switch {
		case j.Node == target.ID():
			placed++
		case j.Queued():
			queued++
		default:
			t.Errorf("job %s is %s on %q", id, j.Status, j.Node)
		}
	}
	if placed != 1 || queued != perNode*len(c.Nodes)-1 {
		t.Fatalf("%d placed on %s and %d queued, want 1 and %d", placed, target.Name(), queued, perNode*len(c.Nodes)-1)
	}
}
