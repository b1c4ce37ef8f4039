package node

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/genie-cluster/genie/api"
)

func TestANodeLowOnDiskTakesNoJobsUntilSpaceReturns(t *testing.T) {
	var free atomic.Uint64
	free.Store(100 << 30)
	n := MakeNode(t, func(cfg *Config) {
		cfg.MinFreeDisk = FreeSpace{Bytes: 1 << 30}
		cfg.diskCheckInterval = 20 * time.Millisecond
		cfg.statfs = func(string) (uint64, uint64, error) { return free.Load(), 200 << 30, nil }
	})
	c := client(t, n)
	register(t, c)
	waitStatus(t, c, submit(t, c, shellJob("true")), api.JobStatusSucceeded, 30*time.Second)

	free.Store(100 << 20)
	waitFor(t, 10*time.Second, "the node recorded low on disk", func() bool {
		node := n.State().Node(n.ID())
		return node != nil && strings.Contains(node.DiskLow, "disk low")
	})
	members, err := c.Agent().Members(context.Background())
	if err != nil || len(members) != 1 || !strings.Contains(members[0].DiskLow, "below -min-free-disk") {
		t.Fatalf("members: %+v, %v", members, err)
	}
	resp, err := http.Get(n.URL() + "/v1/health")
	if err != nil {
		t.Fatal(err)
	}
	var health struct {
		Status   string
		Warnings []string
	}
	json.NewDecoder(resp.Body).Decode(&health)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || len(health.Warnings) != 1 || !strings.Contains(health.Warnings[0], "disk low") {
		t.Fatalf("health: %d %+v", resp.StatusCode, health)
	}

	// A submission now waits in the queue rather than land on a full disk.
	id := submit(t, c, shellJob("echo after"))
	j, err := c.Jobs().Get(context.Background(), id)
	if err != nil || j.Status != api.JobStatusAccepted || !strings.Contains(j.StatusMsg, "queued") {
		t.Fatalf("job on a full node: %+v, %v", j, err)
	}

	free.Store(100 << 30)
	waitStatus(t, c, id, api.JobStatusSucceeded, 30*time.Second)
	if r := n.diskLowReason(); r != "" {
		t.Fatalf("still low: %s", r)
	}
}

// A job placed on a node before the cluster heard that its disk is low goes
// back to the queue through the leader, though that node never takes it up
// (here its runner is held, as a node whose raft log cannot write would
// never see the job), and runs on another node.
func TestTheLeaderSendsJobsOfANodeLowOnDiskBackToTheQueue(t *testing.T) {
	var free atomic.Uint64
	free.Store(100 << 30)
	c := MakeCluster(t, 3, func(i int, cfg *Config) {
		if i == 0 {
			cfg.MinFreeDisk = FreeSpace{Bytes: 1 << 30}
			cfg.diskCheckInterval = 20 * time.Millisecond
			cfg.statfs = func(string) (uint64, uint64, error) { return free.Load(), 200 << 30, nil }
		}
	})
	low := c.Nodes[0]
	leader := c.WaitForLeader()
	if leader == low {
		if err := leader.raft.LeadershipTransfer().Error(); err != nil {
			t.Fatal(err)
		}
		leader = c.WaitForLeader()
	}
	register(t, client(t, leader))
	waitFor(t, 10*time.Second, "the registry on "+low.Name(), func() bool { return low.State().Command("sh") != nil })
	low.holdRunner.Store(true)
	id := submitUntilOn(t, low, "echo moved")

	free.Store(100 << 20)
	lc := client(t, leader)
	waitStatus(t, lc, id, api.JobStatusSucceeded, 30*time.Second)
	if j := leader.State().Job(id); j.Node == low.ID() {
		t.Fatalf("job %s ran on the node low on disk", id)
	}
}
