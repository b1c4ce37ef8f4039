package fsm

import (
	"fmt"
	"testing"
)

func finishedJob(tf *testFSM, id string, finished int64) {
	tf.t.Helper()
	req := submit(id, JobAccepted)
	req.Job.Request.ID = id
	tf.mustApply(JobSubmitRequestType, req)
	code := 0
	tf.mustApply(JobTransitionRequestType, &JobTransitionRequest{ID: id, From: []JobStatus{JobAccepted}, To: JobSucceeded, ExitCode: &code, Time: finished})
}

func TestRetireRemovesFinishedJobsAndKeepsTheirIdsTaken(t *testing.T) {
	tf := newTestFSM(t)
	finishedJob(tf, "old", 20)
	finishedJob(tf, "done", 30)
	tf.mustApply(JobSubmitRequestType, submit("running", JobAccepted))

	res := tf.mustApply(JobRetireRequestType, &JobRetireRequest{IDs: []string{"old", "done", "running", "missing"}, Holders: []string{"n1", "n2", "n1", "n1"}})
	if res.Assigned != 2 {
		t.Fatalf("retired %d jobs, want 2 (unfinished and unknown ones are passed over)", res.Assigned)
	}
	s := tf.fsm.State()
	if s.Job("old") != nil || s.Job("done") != nil || s.Job("running") == nil {
		t.Fatal("retire removed the wrong jobs")
	}
	if h, ok := s.RetiredHolder("old"); !ok || h != "n1" {
		t.Fatalf("old: holder %q retired %v", h, ok)
	}
	if h, ok := s.RetiredHolder("done"); !ok || h != "n2" {
		t.Fatalf("done: holder %q retired %v", h, ok)
	}
	if _, ok := s.RetiredHolder("running"); ok {
		t.Fatal("an unfinished job was counted retired")
	}
	if page, total := s.Jobs(JobFilter{}, 0, 10); total != 1 || page[0].ID != "running" {
		t.Fatalf("search after retire: %d jobs", total)
	}

	// The id stays taken, with the same request or another.
	again := submit("old", JobAccepted)
	again.Job.Request.ID = "old"
	tf.wantCode(ErrCodeConflict, JobSubmitRequestType, again)

	// A retried entry retires nothing twice; mismatched lists are refused.
	if res := tf.mustApply(JobRetireRequestType, &JobRetireRequest{IDs: []string{"old"}, Holders: []string{"n1"}}); res.Assigned != 0 {
		t.Fatalf("retry retired %d", res.Assigned)
	}
	tf.wantCode(ErrCodeInvalid, JobRetireRequestType, &JobRetireRequest{IDs: []string{"a"}})

	// Restored from a snapshot, the retired ids are still there.
	restored := restoreFrom(t, snapshotBytes(t, tf.fsm))
	if h, ok := restored.State().RetiredHolder("done"); !ok || h != "n2" {
		t.Fatalf("after restore: holder %q retired %v", h, ok)
	}
	if restored.State().RetiredCount() != 2 {
		t.Fatalf("after restore: %d retired", restored.State().RetiredCount())
	}
	if _, total := restored.State().Jobs(JobFilter{}, 0, 10); total != 1 {
		t.Fatalf("after restore: a search of all jobs counts %d", total)
	}
}

func TestRetiredSegmentsStayFewAndFindEveryId(t *testing.T) {
	tf := newTestFSM(t)
	const batches, per = 300, 7
	for b := 0; b < batches; b++ {
		ids := make([]string, per)
		holders := make([]string, per)
		for i := range ids {
			ids[i] = fmt.Sprintf("job-%d-%d", b, i)
			holders[i] = fmt.Sprintf("node-%d", (b+i)%3)
			finishedJob(tf, ids[i], 5)
		}
		tf.mustApply(JobRetireRequestType, &JobRetireRequest{IDs: ids, Holders: holders})
	}
	s := tf.fsm.State()
	if n := s.RetiredCount(); n != batches*per {
		t.Fatalf("%d retired, want %d", n, batches*per)
	}
	it, err := s.db.Txn(false).Get(tableRetired, indexID)
	if err != nil {
		t.Fatal(err)
	}
	segments := 0
	prev := -1
	for raw := it.Next(); raw != nil; raw = it.Next() {
		seg := raw.(*RetiredSegment)
		if prev >= 0 && prev <= 2*len(seg.Hashes) {
			t.Fatalf("segment of %d after one of %d: not merged", len(seg.Hashes), prev)
		}
		prev = len(seg.Hashes)
		segments++
	}
	if segments > 12 {
		t.Fatalf("%d segments for %d ids", segments, batches*per)
	}
	for b := 0; b < batches; b++ {
		for i := 0; i < per; i++ {
			h, ok := s.RetiredHolder(fmt.Sprintf("job-%d-%d", b, i))
			if want := fmt.Sprintf("node-%d", (b+i)%3); !ok || h != want {
				t.Fatalf("job-%d-%d: holder %q retired %v, want %s", b, i, h, ok, want)
			}
		}
	}
	if _, ok := s.RetiredHolder("never"); ok {
		t.Fatal("an id never used is retired")
	}
}

func TestRetirableJobsAreOldFinishedAndSettled(t *testing.T) {
	tf := newTestFSM(t)
	finishedJob(tf, "old", 20)
	tf.mustApply(JobArchiveRequestType, &JobArchiveRequest{ID: "old", ArchiveStatus: ArchiveArchived, RecordArchived: true})
	// Finished before the cutoff but still being archived by a live node.
	finishedJob(tf, "archiving", 20)
	tf.mustApply(JobArchiveRequestType, &JobArchiveRequest{ID: "archiving", ArchiveStatus: ArchivePending})
	finishedJob(tf, "recent", 200)
	tf.mustApply(JobSubmitRequestType, submit("running", JobAccepted))

	ids := func(jobs []*Job) []string {
		var out []string
		for _, j := range jobs {
			out = append(out, j.ID)
		}
		return out
	}
	alive := func(string) bool { return true }
	if got := ids(tf.fsm.State().RetirableJobs(100, 10, alive)); fmt.Sprint(got) != "[old]" {
		t.Fatalf("retirable: %v", got)
	}
	gone := func(string) bool { return false }
	if got := ids(tf.fsm.State().RetirableJobs(100, 10, gone)); fmt.Sprint(got) != "[old archiving]" {
		t.Fatalf("retirable with the node gone: %v", got)
	}
	if got := ids(tf.fsm.State().RetirableJobs(100, 1, gone)); fmt.Sprint(got) != "[old]" {
		t.Fatalf("retirable, at most one: %v", got)
	}
}

func TestJobRecordRoundTrip(t *testing.T) {
	code := 3
	j := &Job{ID: "j1", Status: JobFailed, ExitCode: &code, Created: 1, Started: 2, Finished: 3,
		Request: JobRequest{User: "alice", Metadata: []byte(`{"a":1}`)}, RecordArchived: true}
	b, err := EncodeJobRecord(j)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeJobRecord(b)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != "j1" || *got.ExitCode != 3 || string(got.Request.Metadata) != `{"a":1}` || got.Finished != 3 {
		t.Fatalf("round trip: %+v", got)
	}
	for _, bad := range []string{`{}`, `{"formatVersion":9,"job":{"ID":"x","Status":"FAILED"}}`, `{"formatVersion":1,"job":{"ID":"x","Status":"RUNNING"}}`, `not json`} {
		if _, err := DecodeJobRecord([]byte(bad)); err == nil {
			t.Fatalf("%s decoded", bad)
		}
	}
}

func TestArchivedRecordDropsTheTransitionToken(t *testing.T) {
	tf := newTestFSM(t)
	for _, id := range []string{"with-record", "old-archive"} {
		tf.mustApply(JobSubmitRequestType, submit(id, JobAccepted))
		tf.mustApply(JobTransitionRequestType, &JobTransitionRequest{ID: id, From: []JobStatus{JobAccepted}, To: JobSucceeded, Token: "end-" + id})
	}
	tf.mustApply(JobArchiveRequestType, &JobArchiveRequest{ID: "with-record", ArchiveStatus: ArchiveArchived, RecordArchived: true})
	tf.mustApply(JobArchiveRequestType, &JobArchiveRequest{ID: "old-archive", ArchiveStatus: ArchiveArchived})
	if tok := tf.fsm.State().Job("with-record").LastToken; tok != "" {
		t.Fatalf("an archived record kept its token %q", tok)
	}
	// An entry of a version that archived no record keeps the state it made.
	if tok := tf.fsm.State().Job("old-archive").LastToken; tok != "end-old-archive" {
		t.Fatalf("token %q, want the last transition's", tok)
	}
}
