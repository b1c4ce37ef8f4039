package runner

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/genie-cluster/genie/fsm"
	"golang.org/x/sys/unix"
)

// fifoJob is a job that blocks until the test writes to its fifo, then
// exits with code.
func fifoJob(t *testing.T, e *testEnv, id string, code int) (Spec, string) {
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := unix.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	return e.spec(id, "/bin/sh", "-c", `read line <"$0"; exit `+strconv.Itoa(code), fifo), fifo
}

func release(t *testing.T, fifo string) {
	f, err := os.OpenFile(fifo, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("go\n")
	f.Close()
}

// respec is the spec a restarted node would build: the job as recorded now.
func respec(e *testEnv, s Spec) Spec {
	j := e.rep.job(s.Job.ID)
	s.Job = &j
	return s
}

func TestRecoverReattachesRunningJob(t *testing.T) {
	e := newTestEnv(t)
	old := e.runner()
	s, fifo := fifoJob(t, e, "re-1", 7)
	old.Start(s)
	j := waitJob(t, e.rep, "re-1", fsm.JobRunning)
	old.Close()
	t.Cleanup(func() { killAll(j.ProcessID) })
	if !groupAlive(j.ProcessID) {
		t.Fatal("job did not outlive its runner")
	}

	r := e.runner()
	r.Recover(respec(e, s))
	waitFor(t, 5*time.Second, "the job to be tracked", func() bool { return r.Active() == 1 })
	release(t, fifo)
	a := waitArchived(t, e.rep, "re-1")
	got := e.rep.job("re-1")
	if got.Status != fsm.JobFailed || got.ExitCode == nil || *got.ExitCode != 7 {
		t.Fatalf("status %s exit %v msg %q", got.Status, got.ExitCode, got.StatusMsg)
	}
	if a.ArchiveStatus != fsm.ArchiveArchived {
		t.Fatalf("archive %+v", a)
	}
	if f := <-e.finish; f.id != "re-1" || f.status != fsm.JobFailed {
		t.Fatalf("OnFinish %+v", f)
	}
}

func TestRecoverReattachedJobCanBeKilled(t *testing.T) {
	e := newTestEnv(t)
	e.conf.KillGrace = 200 * time.Millisecond
	old := e.runner()
	s := e.shSpec("re-2", `trap "" TERM; sleep 100 & wait`)
	old.Start(s)
	j := waitJob(t, e.rep, "re-2", fsm.JobRunning)
	old.Close()
	t.Cleanup(func() { killAll(j.ProcessID) })

	r := e.runner()
	r.Recover(respec(e, s))
	waitFor(t, 5*time.Second, "the job to be tracked", func() bool { return r.Active() == 1 })
	if err := r.Kill("re-2", fsm.MsgKilledByUser); err != nil {
		t.Fatal(err)
	}
	got := waitJob(t, e.rep, "re-2", fsm.JobKilled)
	if got.StatusMsg != fsm.MsgKilledByUser {
		t.Fatalf("msg %q", got.StatusMsg)
	}
	if groupAlive(j.ProcessID) {
		t.Fatal("re-attached job's group survived the kill")
	}
}

func TestRecoverTimeoutCountsFromStart(t *testing.T) {
	e := newTestEnv(t)
	old := e.runner()
	s := e.spec("re-3", "/bin/sleep", "100")
	s.Job.Timeout = 2
	e.rep.add(s.Job)
	old.Start(s)
	j := waitJob(t, e.rep, "re-3", fsm.JobRunning)
	old.Close()
	t.Cleanup(func() { killAll(j.ProcessID) })

	r := e.runner()
	r.Recover(respec(e, s))
	got := waitJob(t, e.rep, "re-3", fsm.JobKilled)
	if got.StatusMsg != fsm.MsgTimeout {
		t.Fatalf("msg %q", got.StatusMsg)
	}
	if d := time.Duration(got.Finished-got.Started) * time.Millisecond; d < 2*time.Second || d > 6*time.Second {
		t.Fatalf("ran %v with a 2s timeout", d)
	}
}

func TestRecoverInitJobWithProcess(t *testing.T) {
	e := newTestEnv(t)
	// The old runner never gets RUNNING recorded.
	e.rep.block = func(ctx context.Context, req fsm.JobTransitionRequest) error {
		if req.To == fsm.JobRunning {
			<-ctx.Done()
			return ctx.Err()
		}
		return nil
	}
	old := e.runner()
	s, fifo := fifoJob(t, e, "re-4", 0)
	old.Start(s)
	pid := waitScript(t, old.JobDir("re-4"))
	old.Close()
	t.Cleanup(func() { killAll(pid) })
	if st := e.rep.job("re-4").Status; st != fsm.JobInit {
		t.Fatalf("recorded %s", st)
	}

	e.rep.mu.Lock()
	e.rep.block = nil
	e.rep.mu.Unlock()
	r := e.runner()
	r.Recover(respec(e, s))
	got := waitJob(t, e.rep, "re-4", fsm.JobRunning)
	if got.ProcessID != pid || got.Started == 0 {
		t.Fatalf("pid %d (want %d) started %d", got.ProcessID, pid, got.Started)
	}
	release(t, fifo)
	got = waitJob(t, e.rep, "re-4", fsm.JobSucceeded)
	if *got.ExitCode != 0 {
		t.Fatalf("exit %v", *got.ExitCode)
	}
}

// waitScript waits until the job's run script runs and returns its pid.
func waitScript(t *testing.T, dir string) int {
	t.Helper()
	var pids []int
	waitFor(t, 5*time.Second, "the run script", func() bool {
		pids = processesRunning(filepath.Join(dir, runFile))
		return len(pids) > 0
	})
	return pids[0]
}

// deadJobDir fakes what a node left behind: a job directory with some files.
func deadJobDir(t *testing.T, r *Runner, id string, files map[string]string) {
	t.Helper()
	dir := r.JobDir(id)
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestRecoverJobThatEndedWhileDown(t *testing.T) {
	e := newTestEnv(t)
	r := e.runner()
	for id, code := range map[string]int{"done-0": 0, "done-4": 4} {
		s := e.spec(id, "/bin/true")
		s.Job.Status = fsm.JobRunning
		s.Job.Started = time.Now().Add(-time.Minute).UnixMilli()
		e.rep.add(s.Job)
		deadJobDir(t, r, id, map[string]string{"stdout": "out\n", "genie/pid": "1\n", "genie/exit-code": strconv.Itoa(code) + "\n"})
		mod := time.UnixMilli(1_700_000_000_000)
		os.Chtimes(filepath.Join(r.JobDir(id), exitCodeFile), mod, mod)
		r.Recover(s)
		a := waitArchived(t, e.rep, id)
		j := e.rep.job(id)
		want := fsm.JobSucceeded
		if code != 0 {
			want = fsm.JobFailed
		}
		if j.Status != want || *j.ExitCode != code || j.Finished != mod.UnixMilli() {
			t.Fatalf("%s: status %s exit %d finished %d", id, j.Status, *j.ExitCode, j.Finished)
		}
		if a.ArchiveStatus != fsm.ArchiveArchived || a.StdoutSize != 4 {
			t.Fatalf("%s: archive %+v", id, a)
		}
	}
}

func TestRecoverLostJob(t *testing.T) {
	e := newTestEnv(t)
	r := e.runner()

	// A pid that belongs to no process any more.
	dead := exec.Command("/bin/true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	deadPid := strconv.Itoa(dead.Process.Pid) + "\n"
	// pid 1 is alive but is not the job's run script.
	for _, tc := range []struct {
		id     string
		status fsm.JobStatus
		files  map[string]string
		msg    string
		ar     fsm.ArchiveStatus
	}{
		{"lost-run", fsm.JobRunning, map[string]string{"stdout": "partial", "genie/pid": deadPid}, fsm.MsgLostOnRestart, fsm.ArchiveArchived},
		{"lost-reused", fsm.JobRunning, map[string]string{"genie/pid": "1\n"}, fsm.MsgLostOnRestart, fsm.ArchiveArchived},
		{"lost-init", fsm.JobInit, map[string]string{"genie/job/config/x": "x"}, fsm.MsgNodeRestartRun, fsm.ArchiveArchived},
		{"lost-nodir", fsm.JobInit, nil, fsm.MsgNodeRestartRun, fsm.ArchiveNoFiles},
	} {
		s := e.spec(tc.id, "/bin/true")
		s.Job.Status = tc.status
		e.rep.add(s.Job)
		if tc.files != nil {
			deadJobDir(t, r, tc.id, tc.files)
		}
		r.Recover(s)
		a := waitArchived(t, e.rep, tc.id)
		j := e.rep.job(tc.id)
		if j.Status != fsm.JobFailed || j.StatusMsg != tc.msg || j.ExitCode == nil || *j.ExitCode != fsm.ExitCodeLost {
			t.Errorf("%s: status %s msg %q exit %v", tc.id, j.Status, j.StatusMsg, j.ExitCode)
		}
		if a.ArchiveStatus != tc.ar {
			t.Errorf("%s: archive %+v", tc.id, a)
		}
	}
}

func TestRecoverArchivesPendingJob(t *testing.T) {
	e := newTestEnv(t)
	r := e.runner()
	s := e.spec("pending-1", "/bin/true")
	s.Job.Status, s.Job.ArchiveStatus = fsm.JobSucceeded, fsm.ArchivePending
	e.rep.add(s.Job)
	deadJobDir(t, r, "pending-1", map[string]string{"stdout": "hi\n", "genie/exit-code": "0\n"})
	r.Recover(s)
	a := waitArchived(t, e.rep, "pending-1")
	if a.ArchiveStatus != fsm.ArchiveArchived || e.readArchived(a, "stdout") != "hi\n" {
		t.Fatalf("archive %+v", a)
	}
	if r.Active() != 0 {
		t.Fatal("a finished job is tracked")
	}
}
