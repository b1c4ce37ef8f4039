package node

import (
	"context"
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
	_ = api.JobStatusAccepted
}
