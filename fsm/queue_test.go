package fsm

import (
	"reflect"
	"testing"
)

func node(id string, maxJobs int) *NodeUpsertRequest {
	return &NodeUpsertRequest{Node: Node{ID: id, Name: "name-" + id, MaxJobs: maxJobs, MaxMemory: 1000, Status: NodeAlive}}
}

// placeReq submits a job for the state machine to place; the receiving
// node chose chosen for it.
func placeReq(id, user, chosen string, memory int) *JobSubmitRequest {
	return &JobSubmitRequest{Place: true, Job: Job{ID: id, RequestHash: "h-" + id, Status: JobAccepted, Node: chosen,
		Memory: memory, Request: JobRequest{User: user}, Created: 10}}
}

func TestSubmissionIsPlacedOnlyWhereTheStateHasRoom(t *testing.T) {
	tf := newTestFSM(t)
	tf.mustApply(NodeUpsertRequestType, node("n1", 1))
	tf.mustApply(NodeUpsertRequestType, node("n2", 2))

	// Two receiving nodes chose n1's last slot from the same view: the
	// first to commit takes it, the second goes where there is room.
	a := tf.mustApply(JobSubmitRequestType, placeReq("a", "u", "n1", 100))
	b := tf.mustApply(JobSubmitRequestType, placeReq("b", "u", "n1", 100))
	if a.Job.Node != "n1" || a.Job.StatusMsg != PlacedMsg("name-n1") || b.Job.Node != "n2" || b.Job.NodeName != "name-n2" {
		t.Fatalf("placed a on %q (%q), b on %q", a.Job.Node, a.Job.StatusMsg, b.Job.Node)
	}
	// Memory counts too: n2 has a slot but not 950 MB free.
	c := tf.mustApply(JobSubmitRequestType, placeReq("c", "u", "n2", 950))
	if !c.Job.Queued() || c.Job.StatusMsg != MsgQueued {
		t.Fatalf("c: %+v", c.Job)
	}
	// While a job waits, a new one joins the line even if it would fit.
	d := tf.mustApply(JobSubmitRequestType, placeReq("d", "v", "n2", 1))
	if !d.Job.Queued() {
		t.Fatalf("d overtook the queue: %+v", d.Job)
	}
	state := tf.fsm.State()
	if jobs, mem := state.NodeUsage("n1"); jobs != 1 || mem != 100 {
		t.Fatalf("n1 usage %d jobs %d MB", jobs, mem)
	}
	if state.QueueLength() != 2 {
		t.Fatalf("queue length %d", state.QueueLength())
	}

	// The bound on the queue is checked in the same state.
	full := placeReq("e", "v", "", 1)
	full.MaxQueued = 2
	tf.wantCode(ErrCodeQueueFull, JobSubmitRequestType, full)
	if state := tf.fsm.State(); state.Job("e") != nil || state.QueueLength() != 2 {
		t.Fatal("a refused job was recorded")
	}
}

func TestDrainingDeadAndUnknownNodesTakeNothing(t *testing.T) {
	tf := newTestFSM(t)
	draining := node("n1", 4)
	draining.Node.Draining = true
	dead := node("n2", 4)
	dead.Node.Status = NodeDead
	tf.mustApply(NodeUpsertRequestType, draining)
	tf.mustApply(NodeUpsertRequestType, dead)
	for _, chosen := range []string{"n1", "n2", "n9", ""} {
		res := tf.mustApply(JobSubmitRequestType, placeReq("j-"+chosen, "u", chosen, 1))
		if !res.Job.Queued() {
			t.Fatalf("chosen %q: placed on %q", chosen, res.Job.Node)
		}
	}
	// A queued job assigned to such a node stays queued.
	res := tf.mustApply(JobAssignRequestType, &JobAssignRequest{Assignments: []Assignment{{ID: "j-n1", Node: "n1"}, {ID: "j-n2", Node: "n2"}}})
	if res.Assigned != 0 || tf.fsm.State().QueueLength() != 4 {
		t.Fatalf("assigned %d, queue %d", res.Assigned, tf.fsm.State().QueueLength())
	}
}

func TestAssignmentIsCheckedAgainstTheStateItAppliesTo(t *testing.T) {
	tf := newTestFSM(t)
	tf.mustApply(JobSubmitRequestType, placeReq("q1", "u", "", 1))
	tf.mustApply(JobSubmitRequestType, placeReq("q2", "u", "", 1))
	tf.mustApply(JobSubmitRequestType, placeReq("q3", "u", "", 1))
	tf.mustApply(NodeUpsertRequestType, node("n1", 2))
	var changed []string
	tf.fsm.onJobChange = func(j, prev *Job) { changed = append(changed, j.ID+"@"+j.Node) }

	// Three planned on a node with two slots: the third stays queued. A
	// job no longer queued (q1 again) is skipped.
	res := tf.mustApply(JobAssignRequestType, &JobAssignRequest{Time: 77, Assignments: []Assignment{
		{ID: "q1", Node: "n1"}, {ID: "q1", Node: "n1"}, {ID: "q2", Node: "n1"}, {ID: "q3", Node: "n1"}, {ID: "nope", Node: "n1"},
	}})
	if res.Assigned != 2 {
		t.Fatalf("assigned %d", res.Assigned)
	}
	if want := []string{"q1@n1", "q2@n1"}; !reflect.DeepEqual(changed, want) {
		t.Fatalf("changes %v, want %v", changed, want)
	}
	state := tf.fsm.State()
	if j := state.Job("q1"); j.NodeName != "name-n1" || j.StatusMsg != PlacedMsg("name-n1") || j.Updated != 77 {
		t.Fatalf("q1: %+v", j)
	}
	if !state.Job("q3").Queued() || state.QueueLength() != 1 {
		t.Fatal("q3 left the queue")
	}

	// A slot frees when a job ends; killing a queued job frees its place.
	tf.mustApply(JobTransitionRequestType, &JobTransitionRequest{ID: "q1", From: []JobStatus{JobAccepted}, To: JobSucceeded})
	tf.mustApply(JobTransitionRequestType, &JobTransitionRequest{ID: "q3", From: []JobStatus{JobAccepted}, To: JobKilled})
	state = tf.fsm.State()
	if jobs, _ := state.NodeUsage("n1"); jobs != 1 || state.QueueLength() != 0 {
		t.Fatalf("n1 holds %d, queue %d", jobs, state.QueueLength())
	}
}

func TestPinnedJobGoesOnlyToItsNode(t *testing.T) {
	tf := newTestFSM(t)
	tf.mustApply(NodeUpsertRequestType, node("n1", 1))
	tf.mustApply(NodeUpsertRequestType, node("n2", 5))
	tf.mustApply(JobSubmitRequestType, placeReq("a", "u", "n1", 1))
	pinned := placeReq("p", "u", "n2", 1)
	pinned.Job.PinnedNode = "n1"
	if res := tf.mustApply(JobSubmitRequestType, pinned); !res.Job.Queued() {
		t.Fatalf("pinned job placed on %s", res.Job.Node)
	}
	if res := tf.mustApply(JobAssignRequestType, &JobAssignRequest{Assignments: []Assignment{{ID: "p", Node: "n2"}}}); res.Assigned != 0 {
		t.Fatal("pinned job assigned to another node")
	}
	tf.mustApply(JobTransitionRequestType, &JobTransitionRequest{ID: "a", From: []JobStatus{JobAccepted}, To: JobKilled})
	if res := tf.mustApply(JobAssignRequestType, &JobAssignRequest{Assignments: []Assignment{{ID: "p", Node: "n1"}}}); res.Assigned != 1 {
		t.Fatal("pinned job not assigned to its node")
	}
}

func TestEntryWithoutPlaceKeepsItsNode(t *testing.T) {
	// Entries written before the scheduler name the node that reserved the
	// slot; replayed, they must land there again, nodes table or not.
	tf := newTestFSM(t)
	res := tf.mustApply(JobSubmitRequestType, submit("old", JobAccepted))
	if res.Job.Node != "n1" {
		t.Fatalf("old entry placed on %q", res.Job.Node)
	}
	if jobs, _ := tf.fsm.State().NodeUsage("n1"); jobs != 1 {
		t.Fatalf("n1 holds %d", jobs)
	}
}

func TestUsageAndNodesSurviveSnapshot(t *testing.T) {
	tf := newTestFSM(t)
	tf.mustApply(NodeUpsertRequestType, node("n1", 2))
	tf.mustApply(JobSubmitRequestType, placeReq("a", "u", "n1", 10))
	tf.mustApply(JobSubmitRequestType, placeReq("b", "u", "n1", 20))
	tf.mustApply(JobSubmitRequestType, placeReq("c", "u", "n1", 30))
	tf.mustApply(JobTransitionRequestType, &JobTransitionRequest{ID: "a", From: []JobStatus{JobAccepted}, To: JobInit})
	restored := restoreFrom(t, snapshotBytes(t, tf.fsm)).State()
	live := tf.fsm.State()
	if !reflect.DeepEqual(restored.NodeLoads(), live.NodeLoads()) || restored.QueueLength() != 1 {
		t.Fatalf("restored %+v queue %d, live %+v", restored.NodeLoads()[0], restored.QueueLength(), live.NodeLoads()[0])
	}
	if restored.OldestQueued() != 10 {
		t.Fatalf("oldest queued %d", restored.OldestQueued())
	}
}

func TestNodeUpsertWritesOnlyChanges(t *testing.T) {
	tf := newTestFSM(t)
	first := tf.mustApply(NodeUpsertRequestType, node("n1", 2))
	again := tf.mustApply(NodeUpsertRequestType, node("n1", 2))
	if again.Index != first.Index {
		t.Fatalf("an unchanged node was rewritten at %d (first %d)", again.Index, first.Index)
	}
	tf.wantCode(ErrCodeInvalid, NodeUpsertRequestType, &NodeUpsertRequest{})
	tf.mustApply(NodeDeleteRequestType, &NodeDeleteRequest{ID: "n1"})
	if tf.fsm.State().Node("n1") != nil {
		t.Fatal("deleted node still there")
	}
}

func TestQueueLinesCountEachUsersPlacedJobs(t *testing.T) {
	tf := newTestFSM(t)
	tf.mustApply(NodeUpsertRequestType, node("n1", 1))
	tf.mustApply(JobSubmitRequestType, placeReq("a1", "alice", "n1", 1))
	tf.mustApply(JobSubmitRequestType, placeReq("a2", "alice", "", 1))
	tf.mustApply(JobSubmitRequestType, placeReq("b1", "bob", "", 1))
	tf.mustApply(JobSubmitRequestType, placeReq("a3", "alice", "", 1))
	lines := tf.fsm.State().QueueLines()
	got := map[string][]string{}
	running := map[string]int{}
	for _, l := range lines {
		for _, j := range l.Jobs {
			got[l.User] = append(got[l.User], j.ID)
		}
		running[l.User] = l.Running
	}
	if !reflect.DeepEqual(got, map[string][]string{"alice": {"a2", "a3"}, "bob": {"b1"}}) || running["alice"] != 1 || running["bob"] != 0 {
		t.Fatalf("lines %v running %v", got, running)
	}
}

func TestUserLimitCountsQueuedJobs(t *testing.T) {
	tf := newTestFSM(t)
	tf.mustApply(LimitsRequestType, &LimitsRequest{UserActive: 2})
	// No node: both wait in the queue, and both count.
	for _, id := range []string{"q1", "q2"} {
		if res := tf.mustApply(JobSubmitRequestType, placeReq(id, "alice", "", 1)); !res.Job.Queued() {
			t.Fatalf("%s: %+v", id, res.Job)
		}
	}
	tf.wantCode(ErrCodeLimit, JobSubmitRequestType, placeReq("q3", "alice", "", 1))
	// Killing a queued job frees its place.
	tf.mustApply(JobTransitionRequestType, &JobTransitionRequest{ID: "q1", From: []JobStatus{JobAccepted}, To: JobKilled})
	tf.mustApply(JobSubmitRequestType, placeReq("q3", "alice", "", 1))
	if n := tf.fsm.State().QueueLength(); n != 2 {
		t.Fatalf("queue length %d, want 2", n)
	}
}

// userCounts counts each user's unfinished jobs the slow way, from the
// jobs table, and reads the usage rows the limit check uses.
func userCounts(t *testing.T, f *FSM, users ...string) (want, got map[string]int) {
	t.Helper()
	txn := f.State().db.Txn(false)
	want, got = map[string]int{}, map[string]int{}
	for _, st := range ActiveJobStatuses {
		it, err := txn.Get(tableJobs, indexActive, string(st))
		if err != nil {
			t.Fatal(err)
		}
		for raw := it.Next(); raw != nil; raw = it.Next() {
			want[raw.(*Job).Request.User]++
		}
	}
	for _, u := range users {
		if n := usageOf(txn, userUsage(u)).Jobs; n != 0 {
			got[u] = n
		}
	}
	return want, got
}

func TestUserRowsCountUnfinishedJobsThroughTheirLives(t *testing.T) {
	tf := newTestFSM(t)
	users := []string{"alice", "bob", "~queue", ""}
	check := func(step string) {
		t.Helper()
		if want, got := userCounts(t, tf.fsm, users...); !reflect.DeepEqual(want, got) {
			t.Fatalf("after %s: user rows %v, unfinished jobs %v", step, got, want)
		}
	}
	tf.mustApply(NodeUpsertRequestType, node("n1", 1))
	tf.mustApply(NodeUpsertRequestType, node("n2", 5))
	tf.mustApply(JobSubmitRequestType, placeReq("a1", "alice", "n1", 1))
	tf.mustApply(JobSubmitRequestType, placeReq("a2", "alice", "n1", 1))
	// A user named like the queue's row counts as a user, not as the queue.
	tf.mustApply(JobSubmitRequestType, placeReq("q1", "~queue", "n2", 1))
	tf.mustApply(JobSubmitRequestType, placeReq("e1", "", "", 1))
	tf.mustApply(JobSubmitRequestType, placeReq("a1", "alice", "n1", 1)) // a retry
	check("submissions")
	tf.mustApply(JobSubmitRequestType, &JobSubmitRequest{Job: Job{ID: "bad", RequestHash: "h", Status: JobInvalid, Request: JobRequest{User: "bob"}}})
	check("an INVALID submission")
	tf.mustApply(JobTransitionRequestType, &JobTransitionRequest{ID: "a1", From: []JobStatus{JobAccepted}, To: JobInit, Node: "n1"})
	tf.mustApply(JobTransitionRequestType, &JobTransitionRequest{ID: "a1", From: []JobStatus{JobInit}, To: JobRunning, Node: "n1"})
	check("a claim and a start")
	tf.mustApply(JobReassignRequestType, &JobReassignRequest{ID: "a2", FromNode: "n2", ToNode: ""})
	tf.mustApply(JobTransitionRequestType, &JobTransitionRequest{ID: "q1", From: []JobStatus{JobAccepted}, To: JobKilled})
	tf.mustApply(JobTransitionRequestType, &JobTransitionRequest{ID: "a1", From: []JobStatus{JobRunning}, To: JobSucceeded, Node: "n1"})
	check("a move, a kill and an end")
	// A retry of a transition already applied changes nothing.
	tf.apply(JobTransitionRequestType, &JobTransitionRequest{ID: "a1", From: []JobStatus{JobRunning}, To: JobSucceeded, Node: "n1"})
	check("a repeated end")

	restored := restoreFrom(t, snapshotBytes(t, tf.fsm))
	if want, got := userCounts(t, restored, users...); !reflect.DeepEqual(want, got) {
		t.Fatalf("restored: user rows %v, unfinished jobs %v", got, want)
	}
}
