package runner

import (
	"testing"
	"time"

	"github.com/genie-cluster/genie/fsm"
)

func TestAJobWritingPastTheOutputLimitIsKilledAndNothingElse(t *testing.T) {
	e := newTestEnv(t)
	e.conf.MaxJobOutput = 64 << 10
	e.conf.OutputCheckInterval = 20 * time.Millisecond
	r := e.runner()
	r.Start(e.shSpec("loud-out", "yes genie"))
	r.Start(e.shSpec("loud-err", "yes genie >&2"))
	r.Start(e.shSpec("quiet", "i=0; while [ $i -lt 20 ]; do echo line $i; i=$((i+1)); sleep 0.05; done"))

	for id, file := range map[string]string{"loud-out": stdoutFile, "loud-err": stderrFile} {
		j := waitJob(t, e.rep, id, fsm.JobKilled)
		if want := fsm.OutputTooLongMsg(file, e.conf.MaxJobOutput); j.StatusMsg != want {
			t.Fatalf("%s: %q, want %q", id, j.StatusMsg, want)
		}
		if groupAlive(j.ProcessID) {
			t.Fatalf("%s: a process of the job's group is still running", id)
		}
	}
	// The job that keeps to the limit runs to its end.
	j := waitJob(t, e.rep, "quiet", fsm.JobSucceeded)
	if j.StatusMsg != fsm.MsgSucceeded {
		t.Fatalf("quiet: %q", j.StatusMsg)
	}
	a := waitArchived(t, e.rep, "quiet")
	if got := e.readArchived(a, "stdout"); len(got) == 0 {
		t.Fatal("quiet: no stdout archived")
	}
}

func TestNoOutputLimitWhenZero(t *testing.T) {
	e := newTestEnv(t)
	e.conf.MaxJobOutput = 0
	e.conf.OutputCheckInterval = 20 * time.Millisecond
	r := e.runner()
	// Checked many times over while it runs: 0 is no limit, not a limit of 0.
	r.Start(e.shSpec("big", "head -c 200000 /dev/zero; sleep 0.5"))
	if j := waitJob(t, e.rep, "big", fsm.JobSucceeded); j.StatusMsg != fsm.MsgSucceeded {
		t.Fatalf("%q", j.StatusMsg)
	}
}
