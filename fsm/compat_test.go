package fsm

import (
	"bytes"
	"os"
	"testing"

	"github.com/hashicorp/go-msgpack/v2/codec"
	"github.com/hashicorp/raft"
)

// testdata/v1 holds a snapshot and the raft log that built it, written by
// the state machine of snapshot version 1 (commit eab9150: before ACLs,
// nodes, the queue and retirement). A node upgraded from that version
// restores the one and replays the other; both must give the state they
// gave then.

// loggedEntry is one raft log entry as the testdata keeps it.
type loggedEntry struct {
	Index uint64
	Data  []byte
}

func readV1Log(t *testing.T) []*raft.Log {
	t.Helper()
	b, err := os.ReadFile("testdata/v1/log.msgpack")
	if err != nil {
		t.Fatal(err)
	}
	var entries []loggedEntry
	if err := codec.NewDecoderBytes(b, msgpackHandle).Decode(&entries); err != nil {
		t.Fatal(err)
	}
	logs := make([]*raft.Log, len(entries))
	for i, e := range entries {
		logs[i] = &raft.Log{Index: e.Index, Type: raft.LogCommand, Data: e.Data}
	}
	return logs
}

func checkV1State(t *testing.T, s *State) {
	t.Helper()
	if s.Cluster("prod") == nil || s.Cluster("adhoc") == nil || s.Cluster("old") != nil {
		t.Fatal("clusters")
	}
	if c := s.Cluster("adhoc"); c.Status != ClusterOutOfService || !c.HasTags([]string{"sched:adhoc"}) {
		t.Fatalf("cluster adhoc %+v", c)
	}
	if a := s.Application("hadoop"); a == nil || string(a.Metadata) != `{"owner":"data"}` || a.Type != "hadoop" {
		t.Fatalf("application %+v", a)
	}
	if c := s.Command("hive"); c == nil || c.Memory != 2048 || len(c.Applications) != 1 || c.ClusterCriteria[0].Tags[0] != "type:yarn" {
		t.Fatalf("command %+v", c)
	}
	done := s.Job("done")
	if done == nil || done.Status != JobSucceeded || *done.ExitCode != 0 || done.ProcessID != 4242 || done.Started != 1200 ||
		done.Finished != 1300 || done.ArchiveStatus != ArchiveArchived || done.ArchiveLocation != "file:///archive/done" ||
		done.StdoutSize != 12 || string(done.Request.Metadata) != `{"run":7}` || done.Request.CommandArgs != "-f etl.sql" {
		t.Fatalf("job done %+v", done)
	}
	if j := s.Job("failed"); j == nil || j.Status != JobFailed || *j.ExitCode != 3 {
		t.Fatalf("job failed %+v", j)
	}
	if j := s.Job("moved"); j == nil || j.Status != JobAccepted || j.Node != "node-b" || j.NodeName != "genie-b" {
		t.Fatalf("job moved %+v", j)
	}
	if j := s.Job("invalid"); j == nil || j.Status != JobInvalid {
		t.Fatalf("job invalid %+v", j)
	}
	if jobs, mem := s.NodeUsage("node-a"); jobs != 1 || mem != 2048 {
		t.Fatalf("node-a holds %d jobs, %d MB: the running job only", jobs, mem)
	}
	if _, total := s.Jobs(JobFilter{}, 0, 10); total != 5 {
		t.Fatalf("%d jobs", total)
	}
	if running, _ := s.Jobs(JobFilter{Statuses: []JobStatus{JobRunning}}, 0, 10); len(running) != 1 || running[0].ID != "running" {
		t.Fatalf("running jobs %v", running)
	}
}

func TestVersion1SnapshotRestoresAndItsLogReplays(t *testing.T) {
	snap, err := os.ReadFile("testdata/v1/state.snapshot")
	if err != nil {
		t.Fatal(err)
	}
	restored := restoreFrom(t, snap)
	checkV1State(t, restored.State())

	replayed, _ := New(&Config{})
	for _, res := range replayed.ApplyBatch(readV1Log(t)) {
		if err, ok := res.(error); ok {
			t.Fatalf("replaying the version 1 log: %v", err)
		}
	}
	checkV1State(t, replayed.State())
	// Restored or replayed, the state is the same to the byte.
	if a, b := snapshotBytes(t, restored), snapshotBytes(t, replayed); !bytes.Equal(a, b) {
		t.Fatal("the restored and the replayed state differ")
	}

	// The upgraded state goes on: the version 1 delete's tombstone answers
	// its retry, and its finished jobs retire.
	tf := &testFSM{t: t, fsm: restored, index: uint64(len(readV1Log(t)))}
	tf.mustApply(ClusterRequestType, &ClusterRequest{Op: OpDelete, Cluster: Cluster{Resource: Resource{ID: "old", WriteToken: "delete-old"}}})
	if res := tf.mustApply(JobRetireRequestType, &JobRetireRequest{IDs: []string{"done", "failed", "running"}, Holders: []string{"node-a", "", ""}}); res.Assigned != 2 {
		t.Fatalf("retired %d of the version 1 jobs", res.Assigned)
	}
	if h, ok := restored.State().RetiredHolder("done"); !ok || h != "node-a" {
		t.Fatalf("done: %q %v", h, ok)
	}
}
