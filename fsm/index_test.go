package fsm

import (
	"bytes"
	"io"
	"testing"

	"github.com/hashicorp/go-memdb"
	"github.com/hashicorp/raft"
)

func TestTableIndexesFollowTheEntriesThatChangeThem(t *testing.T) {
	tf := newTestFSM(t)
	state := tf.fsm.State()
	ws := memdb.NewWatchSet()
	if got := state.Index(ws, TableClusters); got != 0 {
		t.Fatalf("clusters index before any write: %d", got)
	}
	tf.mustApply(ClusterRequestType, &ClusterRequest{Op: OpCreate, Cluster: cluster("c1", "prod", ClusterUp)})
	created := tf.index
	if !closed(ws) {
		t.Fatal("the clusters watch did not fire on a create")
	}
	tf.mustApply(JobSubmitRequestType, submit("j1", JobAccepted))
	ws = memdb.NewWatchSet()
	if got := state.Index(ws, TableClusters); got != created {
		t.Fatalf("clusters index %d, want %d: a job moved it", got, created)
	}
	if got := state.Index(memdb.NewWatchSet(), TableJobs, TableClusters); got != tf.index {
		t.Fatalf("index of jobs and clusters %d, want %d", got, tf.index)
	}
	// A refused entry changes nothing, and moves nothing.
	tf.wantCode(ErrCodeExists, ClusterRequestType, &ClusterRequest{Op: OpCreate, Cluster: cluster("c1", "prod", ClusterUp)})
	if got := state.Index(memdb.NewWatchSet(), TableClusters); got != created || closed(ws) {
		t.Fatalf("clusters index %d after a refused create, want %d", got, created)
	}
	// A delete moves the index of a search.
	tf.mustApply(ClusterRequestType, &ClusterRequest{Op: OpCreate, Cluster: cluster("c2", "test", ClusterUp)})
	ws = memdb.NewWatchSet()
	state.Index(ws, TableClusters)
	tf.mustApply(ClusterRequestType, &ClusterRequest{Op: OpDelete, Cluster: Cluster{Resource: Resource{ID: "c2"}}})
	if got := state.Index(memdb.NewWatchSet(), TableClusters); got != tf.index || !closed(ws) {
		t.Fatalf("clusters index %d after a delete, want %d", got, tf.index)
	}
	if state.LatestIndex() != tf.index {
		t.Fatalf("latest index %d, want %d", state.LatestIndex(), tf.index)
	}

	// A job's own index is its modify index, watched alone.
	jobWatch := memdb.NewWatchSet()
	j1 := state.JobIndex(jobWatch, "j1")
	tf.mustApply(JobSubmitRequestType, submit("j2", JobAccepted))
	if closed(jobWatch) || state.JobIndex(memdb.NewWatchSet(), "j1") != j1 {
		t.Fatal("another job's submission moved j1's index")
	}
	tf.mustApply(JobTransitionRequestType, &JobTransitionRequest{ID: "j1", Node: "n1", From: []JobStatus{JobAccepted}, To: JobInit})
	if !closed(jobWatch) || state.JobIndex(memdb.NewWatchSet(), "j1") != tf.index {
		t.Fatal("j1's own change did not move its index")
	}

	// A raft configuration entry moves the peers' index.
	tf.index++
	tf.fsm.ApplyBatch([]*raft.Log{{Index: tf.index, Type: raft.LogConfiguration}})
	if got := state.Index(memdb.NewWatchSet(), TableRaftConfiguration); got != tf.index {
		t.Fatalf("raft configuration index %d, want %d", got, tf.index)
	}
}

func TestRestoreAbandonsTheOldStateAndKeepsIndexesAtOrAboveTheData(t *testing.T) {
	tf := newTestFSM(t)
	tf.mustApply(ClusterRequestType, &ClusterRequest{Op: OpCreate, Cluster: cluster("c1", "prod", ClusterUp)})
	tf.mustApply(JobSubmitRequestType, submit("j1", JobAccepted))
	buf := snapshotBytes(t, tf.fsm)

	other := newTestFSM(t)
	old := other.fsm.State()
	if err := other.fsm.Restore(io.NopCloser(bytes.NewReader(buf))); err != nil {
		t.Fatal(err)
	}
	select {
	case <-old.AbandonCh():
	default:
		t.Fatal("the replaced state was not abandoned")
	}
	restored := other.fsm.State()
	for _, table := range []Table{TableClusters, TableJobs, TableRaftConfiguration} {
		if got := restored.Index(memdb.NewWatchSet(), table); got < tf.index {
			t.Errorf("%s index %d after restore, below the data's %d", table, got, tf.index)
		}
	}
}

// closed reports whether any channel of ws has closed.
func closed(ws memdb.WatchSet) bool {
	for ch := range ws {
		select {
		case <-ch:
			return true
		default:
		}
	}
	return false
}
