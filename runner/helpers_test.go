package runner

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/genie-cluster/genie/archive"
	"github.com/genie-cluster/genie/fsm"
	"github.com/hashicorp/go-hclog"
)

// TestMain doubles as a job command: with GENIE_RUNNER_TEST_ARGV=1 the test
// binary prints the arguments it received as JSON and exits.
func TestMain(m *testing.M) {
	if os.Getenv("GENIE_RUNNER_TEST_ARGV") == "1" {
		b, _ := json.Marshal(os.Args[1:])
		os.Stdout.Write(b)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// fakeReporter applies transitions to in-memory job records with the same
// compare-and-set rule as the state machine.
type fakeReporter struct {
	mu       sync.Mutex
	jobs     map[string]*fsm.Job
	archived map[string]fsm.JobArchiveRequest
	calls    int
	// history holds the statuses each job was moved to, in order.
	history map[string][]fsm.JobStatus
	// block, when set, is called before a transition is applied; it may
	// wait (honouring ctx) to hold the transition back.
	block func(ctx context.Context, req fsm.JobTransitionRequest) error
	// onArchived is called after an Archived call is recorded.
	onArchived func(id string)
}

func newFakeReporter() *fakeReporter {
	return &fakeReporter{jobs: map[string]*fsm.Job{}, archived: map[string]fsm.JobArchiveRequest{}, history: map[string][]fsm.JobStatus{}}
}

// statuses returns the statuses job id was moved to, in order.
func (f *fakeReporter) statuses(id string) []fsm.JobStatus {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.history[id])
}

func (f *fakeReporter) add(j *fsm.Job) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := *j
	f.jobs[j.ID] = &c
}

func (f *fakeReporter) Transition(ctx context.Context, req fsm.JobTransitionRequest) error {
	f.mu.Lock()
	f.calls++
	block := f.block
	f.mu.Unlock()
	if block != nil {
		if err := block(ctx, req); err != nil {
			return err
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	j, ok := f.jobs[req.ID]
	if !ok {
		return fsm.Errorf(fsm.ErrCodeNotFound, "job %s not found", req.ID)
	}
	if !slices.Contains(req.From, j.Status) {
		return fsm.Errorf(fsm.ErrCodeStatus, "job %s is %s, not %v", req.ID, j.Status, req.From)
	}
	j.Status, j.StatusMsg = req.To, req.StatusMsg
	f.history[req.ID] = append(f.history[req.ID], req.To)
	switch {
	case req.To == fsm.JobRunning:
		j.Started = req.Time
	case req.To.Terminal():
		j.Finished = req.Time
	}
	if req.Started != 0 && j.Started == 0 {
		j.Started = req.Started
	}
	if req.ProcessID != 0 {
		j.ProcessID = req.ProcessID
	}
	if req.ExitCode != nil {
		j.ExitCode = intPtr(*req.ExitCode)
	}
	if req.ArchiveStatus != "" {
		j.ArchiveStatus = req.ArchiveStatus
	}
	return nil
}

func (f *fakeReporter) Archived(ctx context.Context, req fsm.JobArchiveRequest) error {
	f.mu.Lock()
	f.calls++
	j, ok := f.jobs[req.ID]
	if !ok {
		f.mu.Unlock()
		return fsm.Errorf(fsm.ErrCodeNotFound, "job %s not found", req.ID)
	}
	j.ArchiveStatus, j.ArchiveLocation, j.RecordArchived = req.ArchiveStatus, req.ArchiveLocation, req.RecordArchived
	j.StdoutSize, j.StderrSize = req.StdoutSize, req.StderrSize
	f.archived[req.ID] = req
	hook := f.onArchived
	f.mu.Unlock()
	if hook != nil {
		hook(req.ID)
	}
	return nil
}

func (f *fakeReporter) Record(ctx context.Context, id string) (*fsm.Job, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	j, ok := f.jobs[id]
	if !ok {
		return nil, fsm.Errorf(fsm.ErrCodeNotFound, "job %s not found", id)
	}
	c := *j
	return &c, nil
}

func (f *fakeReporter) job(id string) fsm.Job {
	f.mu.Lock()
	defer f.mu.Unlock()
	if j, ok := f.jobs[id]; ok {
		return *j
	}
	return fsm.Job{}
}

func (f *fakeReporter) archiveOf(id string) (fsm.JobArchiveRequest, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	a, ok := f.archived[id]
	return a, ok
}

func (f *fakeReporter) callCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		<-tick.C
	}
}

func waitJob(t testing.TB, rep *fakeReporter, id string, want fsm.JobStatus) fsm.Job {
	t.Helper()
	waitFor(t, 20*time.Second, fmt.Sprintf("job %s to be %s", id, want), func() bool {
		return rep.job(id).Status == want
	})
	return rep.job(id)
}

func waitArchived(t testing.TB, rep *fakeReporter, id string) fsm.JobArchiveRequest {
	t.Helper()
	var a fsm.JobArchiveRequest
	waitFor(t, 20*time.Second, "job "+id+" to be archived", func() bool {
		var ok bool
		a, ok = rep.archiveOf(id)
		return ok
	})
	return a
}

// testLogger sends the runner's log to the test, and drops lines once the
// test has finished (a job process may outlive it).
type testLogger struct {
	mu   sync.Mutex
	t    testing.TB
	done bool
}

func (w *testLogger) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.t.Log(strings.TrimRight(string(p), "\n"))
	}
	return len(p), nil
}

func newLogger(t testing.TB) hclog.Logger {
	w := &testLogger{t: t}
	t.Cleanup(func() {
		w.mu.Lock()
		w.done = true
		w.mu.Unlock()
	})
	return hclog.New(&hclog.LoggerOptions{Name: "runner", Level: hclog.Debug, Output: w})
}

type testEnv struct {
	t testing.TB
	// root stands for the node's data directory: it holds JobsDir.
	root   string
	conf   *Config
	rep    *fakeReporter
	store  *archive.Local
	finish chan finished
}

type finished struct {
	id     string
	status fsm.JobStatus
}

func newTestEnv(t testing.TB) *testEnv {
	t.Helper()
	root := t.TempDir()
	store, err := archive.NewLocal(filepath.Join(root, "archive"))
	if err != nil {
		t.Fatal(err)
	}
	e := &testEnv{t: t, root: root, rep: newFakeReporter(), store: store, finish: make(chan finished, 1024)}
	conf := DefaultConfig()
	conf.JobsDir = filepath.Join(root, "jobs")
	conf.NodeName = "node-1"
	conf.KillGrace = 2 * time.Second
	conf.Archive = store
	conf.Logger = newLogger(t)
	conf.OnFinish = func(id string, st fsm.JobStatus) { e.finish <- finished{id, st} }
	e.conf = conf
	return e
}

// runner starts a runner on the environment, closed when the test ends.
func (e *testEnv) runner() *Runner {
	e.t.Helper()
	r, err := New(e.conf, e.rep)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(r.Close)
	return r
}

// spec builds a job ready to start, recorded ACCEPTED in the reporter.
func (e *testEnv) spec(id string, exe ...string) Spec {
	s := Spec{
		Job: &fsm.Job{
			ID:     id,
			Status: fsm.JobAccepted,
			Request: fsm.JobRequest{
				Name: "test-" + id, User: "alice", Version: "1.0",
				Tags:             []string{"t1", "t2"},
				CommandCriteria:  []string{"type:sh"},
				ClusterCriterias: [][]string{{"sched:adhoc", "env:test"}, {"env:prod"}},
			},
			ClusterID: "c1", ClusterName: "cluster-one", CommandID: "cmd1", CommandName: "shell",
			Memory: 512,
		},
		Cluster: &fsm.Cluster{Resource: fsm.Resource{ID: "c1", Name: "cluster-one"}, Status: fsm.ClusterUp},
		Command: &fsm.Command{Resource: fsm.Resource{ID: "cmd1", Name: "shell"}, Executable: exe},
	}
	e.rep.add(s.Job)
	return s
}

// shSpec is a job whose command is a shell snippet.
func (e *testEnv) shSpec(id, script string) Spec {
	return e.spec(id, "/bin/sh", "-c", script)
}

// readArchived reads a file of an archived job.
func (e *testEnv) readArchived(a fsm.JobArchiveRequest, name string) string {
	e.t.Helper()
	fsys, err := e.store.Open(context.Background(), a.ArchiveLocation)
	if err != nil {
		e.t.Fatal(err)
	}
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		e.t.Fatal(err)
	}
	return string(b)
}

// gone reports whether pid has exited (a zombie has).
func gone(pid int) bool {
	state, _, ok := procState(pid)
	return !ok || state == 'Z'
}

// requireRoot skips a test that needs root, except in CI, which runs the
// tests as root and must run them all.
func requireRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() == 0 {
		return
	}
	if os.Getenv("CI") == "" {
		t.Skip("needs root")
	}
	t.Fatal("needs root: CI runs the tests as root")
}

// runAs makes the environment's runner run jobs as the OS account user.
// The test's root, like a node's data directory, lets job users pass
// through to JobsDir without listing it.
func (e *testEnv) runAs(user string) {
	e.t.Helper()
	requireRoot(e.t)
	for _, d := range []string{e.root, filepath.Dir(e.root)} {
		if err := os.Chmod(d, 0o711); err != nil {
			e.t.Fatal(err)
		}
	}
	e.conf.JobUser = user
}

// lines splits a job's output into its lines.
func lines(s string) []string {
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}
