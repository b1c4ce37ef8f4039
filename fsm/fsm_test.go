package fsm

import (
	"bytes"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/hashicorp/raft"
)

// testFSM applies entries at increasing indexes, like a raft log would.
type testFSM struct {
	t     *testing.T
	fsm   *FSM
	index uint64
}

func newTestFSM(t *testing.T) *testFSM {
	t.Helper()
	f, err := New(&Config{})
	if err != nil {
		t.Fatal(err)
	}
	return &testFSM{t: t, fsm: f}
}

func (tf *testFSM) apply(msgType MessageType, msg interface{}) interface{} {
	tf.t.Helper()
	buf, err := Encode(msgType, msg)
	if err != nil {
		tf.t.Fatal(err)
	}
	tf.index++
	return tf.fsm.Apply(&raft.Log{Index: tf.index, Type: raft.LogCommand, Data: buf})
}

func (tf *testFSM) mustApply(msgType MessageType, msg interface{}) *ApplyResult {
	tf.t.Helper()
	res := tf.apply(msgType, msg)
	if err, ok := res.(error); ok {
		tf.t.Fatalf("apply %s: %v", msgType, err)
	}
	return res.(*ApplyResult)
}

func (tf *testFSM) wantCode(code ErrorCode, msgType MessageType, msg interface{}) {
	tf.t.Helper()
	res := tf.apply(msgType, msg)
	err, ok := res.(error)
	if !ok {
		tf.t.Fatalf("apply %s: want error %s, got %#v", msgType, code, res)
	}
	if CodeOf(err) != code {
		tf.t.Fatalf("apply %s: want %s, got %v", msgType, code, err)
	}
}

func cluster(id, name string, status ClusterStatus, tags ...string) Cluster {
	return Cluster{Resource: Resource{ID: id, Name: name, User: "ops", Version: "1", Tags: tags, Created: 1, Updated: 1}, Status: status}
}

func command(id, name string, tags []string, criteria ...Criterion) Command {
	return Command{Resource: Resource{ID: id, Name: name, User: "ops", Version: "1", Tags: tags, Created: 1, Updated: 1},
		Status: StatusActive, Executable: []string{"/bin/sh", "-c"}, ClusterCriteria: criteria}
}

func TestRegistryCreateUpdateDelete(t *testing.T) {
	tf := newTestFSM(t)
	c := cluster("c1", "prod", ClusterUp, "sched:sla")
	tf.mustApply(ClusterRequestType, &ClusterRequest{Op: OpCreate, Cluster: c})
	tf.wantCode(ErrCodeExists, ClusterRequestType, &ClusterRequest{Op: OpCreate, Cluster: c})

	got := tf.fsm.State().Cluster("c1")
	if got == nil || got.Name != "prod" || got.ModifyIndex != 1 {
		t.Fatalf("cluster after create: %+v", got)
	}

	// A stale expected index is refused, a fresh one accepted.
	c.Status = ClusterOutOfService
	tf.wantCode(ErrCodeModified, ClusterRequestType, &ClusterRequest{Op: OpUpdate, Cluster: c, ExpectIndex: 99})
	tf.mustApply(ClusterRequestType, &ClusterRequest{Op: OpUpdate, Cluster: c, ExpectIndex: got.ModifyIndex})
	if s := tf.fsm.State().Cluster("c1").Status; s != ClusterOutOfService {
		t.Fatalf("status %s", s)
	}

	// TERMINATED is final.
	c.Status = ClusterTerminated
	tf.mustApply(ClusterRequestType, &ClusterRequest{Op: OpUpdate, Cluster: c})
	c.Status = ClusterUp
	tf.wantCode(ErrCodeInvalid, ClusterRequestType, &ClusterRequest{Op: OpUpdate, Cluster: c})

	tf.mustApply(ClusterRequestType, &ClusterRequest{Op: OpDelete, Cluster: Cluster{Resource: Resource{ID: "c1"}}})
	tf.wantCode(ErrCodeNotFound, ClusterRequestType, &ClusterRequest{Op: OpDelete, Cluster: Cluster{Resource: Resource{ID: "c1"}}})
}

func TestApplicationInUseCannotBeDeleted(t *testing.T) {
	tf := newTestFSM(t)
	app := Application{Resource: Resource{ID: "spark", Name: "spark"}, Status: StatusActive}
	tf.mustApply(ApplicationRequestType, &ApplicationRequest{Op: OpCreate, Application: app})
	cmd := command("cmd", "spark-submit", nil)
	cmd.Applications = []string{"spark"}
	tf.mustApply(CommandRequestType, &CommandRequest{Op: OpCreate, Command: cmd})
	tf.wantCode(ErrCodeInUse, ApplicationRequestType, &ApplicationRequest{Op: OpDelete, Application: app})

	missing := command("cmd2", "x", nil)
	missing.Applications = []string{"nope"}
	tf.wantCode(ErrCodeNotFound, CommandRequestType, &CommandRequest{Op: OpCreate, Command: missing})
}

func submit(id string, status JobStatus) *JobSubmitRequest {
	return &JobSubmitRequest{Job: Job{ID: id, RequestHash: "h-" + id, Status: status, Node: "n1", ClusterID: "c1", CommandID: "cmd",
		Request: JobRequest{Name: "j", User: "alice", Tags: []string{"t1"}}, Created: 10}}
}

func TestJobTransitionsAreCompareAndSet(t *testing.T) {
	tf := newTestFSM(t)
	tf.mustApply(JobSubmitRequestType, submit("j1", JobAccepted))

	tf.wantCode(ErrCodeStatus, JobTransitionRequestType, &JobTransitionRequest{ID: "j1", From: []JobStatus{JobInit}, To: JobRunning})
	tf.mustApply(JobTransitionRequestType, &JobTransitionRequest{ID: "j1", From: []JobStatus{JobAccepted}, To: JobInit, Time: 20})
	tf.mustApply(JobTransitionRequestType, &JobTransitionRequest{ID: "j1", From: []JobStatus{JobInit}, To: JobRunning, ProcessID: 42, Time: 30})
	code := 0
	tf.mustApply(JobTransitionRequestType, &JobTransitionRequest{ID: "j1", From: []JobStatus{JobRunning}, To: JobSucceeded, ExitCode: &code, Time: 40})

	j := tf.fsm.State().Job("j1")
	if j.Status != JobSucceeded || j.ProcessID != 42 || j.Started != 30 || j.Finished != 40 || j.ExitCode == nil || *j.ExitCode != 0 {
		t.Fatalf("job %+v", j)
	}
	// A terminal status never changes, whatever From says.
	tf.wantCode(ErrCodeStatus, JobTransitionRequestType, &JobTransitionRequest{ID: "j1", From: []JobStatus{JobSucceeded}, To: JobFailed})
	tf.wantCode(ErrCodeNotFound, JobTransitionRequestType, &JobTransitionRequest{ID: "nope", From: []JobStatus{JobAccepted}, To: JobInit})

	// Archive updates only finished jobs, and never hides an archive.
	tf.mustApply(JobArchiveRequestType, &JobArchiveRequest{ID: "j1", ArchiveStatus: ArchiveArchived, ArchiveLocation: "file:///a/j1"})
	tf.wantCode(ErrCodeStatus, JobArchiveRequestType, &JobArchiveRequest{ID: "j1", ArchiveStatus: ArchiveFailed})
}

// A job that ended before its RUNNING was recorded gets its start from its
// end; a start already recorded stays.
func TestEndCarriesTheStartOfAJobNeverRecordedRunning(t *testing.T) {
	tf := newTestFSM(t)
	code := 0
	for _, id := range []string{"quick", "slow"} {
		tf.mustApply(JobSubmitRequestType, submit(id, JobAccepted))
		tf.mustApply(JobTransitionRequestType, &JobTransitionRequest{ID: id, From: []JobStatus{JobAccepted}, To: JobInit, Time: 20})
	}
	tf.mustApply(JobTransitionRequestType, &JobTransitionRequest{ID: "slow", From: []JobStatus{JobInit}, To: JobRunning, ProcessID: 7, Time: 30})
	for _, id := range []string{"quick", "slow"} {
		tf.mustApply(JobTransitionRequestType, &JobTransitionRequest{ID: id, From: []JobStatus{JobInit, JobRunning}, To: JobSucceeded,
			ExitCode: &code, Time: 40, ProcessID: 42, Started: 35})
	}
	if j := tf.fsm.State().Job("quick"); j.Status != JobSucceeded || j.Started != 35 || j.ProcessID != 42 || j.Finished != 40 {
		t.Fatalf("quick job %+v", j)
	}
	if j := tf.fsm.State().Job("slow"); j.Started != 30 {
		t.Fatalf("slow job started %d, want the recorded 30", j.Started)
	}
}

func TestJobSubmitIsIdempotentPerRequest(t *testing.T) {
	tf := newTestFSM(t)
	first := tf.mustApply(JobSubmitRequestType, submit("j1", JobAccepted))
	again := tf.mustApply(JobSubmitRequestType, submit("j1", JobAccepted))
	if !again.Existing || again.Job.CreateIndex != first.Job.CreateIndex {
		t.Fatalf("resubmission: %+v", again)
	}
	other := submit("j1", JobAccepted)
	other.Job.RequestHash = "different"
	tf.wantCode(ErrCodeConflict, JobSubmitRequestType, other)
	tf.wantCode(ErrCodeInvalid, JobSubmitRequestType, submit("j2", JobRunning))
}

func TestUnknownEntryTypePanics(t *testing.T) {
	tf := newTestFSM(t)
	defer func() {
		if recover() == nil {
			t.Fatal("unknown entry type did not panic")
		}
	}()
	tf.fsm.Apply(&raft.Log{Index: 1, Type: raft.LogCommand, Data: []byte{200, 0x80}})
}

func TestJobSearchNewestFirstAndPaged(t *testing.T) {
	tf := newTestFSM(t)
	for i := 0; i < 25; i++ {
		req := submit(string(rune('a'+i)), JobAccepted)
		if i%2 == 0 {
			req.Job.Request.User = "bob"
		}
		tf.mustApply(JobSubmitRequestType, req)
	}
	page, total := tf.fsm.State().Jobs(JobFilter{}, 0, 10)
	if total != 25 || len(page) != 10 || page[0].ID != "y" || page[9].ID != "p" {
		t.Fatalf("total %d, page %v..%v", total, page[0].ID, page[len(page)-1].ID)
	}
	page, total = tf.fsm.State().Jobs(JobFilter{User: "bob"}, 10, 10)
	if total != 13 || len(page) != 3 || page[0].ID != "e" {
		t.Fatalf("bob: total %d, len %d", total, len(page))
	}
	page, total = tf.fsm.State().Jobs(JobFilter{Name: "j%", Tags: []string{"t1"}, Statuses: []JobStatus{JobAccepted}}, 0, 100)
	if total != 25 || len(page) != 25 {
		t.Fatalf("pattern: total %d", total)
	}
	if _, total = tf.fsm.State().Jobs(JobFilter{Statuses: []JobStatus{JobRunning}}, 0, 10); total != 0 {
		t.Fatalf("running: %d", total)
	}
	if n := len(tf.fsm.State().ActiveJobsOnNode("n1")); n != 25 {
		t.Fatalf("on node: %d", n)
	}
}

func TestSnapshotRestoreRoundTrip(t *testing.T) {
	tf := newTestFSM(t)
	tf.mustApply(ClusterRequestType, &ClusterRequest{Op: OpCreate, Cluster: cluster("c1", "prod", ClusterUp, "a", "b")})
	tf.mustApply(ApplicationRequestType, &ApplicationRequest{Op: OpCreate, Application: Application{Resource: Resource{ID: "app", Name: "app", Metadata: []byte(`{"k":1}`)}, Status: StatusActive, Type: "spark"}})
	cmd := command("cmd", "sh", []string{"type:shell"}, Criterion{Tags: []string{"a"}}, Criterion{Name: "prod"})
	cmd.Applications = []string{"app"}
	tf.mustApply(CommandRequestType, &CommandRequest{Op: OpCreate, Command: cmd})
	tf.mustApply(JobSubmitRequestType, submit("j1", JobAccepted))
	code := 3
	tf.mustApply(JobSubmitRequestType, submit("j2", JobAccepted))
	tf.mustApply(JobTransitionRequestType, &JobTransitionRequest{ID: "j2", From: []JobStatus{JobAccepted}, To: JobFailed, ExitCode: &code, StatusMsg: "boom", Time: 50})

	buf := snapshotBytes(t, tf.fsm)
	restored := restoreFrom(t, buf)
	a, b := tf.fsm.State(), restored.State()
	if !reflect.DeepEqual(a.Cluster("c1"), b.Cluster("c1")) {
		t.Fatalf("cluster:\n%+v\n%+v", a.Cluster("c1"), b.Cluster("c1"))
	}
	if !reflect.DeepEqual(a.Command("cmd"), b.Command("cmd")) {
		t.Fatalf("command:\n%+v\n%+v", a.Command("cmd"), b.Command("cmd"))
	}
	if !reflect.DeepEqual(a.Application("app"), b.Application("app")) {
		t.Fatalf("application:\n%+v\n%+v", a.Application("app"), b.Application("app"))
	}
	for _, id := range []string{"j1", "j2"} {
		if !reflect.DeepEqual(a.Job(id), b.Job(id)) {
			t.Fatalf("job %s:\n%+v\n%+v", id, a.Job(id), b.Job(id))
		}
	}
	// Indexes are rebuilt too.
	if got := b.ActiveJobsOnNode("n1"); len(got) != 1 || got[0].ID != "j1" {
		t.Fatalf("restored node index: %v", got)
	}

	// A truncated snapshot is refused, not half-restored.
	trunc := buf[:len(buf)-1]
	if err := restored.Restore(io.NopCloser(bytes.NewReader(trunc))); err == nil {
		t.Fatal("truncated snapshot restored")
	}
	if restored.State().Job("j2") == nil {
		t.Fatal("failed restore replaced the state")
	}
}

type memSink struct {
	buf bytes.Buffer
}

func (m *memSink) Write(p []byte) (int, error) { return m.buf.Write(p) }
func (m *memSink) Close() error                { return nil }
func (m *memSink) ID() string                  { return "mem" }
func (m *memSink) Cancel() error               { return nil }

func TestLike(t *testing.T) {
	cases := []struct {
		s, p string
		want bool
	}{
		{"hello", "hello", true},
		{"hello", "hell", false},
		{"hello", "h%", true},
		{"hello", "%llo", true},
		{"hello", "%l%", true},
		{"hello", "h%x%", false},
		{"ab", "ab%b", false},
		{"abb", "ab%b", true},
		{"", "%", true},
	}
	for _, c := range cases {
		if got := Like(c.s, c.p); got != c.want {
			t.Errorf("Like(%q, %q) = %v", c.s, c.p, got)
		}
	}
}

func TestOnJobChangeReportsPreviousStatus(t *testing.T) {
	type change struct{ status, prev JobStatus }
	var got []change
	f, _ := New(&Config{OnJobChange: func(j, prev *Job) {
		c := change{status: j.Status}
		if prev != nil {
			c.prev = prev.Status
		}
		got = append(got, c)
	}})
	tf := &testFSM{t: t, fsm: f}
	tf.mustApply(JobSubmitRequestType, submit("j1", JobAccepted))
	tf.mustApply(JobTransitionRequestType, &JobTransitionRequest{ID: "j1", From: []JobStatus{JobAccepted}, To: JobKilled})
	tf.mustApply(JobArchiveRequestType, &JobArchiveRequest{ID: "j1", ArchiveStatus: ArchiveNoFiles})
	tf.wantCode(ErrCodeStatus, JobTransitionRequestType, &JobTransitionRequest{ID: "j1", From: []JobStatus{JobKilled}, To: JobFailed})
	want := []change{{JobAccepted, ""}, {JobKilled, JobAccepted}, {JobKilled, JobKilled}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("changes %v, want %v", got, want)
	}
}

func TestSearchAndCountFinishedJobs(t *testing.T) {
	tf := newTestFSM(t)
	for _, id := range []string{"a", "b", "c"} {
		tf.mustApply(JobSubmitRequestType, submit(id, JobAccepted))
	}
	tf.mustApply(JobTransitionRequestType, &JobTransitionRequest{ID: "b", From: []JobStatus{JobAccepted}, To: JobSucceeded})
	state := tf.fsm.State()
	page, total := state.Jobs(JobFilter{Statuses: []JobStatus{JobSucceeded}}, 0, 10)
	if total != 1 || page[0].ID != "b" {
		t.Fatalf("finished search: %d", total)
	}
	page, total = state.Jobs(JobFilter{Statuses: []JobStatus{JobSucceeded, JobAccepted}}, 0, 10)
	if total != 3 || page[0].ID != "c" {
		t.Fatalf("mixed search: %d", total)
	}
	counts := state.JobCounts()
	if counts[JobAccepted] != 2 || counts[JobSucceeded] != 1 || counts[JobFailed] != 0 {
		t.Fatalf("counts %v", counts)
	}
	if got := state.ActiveJobsOnNode("n1"); len(got) != 2 {
		t.Fatalf("active on node: %d", len(got))
	}
}

// TestRetriedTransitionSucceeds replays a committed transition whose answer
// was lost: with the same token it succeeds, without one it is a failed
// compare-and-set as before.
func TestRetriedTransitionSucceeds(t *testing.T) {
	tf := newTestFSM(t)
	tf.mustApply(JobSubmitRequestType, submit("j1", JobAccepted))
	claim := &JobTransitionRequest{ID: "j1", From: []JobStatus{JobAccepted}, To: JobInit, Token: "n1/j1/INIT"}
	tf.mustApply(JobTransitionRequestType, claim)
	if res := tf.mustApply(JobTransitionRequestType, claim); !res.Existing || res.Job.Status != JobInit {
		t.Fatalf("replayed claim: %+v", res)
	}
	other := *claim
	other.Token = "n2/j1/INIT"
	tf.wantCode(ErrCodeStatus, JobTransitionRequestType, &other)
	tf.mustApply(JobTransitionRequestType, &JobTransitionRequest{ID: "j1", From: []JobStatus{JobInit}, To: JobRunning, Token: "n1/j1/RUNNING"})
	// The old claim's token no longer matches the job's last transition.
	tf.wantCode(ErrCodeStatus, JobTransitionRequestType, claim)
}

// TestRetriedRegistryWriteSucceeds replays a committed create and update
// whose answers were lost.
func TestRetriedRegistryWriteSucceeds(t *testing.T) {
	tf := newTestFSM(t)
	c := cluster("c1", "prod", ClusterUp)
	c.WriteToken = "w1"
	tf.mustApply(ClusterRequestType, &ClusterRequest{Op: OpCreate, Cluster: c})
	if res := tf.mustApply(ClusterRequestType, &ClusterRequest{Op: OpCreate, Cluster: c}); !res.Existing {
		t.Fatal("replayed create not recognised")
	}
	other := c
	other.WriteToken = "w2"
	tf.wantCode(ErrCodeExists, ClusterRequestType, &ClusterRequest{Op: OpCreate, Cluster: other})

	up := c
	up.Status, up.WriteToken = ClusterOutOfService, "w3"
	tf.mustApply(ClusterRequestType, &ClusterRequest{Op: OpUpdate, Cluster: up, ExpectIndex: 1})
	// The retry's expected index is stale now, but it is the same write.
	if res := tf.mustApply(ClusterRequestType, &ClusterRequest{Op: OpUpdate, Cluster: up, ExpectIndex: 1}); !res.Existing {
		t.Fatal("replayed update not recognised")
	}
}

func TestTransitionNamingANodeActsOnlyOnThatNodesJob(t *testing.T) {
	tf := newTestFSM(t)
	tf.mustApply(JobSubmitRequestType, submit("j1", JobAccepted))
	tf.wantCode(ErrCodeStatus, JobTransitionRequestType, &JobTransitionRequest{ID: "j1", From: []JobStatus{JobAccepted}, To: JobInit, Node: "n2"})
	tf.mustApply(JobTransitionRequestType, &JobTransitionRequest{ID: "j1", From: []JobStatus{JobAccepted}, To: JobInit, Node: "n1"})
}

func TestReassignMovesOnlyAnAcceptedJobOfTheLostNode(t *testing.T) {
	tf := newTestFSM(t)
	tf.mustApply(JobSubmitRequestType, submit("j1", JobAccepted))
	tf.mustApply(JobSubmitRequestType, submit("j2", JobAccepted))
	tf.mustApply(JobTransitionRequestType, &JobTransitionRequest{ID: "j2", From: []JobStatus{JobAccepted}, To: JobInit})

	move := &JobReassignRequest{ID: "j1", FromNode: "n1", ToNode: "n2", ToNodeName: "two", StatusMsg: ReassignedMsg("two"), Time: 50}
	res := tf.mustApply(JobReassignRequestType, move)
	if res.Job.Node != "n2" || res.Job.NodeName != "two" || res.Job.Status != JobAccepted || res.Job.Updated != 50 {
		t.Fatalf("after the move: %+v", res.Job)
	}
	// A retry after a lost answer succeeds without a second change.
	if again := tf.mustApply(JobReassignRequestType, move); !again.Existing {
		t.Fatal("the retried move was applied again")
	}
	// The old node can no longer claim it.
	tf.wantCode(ErrCodeStatus, JobTransitionRequestType, &JobTransitionRequest{ID: "j1", From: []JobStatus{JobAccepted}, To: JobInit, Node: "n1"})
	// A started job is never moved, nor is one on another node.
	tf.wantCode(ErrCodeStatus, JobReassignRequestType, &JobReassignRequest{ID: "j2", FromNode: "n1", ToNode: "n2"})
	tf.wantCode(ErrCodeStatus, JobReassignRequestType, &JobReassignRequest{ID: "j1", FromNode: "n3", ToNode: "n1"})
	tf.wantCode(ErrCodeNotFound, JobReassignRequestType, &JobReassignRequest{ID: "nope", FromNode: "n1", ToNode: "n2"})
	// No node to go to: back to the queue.
	back := tf.mustApply(JobReassignRequestType, &JobReassignRequest{ID: "j1", FromNode: "n2", StatusMsg: MsgRequeuedLost})
	if !back.Job.Queued() || back.Job.NodeName != "" || tf.fsm.State().QueueLength() != 1 {
		t.Fatalf("after the requeue: %+v, queue %d", back.Job, tf.fsm.State().QueueLength())
	}
}

func TestRetriedDeleteSucceedsThroughItsTombstone(t *testing.T) {
	tf := newTestFSM(t)
	tf.mustApply(ClusterRequestType, &ClusterRequest{Op: OpCreate, Cluster: cluster("c1", "one", ClusterUp)})
	del := &ClusterRequest{Op: OpDelete, Cluster: Cluster{Resource: Resource{ID: "c1", WriteToken: "del-1"}}}
	first := tf.mustApply(ClusterRequestType, del)
	// The same delete again (its answer was lost): done already.
	if again := tf.mustApply(ClusterRequestType, del); !again.Existing || again.Index != first.Index {
		t.Fatalf("retried delete: %+v after %+v", again, first)
	}
	// Another delete of the missing cluster is still a 404, and a token does
	// not carry over to another resource or kind.
	tf.wantCode(ErrCodeNotFound, ClusterRequestType, &ClusterRequest{Op: OpDelete, Cluster: Cluster{Resource: Resource{ID: "c1", WriteToken: "del-2"}}})
	tf.wantCode(ErrCodeNotFound, ClusterRequestType, &ClusterRequest{Op: OpDelete, Cluster: Cluster{Resource: Resource{ID: "c2", WriteToken: "del-1"}}})
	tf.wantCode(ErrCodeNotFound, CommandRequestType, &CommandRequest{Op: OpDelete, Command: Command{Resource: Resource{ID: "c1", WriteToken: "del-1"}}})

	// The tombstone survives a snapshot.
	restored := &testFSM{t: t, fsm: restoreFrom(t, snapshotBytes(t, tf.fsm)), index: tf.index}
	if again := restored.mustApply(ClusterRequestType, del); !again.Existing {
		t.Fatalf("retried delete after a restore: %+v", again)
	}

	// Past the window the tombstone is gone.
	restored.index += tombstoneWindow + 1
	restored.mustApply(ClusterRequestType, &ClusterRequest{Op: OpCreate, Cluster: cluster("c3", "three", ClusterUp)})
	restored.mustApply(ClusterRequestType, &ClusterRequest{Op: OpDelete, Cluster: Cluster{Resource: Resource{ID: "c3", WriteToken: "del-3"}}})
	restored.wantCode(ErrCodeNotFound, ClusterRequestType, del)
}

// snapshotBytes persists f's snapshot.
func snapshotBytes(t testing.TB, f *FSM) []byte {
	t.Helper()
	snap, err := f.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	sink := &memSink{}
	if err := snap.Persist(sink); err != nil {
		t.Fatal(err)
	}
	return sink.buf.Bytes()
}

// restoreFrom restores a snapshot into a new FSM.
func restoreFrom(t *testing.T, buf []byte) *FSM {
	t.Helper()
	restored, _ := New(&Config{})
	if err := restored.Restore(io.NopCloser(bytes.NewReader(buf))); err != nil {
		t.Fatal(err)
	}
	return restored
}

// An entry encodes to the same bytes however big it is: in place in the
// first buffer, or moved when it outgrows it.
func TestEncodeSmallAndLargeEntries(t *testing.T) {
	for _, args := range []string{"true", strings.Repeat("x", 5000)} {
		req := submit("j", JobAccepted)
		req.Job.Request.CommandArgs = args
		buf, err := Encode(JobSubmitRequestType, req)
		if err != nil {
			t.Fatal(err)
		}
		if MessageType(buf[0]) != JobSubmitRequestType {
			t.Fatalf("type byte %d", buf[0])
		}
		var back JobSubmitRequest
		if err := Decode(buf[1:], &back); err != nil || back.Job.Request.CommandArgs != args {
			t.Fatalf("decoded %d bytes of args, %v", len(back.Job.Request.CommandArgs), err)
		}
	}
}
