package runner

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/genie-cluster/genie/fsm"
)

func TestKillRunningJob(t *testing.T) {
	e := newTestEnv(t)
	r := e.runner()
	r.Start(e.spec("kill-1", "/bin/sleep", "100"))
	j := waitJob(t, e.rep, "kill-1", fsm.JobRunning)
	if err := r.Kill("kill-1", fsm.MsgKilledByUser); err != nil {
		t.Fatal(err)
	}
	j = waitJob(t, e.rep, "kill-1", fsm.JobKilled)
	if j.StatusMsg != fsm.MsgKilledByUser || j.ExitCode == nil || *j.ExitCode != fsm.ExitCodeKilled {
		t.Fatalf("msg %q exit %v", j.StatusMsg, j.ExitCode)
	}
	if groupAlive(j.ProcessID) {
		t.Fatal("a process of the job's group is still running")
	}
	if a := waitArchived(t, e.rep, "kill-1"); a.ArchiveStatus != fsm.ArchiveArchived {
		t.Fatalf("archive %+v", a)
	}
	if f := <-e.finish; f.status != fsm.JobKilled {
		t.Fatalf("OnFinish %+v", f)
	}
}

func TestKillReachesGrandchildren(t *testing.T) {
	e := newTestEnv(t)
	e.conf.KillGrace = 300 * time.Millisecond
	r := e.runner()
	// Two children, each with a grandchild, all ignoring SIGTERM (an
	// ignored signal stays ignored across fork and exec).
	script := `trap "" TERM
for i in 1 2; do
  ( (sleep 100 & echo $! >>pids; wait) & echo $! >>pids; sleep 100 & echo $! >>pids; wait ) &
  echo $! >>pids
done
echo $$ >>pids
wait`
	r.Start(e.shSpec("kill-2", script))
	j := waitJob(t, e.rep, "kill-2", fsm.JobRunning)
	pidsFile := filepath.Join(r.JobDir("kill-2"), "pids")
	var pids []int
	waitFor(t, 10*time.Second, "the job's processes to start", func() bool {
		b, _ := os.ReadFile(pidsFile)
		pids = pids[:0]
		for _, f := range strings.Fields(string(b)) {
			pids = append(pids, atoi(t, f))
		}
		return len(pids) == 9
	})
	pids = append(pids, j.ProcessID)
	t.Cleanup(func() { killAll(j.ProcessID) })

	start := time.Now()
	if err := r.Kill("kill-2", fsm.MsgKilledByUser); err != nil {
		t.Fatal(err)
	}
	waitJob(t, e.rep, "kill-2", fsm.JobKilled)
	if d := time.Since(start); d < e.conf.KillGrace {
		t.Fatalf("killed after %v, before the grace of %v: SIGTERM should not have worked", d, e.conf.KillGrace)
	}
	for _, pid := range pids {
		if !gone(pid) {
			t.Errorf("process %d survived the kill", pid)
		}
	}
}

func TestTimeoutKills(t *testing.T) {
	e := newTestEnv(t)
	r := e.runner()
	s := e.spec("timeout-1", "/bin/sleep", "100")
	s.Job.Timeout = 1
	r.Start(s)
	j := waitJob(t, e.rep, "timeout-1", fsm.JobKilled)
	if j.StatusMsg != fsm.MsgTimeout || j.ExitCode == nil || *j.ExitCode != fsm.ExitCodeKilled {
		t.Fatalf("msg %q exit %v", j.StatusMsg, j.ExitCode)
	}
	if d := time.Duration(j.Finished-j.Started) * time.Millisecond; d < time.Second || d > 5*time.Second {
		t.Fatalf("ran for %v with a timeout of 1s", d)
	}
	if groupAlive(j.ProcessID) {
		t.Fatal("job group still running")
	}
}

func TestKillBeforeClaim(t *testing.T) {
	e := newTestEnv(t)
	claiming := make(chan struct{})
	release := make(chan struct{})
	e.rep.block = func(ctx context.Context, req fsm.JobTransitionRequest) error {
		if req.To != fsm.JobInit {
			return nil
		}
		close(claiming)
		select {
		case <-release:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	r := e.runner()
	r.Start(e.spec("early-1", "/bin/echo", "must not run"))
	<-claiming
	if err := r.Kill("early-1", fsm.MsgKilledByUser); err != nil {
		t.Fatal(err)
	}
	close(release)
	j := waitJob(t, e.rep, "early-1", fsm.JobKilled)
	if j.ProcessID != 0 || j.ExitCode == nil || *j.ExitCode != fsm.ExitCodeKilled {
		t.Fatalf("pid %d exit %v", j.ProcessID, j.ExitCode)
	}
	if a := waitArchived(t, e.rep, "early-1"); a.ArchiveStatus != fsm.ArchiveNoFiles {
		t.Fatalf("archive %+v", a)
	}
}

func TestKillDuringStaging(t *testing.T) {
	e := newTestEnv(t)
	fetching := make(chan struct{}, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		fetching <- struct{}{}
		<-req.Context().Done()
	}))
	defer srv.Close()
	r := e.runner()
	s := e.spec("stage-kill", "/bin/echo", "must not run")
	s.Job.Request.Dependencies = []string{srv.URL + "/slow.jar"}
	r.Start(s)
	<-fetching
	if err := r.Kill("stage-kill", fsm.MsgKilledByUser); err != nil {
		t.Fatal(err)
	}
	j := waitJob(t, e.rep, "stage-kill", fsm.JobKilled)
	if j.ProcessID != 0 || j.StatusMsg != fsm.MsgKilledByUser {
		t.Fatalf("pid %d msg %q", j.ProcessID, j.StatusMsg)
	}
	a := waitArchived(t, e.rep, "stage-kill")
	if a.ArchiveStatus != fsm.ArchiveArchived {
		t.Fatalf("archive %+v", a)
	}
}
