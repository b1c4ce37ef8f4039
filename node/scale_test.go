package node

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/hashicorp/raft"

	"github.com/genie-cluster/genie/api"
	"github.com/genie-cluster/genie/fsm"
)

// loadRecords commits n finished job records through the leader's raft,
// many entries in flight at once so raft batches them, and returns their
// ids in submission order.
func loadRecords(t testing.TB, leader *Node, n int) []string {
	t.Helper()
	ids := make([]string, n)
	const window = 4096
	futures := make([]raft.ApplyFuture, 0, window)
	flush := func() {
		for _, f := range futures {
			if err := f.Error(); err != nil {
				t.Fatalf("load records: %v", err)
			}
			if err, ok := f.Response().(error); ok {
				t.Fatalf("load records: %v", err)
			}
		}
		futures = futures[:0]
	}
	now := time.Now().UnixMilli()
	for i := range ids {
		ids[i] = fmt.Sprintf("loaded-%07d", i)
		j := fsm.Job{ID: ids[i], RequestHash: fmt.Sprintf("%064x", i), Status: fsm.JobInvalid,
			StatusMsg: "No cluster matches the job's criteria.", Created: now, Updated: now,
			Request: fsm.JobRequest{ID: ids[i], Name: "etl-daily", User: fmt.Sprintf("user%d", i%50), Version: "1",
				Tags: []string{"team:data", "sla:daily"}, CommandArgs: "-f s3://bucket/etl.sql",
				ClusterCriterias: [][]string{{"sched:sla"}}, CommandCriteria: []string{"type:hive"}},
			ClientHost: "10.0.12.34", UserAgent: "genie-python/4.3.0"}
		buf, err := fsm.Encode(fsm.JobSubmitRequestType, &fsm.JobSubmitRequest{Job: j})
		if err != nil {
			t.Fatal(err)
		}
		futures = append(futures, leader.raft.Apply(buf, time.Minute))
		if len(futures) == window {
			flush()
		}
	}
	flush()
	return ids
}

func TestFourthNodeJoinsFromASnapshotOf100kRecords(t *testing.T) {
	const records = 100_000
	c := MakeCluster(t, 3, nil)
	leader := c.WaitForLeader()
	start := time.Now()
	ids := loadRecords(t, leader, records)
	t.Logf("loaded %d records in %s", records, time.Since(start).Round(time.Millisecond))
	// The log behind the snapshot is compacted, so a new node can only
	// start from the snapshot.
	start = time.Now()
	if err := leader.raft.Snapshot().Error(); err != nil {
		t.Fatal(err)
	}
	t.Logf("snapshot of %d records written in %s", records, time.Since(start).Round(time.Millisecond))

	start = time.Now()
	joined := c.AddNode(nil)
	WaitFor(t, 60*time.Second, "the new node to hold every record", func() bool {
		_, total := joined.State().Jobs(fsm.JobFilter{}, 0, 1)
		return total == records
	})
	t.Logf("a fourth node joined and holds %d records %s after it started", records, time.Since(start).Round(time.Millisecond))
	if joined.raft.Stats()["last_snapshot_index"] == "0" {
		t.Fatal("the new node did not start from a snapshot")
	}

	// It serves them: searches count them all, and any one is there.
	cl := client(t, joined)
	ctx := context.Background()
	_, page, err := cl.Jobs().List(ctx, &api.JobQuery{Size: 25})
	if err != nil || page.TotalElements != records {
		t.Fatalf("search on the new node: %+v %v", page, err)
	}
	mine, _, err := cl.Jobs().List(ctx, &api.JobQuery{User: "user7", Size: 25})
	if err != nil || len(mine) != 25 {
		t.Fatalf("search by user on the new node: %d %v", len(mine), err)
	}
	for _, i := range []int{0, 1, records / 2, records - 1} {
		j, err := cl.Jobs().Get(ctx, ids[i])
		if err != nil || j.Status != api.JobStatusInvalid || j.User != fmt.Sprintf("user%d", i%50) {
			t.Fatalf("record %s on the new node: %+v %v", ids[i], j, err)
		}
	}
}
