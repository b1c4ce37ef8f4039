package node

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/genie-cluster/genie/api"
)

// With raft's commit timeout out of the way, only the leader's nudge tells
// idle followers that a write committed: each follower must apply the
// last write of a burst though nothing is written after it.
func TestIdleFollowersLearnOfTheLastWriteFromTheNudge(t *testing.T) {
	c := MakeCluster(t, 3, func(_ int, cfg *Config) { cfg.raftCommitTimeout = time.Hour })
	leader := c.WaitForLeader()
	c0 := client(t, leader)
	for round := 0; round < 5; round++ {
		if _, err := c0.Clusters().Create(context.Background(), &api.Cluster{ID: fmt.Sprintf("c%d", round), Name: "c", User: "ops",
			Version: "1", Status: "UP"}); err != nil {
			t.Fatal(err)
		}
		want, _ := leader.applied.current()
		for _, f := range c.Followers() {
			waitFor(t, 10*time.Second, f.config.NodeName+" to apply the last write", func() bool {
				got, _ := f.applied.current()
				return got >= want
			})
		}
	}
}
