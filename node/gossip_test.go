package node

import (
	"net"
	"testing"
	"time"
)

// TestGossipOfAnotherClusterIsDropped checks that two clusters of other
// names never merge, even when one's node joins the other's address, as a
// node does when it retries a dead member's address that another cluster's
// node has taken.
func TestGossipOfAnotherClusterIsDropped(t *testing.T) {
	a := MakeNode(t, nil)
	b := MakeNode(t, func(cfg *Config) {
		cfg.NodeName = "other-node"
		cfg.ClusterName = TestClusterName(t) + "-other"
	})
	if _, err := b.gossip.Join([]string{a.config.GossipAddr}); err == nil {
		t.Fatal("a node of another cluster name joined")
	}
	// Nor does either learn of the other in the time a join would take.
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) {
		if len(a.gossip.Members()) != 1 || len(b.gossip.Members()) != 1 {
			t.Fatalf("members: %d and %d, want 1 each", len(a.gossip.Members()), len(b.gossip.Members()))
		}
		if _, known := a.members.get(b.ID()); known {
			t.Fatal("the other cluster's node is in the member table")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestLeaderFoundThroughTheNodesTableBeforeGossip checks that a node whose
// gossip has not yet heard of the leader (one that joined while others
// left) still finds it, from the leader's row in the replicated state, and
// writes through it.
func TestLeaderFoundThroughTheNodesTableBeforeGossip(t *testing.T) {
	c := MakeCluster(t, 3, nil)
	leader := c.WaitForLeader()
	follower := c.Followers()[0]
	WaitFor(t, 30*time.Second, "the leader's row on the follower", func() bool { return follower.State().Node(leader.ID()) != nil })
	for {
		follower.members.forget(leader.ID())
		addr := follower.leaderAPI()
		if _, known := follower.members.get(leader.ID()); known {
			continue // gossip told it again meanwhile: try once more
		}
		if addr != leader.HTTPAddr() {
			t.Fatalf("leader API %q with the leader unknown to gossip, want %q", addr, leader.HTTPAddr())
		}
		break
	}
	register(t, client(t, follower))
}

// A test node whose chosen gossip port was taken before it bound it (by any
// process's outgoing connection) starts on another rather than failing the
// test.
func TestTestNodeTakesAnotherGossipPortWhenItsChoiceWasTaken(t *testing.T) {
	cfg := TestConfig(t, t.TempDir())
	chosen := cfg.GossipAddr
	taken, err := net.Listen("tcp", chosen)
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	n, err := newOnFreePort(t, cfg, chosen)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Shutdown() })
	if cfg.GossipAddr == chosen {
		t.Fatalf("the node kept the taken port %s", chosen)
	}
	select {
	case <-n.Ready():
	case <-time.After(30 * time.Second):
		t.Fatal("node not ready after 30s")
	}
}
