package node

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/raft"

	"github.com/genie-cluster/genie/api"
	"github.com/genie-cluster/genie/fsm"
)

// mountSmallFS mounts a tmpfs of size on a fresh directory, unmounted when
// the test ends. It needs root; in CI a failure to mount fails the test.
func mountSmallFS(t *testing.T, size string) string {
	t.Helper()
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size+",mode=0755", "tmpfs", dir).CombinedOutput(); err != nil {
		if os.Getenv("CI") == "" && os.Geteuid() != 0 {
			t.Skipf("mounting a small file system needs root: %v: %s", err, out)
		}
		t.Fatalf("mount a %s tmpfs: %v: %s", size, err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", "-l", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
	return dir
}

// submitPinned submits script through n with an attachment, which keeps
// the job on n (its attachments are in n's own storage).
func submitPinned(t *testing.T, n *Node, script string) string {
	t.Helper()
	id, err := client(t, n).Jobs().SubmitWithAttachments(t.Context(), shellJob(script), []api.Attachment{
		{Name: "note.txt", Content: strings.NewReader("pinned\n")},
	})
	if err != nil {
		t.Fatalf("submit through %s: %v", n.Name(), err)
	}
	return id
}

// jobsSeen lists every job a replica holds with its status and index.
func jobsSeen(n *Node) map[string]string {
	out := map[string]string{}
	jobs, _ := n.State().Jobs(fsm.JobFilter{}, 0, 0)
	for _, j := range jobs {
		out[j.ID] = fmt.Sprintf("%s@%d", j.Status, j.ModifyIndex)
	}
	return out
}

// TestDiskFullNodeStopsLeadingAndRecovers runs on the suite's log store:
// make test runs the node suite on wal and again on bolt.
func TestDiskFullNodeStopsLeadingAndRecovers(t *testing.T) {
	store := os.Getenv("GENIE_TEST_RAFT_LOG_STORE")
	if store == "" {
		store = DefaultLogStore
	}
	small := mountSmallFS(t, "160m")
	c := MakeCluster(t, 3, func(i int, cfg *Config) {
		cfg.RaftLogStore = store
		cfg.diskCheckInterval = 50 * time.Millisecond
		// The wal preallocates its segments: 1 MiB ones fill with a few
		// thousand entries, so the full disk refuses the next.
		cfg.walSegmentSize = 1 << 20
		if i == 0 {
			cfg.DataDir = filepath.Join(small, "data")
			cfg.JobsDir = ""
			cfg.MinFreeDisk = FreeSpace{Bytes: 16 << 20}
		}
	})
	full := c.Nodes[0]
	leader := c.WaitForLeader()
	register(t, client(t, leader))
	if leader != full {
		if err := leader.raft.LeadershipTransferToServer(raft.ServerID(full.ID()), full.raftTransport.LocalAddr()).Error(); err != nil {
			t.Fatalf("hand leadership to %s: %v", full.Name(), err)
		}
	}
	WaitFor(t, 30*time.Second, full.Name()+" to lead", func() bool { return c.WaitForLeader() == full })
	WaitFor(t, 10*time.Second, "the registry on "+full.Name(), func() bool { return full.State().Command("sh") != nil })

	// A job fills the node's file system and holds it full until its file
	// is taken away.
	filler := submitPinned(t, full, "cat /dev/zero > fill 2>/dev/null; echo filled; while [ -e fill ]; do sleep 0.05; done")
	WaitFor(t, 60*time.Second, "the disk to fill and the node to say so", func() bool {
		for _, w := range full.HealthWarnings() {
			if strings.Contains(w, "disk low") {
				return true
			}
		}
		return false
	})
	WaitFor(t, 30*time.Second, "leadership to leave the full node", func() bool {
		l := c.WaitForLeader()
		return l != full
	})
	t.Logf("full: %v", full.HealthWarnings())

	// The cluster keeps serving: submissions through the full node and
	// another are taken and run elsewhere.
	var during []string
	for i := 0; i < 10; i++ {
		during = append(during, submit(t, client(t, c.Nodes[i%3]), shellJob("echo while full")))
	}
	other := client(t, c.Nodes[1])
	for _, id := range during {
		waitStatus(t, other, id, api.JobStatusSucceeded, 60*time.Second)
		if j := c.Nodes[1].State().Job(id); j == nil || j.Node == full.ID() {
			t.Fatalf("job %s ran on the node that is out of disk", id)
		}
	}

	// Entries keep coming: bolt grows its file for them, the wal starts a
	// segment, and on the full disk neither can. The node says so, and
	// the others carry on.
	loadRecords(t, c.WaitForLeader(), 3000)
	WaitFor(t, 30*time.Second, "the node to report its log store failing", func() bool {
		for _, w := range full.HealthWarnings() {
			if strings.Contains(w, "raft log store cannot write") && strings.Contains(w, "no space left") {
				return true
			}
		}
		return false
	})

	// Space comes back: the job ends, the node takes jobs and catches up.
	jobDir := filepath.Join(full.config.JobsDir, filler)
	if err := os.Remove(filepath.Join(jobDir, "fill")); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, other, filler, api.JobStatusSucceeded, 60*time.Second)
	WaitFor(t, 30*time.Second, "the node to take jobs again", func() bool { return len(full.HealthWarnings()) == 0 })
	after := submitPinned(t, full, "cat note.txt")
	waitStatus(t, client(t, full), after, api.JobStatusSucceeded, 60*time.Second)
	checkSameState(t, c)

	// Nothing in its log store was left half-written: it opens again and
	// the node rejoins with the same state.
	cfg := *c.Config(0)
	cfg.Join = []string{c.Config(1).GossipAddr}
	cfg.Logger = TestLogger(t)
	full.Shutdown()
	back := StartNode(t, &cfg)
	c.Nodes[0] = back
	submit(t, client(t, c.Nodes[1]), shellJob("echo after restart"))
	checkSameState(t, c)
}

// checkSameState waits until every node has applied the leader's last
// index and then holds the same jobs.
func checkSameState(t *testing.T, c *TestCluster) {
	t.Helper()
	WaitFor(t, 30*time.Second, "every replica to hold the same jobs", func() bool {
		want := jobsSeen(c.WaitForLeader())
		for _, n := range c.Nodes {
			got := jobsSeen(n)
			if len(got) != len(want) {
				return false
			}
			for id, s := range want {
				if got[id] != s {
					return false
				}
			}
		}
		return true
	})
}
