package runner

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/genie-cluster/genie/fsm"
)

// A job that ends within RunningAfter has its start recorded with its end,
// one transition fewer; one that runs longer is recorded RUNNING while it
// runs; with RunningAfter 0 every job is.
func TestRunningIsRecordedOnlyForJobsThatOutliveRunningAfter(t *testing.T) {
	for _, tc := range []struct {
		name   string
		after  time.Duration
		script string
		want   []fsm.JobStatus
	}{
		{"ends within", 5 * time.Second, "true", []fsm.JobStatus{fsm.JobInit, fsm.JobSucceeded}},
		{"outlives", 50 * time.Millisecond, "sleep 0.5", []fsm.JobStatus{fsm.JobInit, fsm.JobRunning, fsm.JobSucceeded}},
		{"recorded at once", 0, "true", []fsm.JobStatus{fsm.JobInit, fsm.JobRunning, fsm.JobSucceeded}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newTestEnv(t)
			e.conf.RunningAfter = tc.after
			r := e.runner()
			r.Start(e.spec("j", "/bin/sh", "-c", tc.script))
			waitArchived(t, e.rep, "j")
			if got := e.rep.statuses("j"); !slices.Equal(got, tc.want) {
				t.Fatalf("transitions %v, want %v", got, tc.want)
			}
			j := e.rep.job("j")
			if j.ProcessID == 0 || j.Started == 0 || j.Finished < j.Started {
				t.Fatalf("pid %d started %d finished %d", j.ProcessID, j.Started, j.Finished)
			}
		})
	}
}

// A job killed before RunningAfter passed ends KILLED from INIT, with its
// start recorded and nothing of it left.
func TestJobKilledBeforeItsRunningIsRecorded(t *testing.T) {
	e := newTestEnv(t)
	e.conf.RunningAfter = time.Minute
	r := e.runner()
	r.Start(e.shSpec("k", "touch started; sleep 30"))
	waitFor(t, 10*time.Second, "the job to start", func() bool {
		_, err := os.Stat(filepath.Join(r.JobDir("k"), "started"))
		return err == nil
	})
	if err := r.Kill("k", fsm.MsgKilledByUser); err != nil {
		t.Fatal(err)
	}
	waitArchived(t, e.rep, "k")
	if got, want := e.rep.statuses("k"), []fsm.JobStatus{fsm.JobInit, fsm.JobKilled}; !slices.Equal(got, want) {
		t.Fatalf("transitions %v, want %v", got, want)
	}
	j := e.rep.job("k")
	if j.ProcessID == 0 || j.Started == 0 {
		t.Fatalf("pid %d started %d", j.ProcessID, j.Started)
	}
	if groupAlive(j.ProcessID) {
		t.Fatal("a process of the job's group is still running")
	}
}
