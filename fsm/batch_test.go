package fsm

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/hashicorp/raft"
)

// usageRows is every usage row of f, by key.
func usageRows(t *testing.T, f *FSM) map[string]Usage {
	t.Helper()
	it, err := f.State().db.Txn(false).Get(tableUsage, indexID)
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]Usage{}
	for raw := it.Next(); raw != nil; raw = it.Next() {
		u := raw.(*Usage)
		rows[u.Node] = *u
	}
	return rows
}

// randomEntries is a stream of job and node changes over a few small
// nodes, users and job ids: placements on full nodes, queueing, moves,
// kills, ends, limits, repeats and refusals.
func randomEntries(t *testing.T, rng *rand.Rand, n int) [][]byte {
	t.Helper()
	nodes := []string{"n1", "n2", "n3"}
	users := []string{"alice", "bob", "carol"}
	var entries [][]byte
	add := func(mt MessageType, msg interface{}) {
		buf, err := Encode(mt, msg)
		if err != nil {
			t.Fatal(err)
		}
		entries = append(entries, buf)
	}
	for _, id := range nodes {
		add(NodeUpsertRequestType, node(id, 1+rng.IntN(3)))
	}
	statuses := []JobStatus{JobAccepted, JobInit, JobRunning, JobSucceeded, JobKilled}
	jobID := func() string { return fmt.Sprintf("j%d", rng.IntN(n/3+1)) }
	for len(entries) < n {
		switch rng.IntN(9) {
		case 0, 1, 2:
			req := placeReq(jobID(), users[rng.IntN(len(users))], nodes[rng.IntN(len(nodes))], 100*rng.IntN(6))
			req.MaxQueued = 20
			if rng.IntN(4) == 0 {
				// The id again with another request, if it is taken.
				req.Job.RequestHash = "other"
			}
			add(JobSubmitRequestType, req)
		case 3, 4:
			from := statuses[rng.IntN(3)]
			add(JobTransitionRequestType, &JobTransitionRequest{ID: jobID(), From: []JobStatus{from}, To: statuses[1+rng.IntN(4)]})
		case 5:
			add(JobReassignRequestType, &JobReassignRequest{ID: jobID(), FromNode: nodes[rng.IntN(len(nodes))], ToNode: []string{"", "n2", "n3"}[rng.IntN(3)]})
		case 6:
			add(JobAssignRequestType, &JobAssignRequest{Assignments: []Assignment{{ID: jobID(), Node: nodes[rng.IntN(len(nodes))]}, {ID: jobID(), Node: nodes[rng.IntN(len(nodes))]}}})
		case 7:
			nd := node(nodes[rng.IntN(len(nodes))], rng.IntN(4))
			nd.Node.Draining = rng.IntN(4) == 0
			add(NodeUpsertRequestType, nd)
		case 8:
			add(LimitsRequestType, &LimitsRequest{UserActive: rng.IntN(5)})
		}
	}
	return entries
}

// Replicas apply the log in batches of whatever size raft hands them: the
// state, and every answer, must not depend on where the batches break.
func TestBatchesApplyLikeSingleEntries(t *testing.T) {
	seen := map[string]int{}
	for seed := uint64(1); seed <= 30; seed++ {
		rng := rand.New(rand.NewPCG(seed, seed))
		entries := randomEntries(t, rng, 400)
		one, _ := New(&Config{})
		batched, _ := New(&Config{})
		var singles, batches []interface{}
		for i, e := range entries {
			res := one.Apply(&raft.Log{Index: uint64(i + 1), Type: raft.LogCommand, Data: e})
			singles = append(singles, res)
			switch r := res.(type) {
			case error:
				seen[CodeOf(r).String()]++
			case *ApplyResult:
				switch {
				case r.Job == nil:
				case r.Job.Queued():
					seen["queued"]++
				case r.Job.Status == JobAccepted:
					seen["placed"]++
				case r.Job.Status.Terminal():
					seen["ended"]++
				}
			}
		}
		for i := 0; i < len(entries); {
			size := 1 + rng.IntN(40)
			var logs []*raft.Log
			for ; size > 0 && i < len(entries); size, i = size-1, i+1 {
				logs = append(logs, &raft.Log{Index: uint64(i + 1), Type: raft.LogCommand, Data: entries[i]})
			}
			batches = append(batches, batched.ApplyBatch(logs)...)
		}
		if !reflect.DeepEqual(singles, batches) {
			for i := range singles {
				if !reflect.DeepEqual(singles[i], batches[i]) {
					t.Fatalf("seed %d, entry %d: alone %#v, in a batch %#v", seed, i, singles[i], batches[i])
				}
			}
		}
		snap := snapshotBytes(t, one)
		if !bytes.Equal(snap, snapshotBytes(t, batched)) {
			t.Fatalf("seed %d: the states differ", seed)
		}
		rows := usageRows(t, one)
		if got := usageRows(t, batched); !reflect.DeepEqual(rows, got) {
			t.Fatalf("seed %d: usage alone %v, in batches %v", seed, rows, got)
		}
		// What the rows say is what the jobs hold: a restore recounts them.
		if got := usageRows(t, restoreFrom(t, snap)); !reflect.DeepEqual(rows, got) {
			t.Fatalf("seed %d: usage kept %v, recounted %v", seed, rows, got)
		}
	}
	// The stream must have gone everywhere it is meant to.
	for _, what := range []string{"queued", "placed", "ended", ErrCodeStatus.String(), ErrCodeLimit.String(), ErrCodeQueueFull.String(), ErrCodeConflict.String()} {
		if seen[what] == 0 {
			t.Errorf("no %s in any stream: %v", what, seen)
		}
	}
}
