package fsm

import (
	"fmt"
	"math/rand"
	"reflect"
	"sort"
	"testing"
)

func TestFrozenJobUnpacksToTheSameRecord(t *testing.T) {
	code := 7
	j := benchJob(3)
	j.Status, j.ExitCode = JobFailed, &code
	j.Request.Metadata = []byte(`{"owner":"data"}`)
	j.Request.CommandArguments = []string{"-e", "select 1"}
	j.Request.Configs, j.Request.Dependencies = []string{"s3://b/c.xml"}, []string{"s3://b/d.jar"}
	j.Request.Grouping, j.Request.GroupingInstance, j.Request.Email = "g", "gi", "a@example.com"
	j.Applications, j.PinnedNode, j.ArchiveMsg, j.LastToken = []string{"hadoop"}, "n9", "msg", "tok"
	j.Attachments, j.AttachmentBytes, j.ModifyIndex, j.CreateIndex = 2, 300, 99, 42
	f, err := freeze(&j)
	if err != nil {
		t.Fatal(err)
	}
	if got := f.record(); !reflect.DeepEqual(got, &j) {
		t.Fatalf("unpacked\n%+v\nwant\n%+v", got, &j)
	}
	j.ID, j.Request.Name, j.Request.User = j.ID+"-longer", "a longer name", "a-longer-user"
	longer, err := freeze(&j)
	if err != nil {
		t.Fatal(err)
	}
	if len(longer.packed) != len(f.packed) {
		t.Fatalf("packed %d bytes, then %d with a longer id, name and user: the key is packed again", len(f.packed), len(longer.packed))
	}
}

// frozenModel drives an FSM through random submissions, ends, archives and
// retirements, and keeps every job's last committed record beside it.
type frozenModel struct {
	tf   *testFSM
	rnd  *rand.Rand
	jobs map[string]*Job
	ids  []string
	next int
}

func (m *frozenModel) record(res *ApplyResult) {
	if res.Job != nil {
		m.jobs[res.Job.ID] = res.Job
	}
}

func (m *frozenModel) step() {
	tf := m.tf
	switch op := m.rnd.Intn(10); {
	case op < 4 || len(m.ids) == 0: // submit
		id := fmt.Sprintf("job-%04d", m.next)
		m.next++
		req := submit(id, JobAccepted)
		req.Job.Request.User = fmt.Sprintf("user%d", m.rnd.Intn(3))
		req.Job.Request.Tags = []string{fmt.Sprintf("t%d", m.rnd.Intn(2))}
		req.Job.Created = int64(m.next)
		if m.rnd.Intn(2) == 0 {
			req.Job.ArchiveStatus = ArchivePending // as a job to run: it stays in the table until archived
		}
		m.record(tf.mustApply(JobSubmitRequestType, req))
		m.ids = append(m.ids, id)
	case op < 6: // end
		j := m.pick(func(j *Job) bool { return !j.Status.Terminal() })
		if j == nil {
			return
		}
		to := []JobStatus{JobSucceeded, JobFailed, JobKilled}[m.rnd.Intn(3)]
		m.record(tf.mustApply(JobTransitionRequestType, &JobTransitionRequest{ID: j.ID, From: []JobStatus{j.Status}, To: to, Time: int64(1000 + m.next)}))
	case op < 9: // archive, with the record or (an older version's entry) without
		j := m.pick(func(j *Job) bool { return j.Status.Terminal() && j.ArchiveStatus != ArchiveArchived })
		if j == nil {
			return
		}
		status := []ArchiveStatus{ArchiveArchived, ArchiveFailed}[m.rnd.Intn(2)]
		m.record(tf.mustApply(JobArchiveRequestType, &JobArchiveRequest{ID: j.ID, ArchiveStatus: status,
			ArchiveLocation: "file:///archive/" + j.ID, RecordArchived: m.rnd.Intn(4) > 0, StdoutSize: int64(m.rnd.Intn(100))}))
	case m.rnd.Intn(5) == 0: // retire a few finished jobs
		var ids, holders []string
		for _, id := range m.ids {
			if m.jobs[id].Status.Terminal() && m.rnd.Intn(4) == 0 {
				ids, holders = append(ids, id), append(holders, "n1")
			}
		}
		tf.mustApply(JobRetireRequestType, &JobRetireRequest{IDs: ids, Holders: holders})
		for _, id := range ids {
			delete(m.jobs, id)
		}
		kept := m.ids[:0]
		for _, id := range m.ids {
			if m.jobs[id] != nil {
				kept = append(kept, id)
			}
		}
		m.ids = kept
	}
}

// pick returns a random job that keep accepts, or nil.
func (m *frozenModel) pick(keep func(*Job) bool) *Job {
	var some []*Job
	for _, id := range m.ids {
		if j := m.jobs[id]; keep(j) {
			some = append(some, j)
		}
	}
	if len(some) == 0 {
		return nil
	}
	return some[m.rnd.Intn(len(some))]
}

// check compares every read of the state with the model.
func (m *frozenModel) check(s *State) {
	t := m.tf.t
	t.Helper()
	for _, id := range m.ids {
		if got := s.Job(id); !reflect.DeepEqual(got, m.jobs[id]) {
			t.Fatalf("job %s:\n%+v\nwant\n%+v", id, got, m.jobs[id])
		}
	}
	filters := []JobFilter{{}, {OldestFirst: true}, {User: "user1"}, {Tags: []string{"t0"}, OldestFirst: true},
		{Statuses: []JobStatus{JobSucceeded, JobKilled}}, {User: "user%", Statuses: []JobStatus{JobFailed}}, {ID: "job-00%"}}
	for _, f := range filters {
		var want []*Job
		for _, j := range m.jobs {
			if f.match(j) {
				want = append(want, j)
			}
		}
		sort.Slice(want, func(a, b int) bool { return (want[a].CreateIndex > want[b].CreateIndex) != f.OldestFirst })
		for _, page := range [][2]int{{0, 0}, {0, 5}, {3, 4}, {len(want) - 2, 10}} {
			offset, limit := max(page[0], 0), page[1]
			got, total := s.Jobs(f, offset, limit)
			end := len(want)
			if limit > 0 {
				end = min(end, offset+limit)
			}
			var wantPage []*Job
			if offset < end {
				wantPage = want[offset:end]
			}
			if total != len(want) || !sameJobs(got, wantPage) {
				t.Fatalf("search %+v offset %d limit %d: %d jobs %v, want %d %v", f, offset, limit, total, jobIDs(got), len(want), jobIDs(wantPage))
			}
		}
	}
	frozen, _ := frozenOf(s.db.Txn(false))
	for _, seg := range frozen.segs {
		if len(seg.ids) != len(seg.jobs) {
			t.Fatalf("a segment of %d jobs holds %d ids", len(seg.jobs), len(seg.ids))
		}
		for i, j := range seg.jobs {
			if i > 0 && seg.jobs[i-1].CreateIndex >= j.CreateIndex {
				t.Fatal("a segment is out of submission order")
			}
			if seg.find(j.ID, retiredHash(j.ID)) != i {
				t.Fatalf("job %s is not found where it is", j.ID)
			}
		}
	}
	counts := map[JobStatus]int{}
	for _, st := range AllJobStatuses {
		counts[st] = 0
	}
	for _, j := range m.jobs {
		counts[j.Status]++
	}
	if got := s.JobCounts(); !reflect.DeepEqual(got, counts) {
		t.Fatalf("counts %v, want %v", got, counts)
	}
}

func sameJobs(a, b []*Job) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !reflect.DeepEqual(a[i], b[i]) {
			return false
		}
	}
	return true
}

func jobIDs(jobs []*Job) []string {
	out := make([]string, len(jobs))
	for i, j := range jobs {
		out[i] = j.ID
	}
	return out
}

// TestSettledJobsReadTheSameFrozen checks that moving settled jobs into the
// frozen segments changes no answer: lookups, searches with every kind of
// filter and page, counts, retirement and a snapshot's round trip.
func TestSettledJobsReadTheSameFrozen(t *testing.T) {
	for seed := int64(1); seed <= 4; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			m := &frozenModel{tf: newTestFSM(t), rnd: rand.New(rand.NewSource(seed)), jobs: map[string]*Job{}}
			for i := 0; i < 1500; i++ {
				m.step()
				if i%100 == 99 {
					m.check(m.tf.fsm.State())
				}
			}
			s := m.tf.fsm.State()
			frozen, _ := frozenOf(s.db.Txn(false))
			if frozen.len() == 0 || frozen.len() == len(m.jobs) {
				t.Fatalf("%d of %d jobs frozen: the run should leave some of each", frozen.len(), len(m.jobs))
			}
			if limit := 2 * bitsOf(frozen.len()); len(frozen.segs) > limit {
				t.Fatalf("%d segments for %d jobs", len(frozen.segs), frozen.len())
			}
			snap := snapshotBytes(t, m.tf.fsm)
			restored := restoreFrom(t, snap)
			m.check(restored.State())
			if again := snapshotBytes(t, restored); string(again) != string(snap) {
				t.Fatal("the restored state's snapshot differs")
			}
		})
	}
}

func bitsOf(n int) int {
	b := 1
	for ; n > 1; n >>= 1 {
		b++
	}
	return b
}

// TestFrozenJobsKeepTheirVersion checks that a read transaction opened
// before a change sees the frozen jobs as they were.
func TestFrozenJobsKeepTheirVersion(t *testing.T) {
	tf := newTestFSM(t)
	finishedJob(tf, "a", 20)
	tf.mustApply(JobArchiveRequestType, &JobArchiveRequest{ID: "a", ArchiveStatus: ArchiveArchived, RecordArchived: true})
	before := tf.fsm.State().db.Txn(false)
	finishedJob(tf, "b", 30)
	tf.mustApply(JobArchiveRequestType, &JobArchiveRequest{ID: "b", ArchiveStatus: ArchiveArchived, RecordArchived: true})
	tf.mustApply(JobRetireRequestType, &JobRetireRequest{IDs: []string{"a"}, Holders: []string{"n1"}})
	if j, _ := firstJob(before, "a"); j == nil {
		t.Fatal("the older transaction lost a job retired after it began")
	}
	if j, _ := firstJob(before, "b"); j != nil {
		t.Fatal("the older transaction sees a job frozen after it began")
	}
	s := tf.fsm.State()
	if s.Job("a") != nil || s.Job("b") == nil {
		t.Fatal("the current state is wrong")
	}
}
