package node

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/genie-cluster/genie/api"
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
		perNode[entry.State().Job(id).NodeName]++
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
