package runner

import (
	"context"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/genie-cluster/genie/fsm"
	"github.com/hashicorp/go-hclog"
)

// exitStatus is how a job's leader process ended.
type exitStatus struct {
	// known is false when the runner was not the process's parent (a
	// re-attached job): the code is then read from the exit-code file.
	known bool
	code  int
	// signal is set when the leader died of a signal.
	signal string
}

// job is one tracked job.
type job struct {
	id   string
	spec Spec
	dir  string
	log  hclog.Logger

	// ctx bounds staging; a kill cancels it.
	ctx    context.Context
	cancel context.CancelFunc

	// exitedCh is closed when the leader process has exited.
	exitedCh chan struct{}

	mu         sync.Mutex
	killReason string        // set once by the first kill
	killDone   chan struct{} // closed when the killed group is gone
	pgid       int           // 0 until the process runs
	started    time.Time
	exited     bool
	exit       exitStatus
	timer      *time.Timer

	// Owned by the job's goroutine.
	ident *identity // the account the job runs as; nil: the node's
	// uid is the one the job holds from JobUIDs, 0 when none.
	uid int
	// account is the uid the job runs as, once known (-1 before), read
	// by clients' reads of its directory.
	account atomic.Int64
	// stdout and stderr are created while the directory is still the
	// node's; the process gets them as they are, never by name.
	stdout, stderr *os.File
	// recorded is the last status this runner saw committed.
	recorded fsm.JobStatus
	// unsure is set when a transition's outcome is unknown (a report that
	// kept failing, or a recovered job), so the next one accepts either.
	unsure bool
	// lost is set when the job was ended elsewhere while it ran here.
	lost bool
}

func newJob(parent context.Context, spec Spec, dir string, log hclog.Logger) *job {
	ctx, cancel := context.WithCancel(parent)
	j := &job{
		id:       spec.Job.ID,
		spec:     spec,
		dir:      dir,
		log:      log,
		ctx:      ctx,
		cancel:   cancel,
		exitedCh: make(chan struct{}),
	}
	j.account.Store(-1)
	return j
}

// closeOutputs closes the node's copies of the job's output files.
func (j *job) closeOutputs() {
	for _, f := range []**os.File{&j.stdout, &j.stderr} {
		if *f != nil {
			(*f).Close()
			*f = nil
		}
	}
}

// from is the status a transition out of the current one expects.
func (j *job) from() []fsm.JobStatus {
	if j.unsure {
		return []fsm.JobStatus{fsm.JobInit, fsm.JobRunning}
	}
	return []fsm.JobStatus{j.recorded}
}

// pendingKill returns the kill reason, if the job was killed.
func (j *job) pendingKill() string {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.killReason
}

// setExited records how the leader ended; from then on a kill changes nothing.
func (j *job) setExited(st exitStatus) {
	j.mu.Lock()
	j.exited = true
	j.exit = st
	if j.timer != nil {
		j.timer.Stop()
	}
	j.mu.Unlock()
	close(j.exitedCh)
}

// armTimeout starts the job's timeout clock, counting from started.
// j.mu must be held.
func (j *job) armTimeout(now time.Time, fire func()) {
	if j.spec.Job.Timeout <= 0 {
		return
	}
	d := j.started.Add(time.Duration(j.spec.Job.Timeout) * time.Second).Sub(now)
	if d < 0 {
		d = 0
	}
	j.timer = time.AfterFunc(d, fire)
}

func (j *job) stopTimer() {
	j.mu.Lock()
	if j.timer != nil {
		j.timer.Stop()
	}
	j.mu.Unlock()
}

// outcome is how a job ends.
type outcome struct {
	status   fsm.JobStatus
	msg      string
	exitCode *int
	finished time.Time
}

func intPtr(v int) *int { return &v }

func (r *Runner) killedOutcome(reason string) outcome {
	return outcome{status: fsm.JobKilled, msg: reason, exitCode: intPtr(fsm.ExitCodeKilled), finished: r.conf.Now()}
}

// run takes a job from ACCEPTED to its end: claim, stage, run, record,
// archive.
func (r *Runner) run(j *job) {
	err := r.report(j, "claim", func(ctx context.Context) error {
		return r.rep.Transition(ctx, fsm.JobTransitionRequest{
			ID: j.id, From: []fsm.JobStatus{fsm.JobAccepted}, To: fsm.JobInit,
			StatusMsg: fsm.MsgInit, Time: r.nowMillis(),
		})
	})
	if err != nil {
		if r.isClosed() {
			return
		}
		// Someone else moved the job (a kill, a reassignment): not ours.
		if fsm.CodeOf(err) != fsm.ErrCodeStatus {
			j.log.Error("claim failed", "error", err)
		}
		r.release(j, "")
		return
	}
	j.recorded = fsm.JobInit

	if reason := j.pendingKill(); reason != "" {
		r.end(j, r.killedOutcome(reason))
		return
	}
	if j.dir == "" {
		// A job id that is no safe directory name never reaches the disk.
		r.end(j, outcome{status: fsm.JobFailed, msg: fmt.Sprintf("%s Job id %q cannot name a directory.", fsm.MsgSetupFailed, j.id), finished: r.conf.Now()})
		return
	}
	if err := r.stage(j); err != nil {
		j.closeOutputs()
		if r.isClosed() {
			return
		}
		if reason := j.pendingKill(); reason != "" {
			r.end(j, r.killedOutcome(reason))
			return
		}
		j.log.Warn("staging failed", "error", err)
		r.end(j, outcome{status: fsm.JobFailed, msg: fsm.MsgSetupFailed + " " + err.Error(), finished: r.conf.Now()})
		return
	}
	if err := r.startProcess(j); err != nil {
		if r.isClosed() {
			return
		}
		if reason := j.pendingKill(); reason != "" {
			r.end(j, r.killedOutcome(reason))
			return
		}
		j.log.Error("start failed", "error", err)
		r.end(j, outcome{status: fsm.JobFailed, msg: "Job failed to start: " + err.Error(), finished: r.conf.Now()})
		return
	}
	if r.endedWithin(j, r.conf.RunningAfter) {
		// Its end records its start too.
		r.await(j)
		return
	}
	r.markRunning(j)
	r.await(j)
}

// endedWithin reports whether j's process, just started, exits within d,
// or the runner closes meanwhile.
func (r *Runner) endedWithin(j *job, d time.Duration) bool {
	if d <= 0 {
		return false
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-j.exitedCh:
		return true
	case <-r.shutdownCh:
		return true
	case <-t.C:
		return false
	}
}

// markRunning records INIT→RUNNING for a job whose process runs.
func (r *Runner) markRunning(j *job) {
	j.mu.Lock()
	pid, started := j.pgid, j.started
	j.mu.Unlock()
	err := r.report(j, "running", func(ctx context.Context) error {
		return r.rep.Transition(ctx, fsm.JobTransitionRequest{
			ID: j.id, From: []fsm.JobStatus{fsm.JobInit}, To: fsm.JobRunning,
			StatusMsg: fsm.MsgRunning, ProcessID: pid, Time: started.UnixMilli(),
		})
	})
	switch {
	case err == nil:
		j.recorded, j.unsure = fsm.JobRunning, false
	case r.isClosed():
	case fsm.CodeOf(err) == fsm.ErrCodeStatus:
		// The record ended while the process started; a job whose record
		// is final must not keep running.
		j.log.Warn("job ended elsewhere; killing its processes")
		j.lost = true
		r.kill(j, "Job was ended elsewhere.")
	default:
		j.log.Error("recording RUNNING failed", "error", err)
		j.unsure = true
	}
}

// await waits for the job's leader process to exit, then records the end.
func (r *Runner) await(j *job) {
	select {
	case <-j.exitedCh:
	case <-r.shutdownCh:
		return
	}
	j.mu.Lock()
	reason, killDone, pgid, exit := j.killReason, j.killDone, j.pgid, j.exit
	j.mu.Unlock()

	if reason != "" {
		// KILLED means nothing of the job is left, so wait for the group.
		select {
		case <-killDone:
		case <-r.shutdownCh:
			return
		}
		r.end(j, r.killedOutcome(reason))
		return
	}
	// Children the job left behind go, without holding up its status.
	if groupExists(pgid) {
		j.log.Debug("ending processes the job left behind", "pgid", pgid)
		r.goFunc(func() { r.killGroup(j.log, pgid) })
	}
	r.end(j, r.exitOutcome(j, exit))
}

// end records the job's terminal status, lets go of it and archives it.
func (r *Runner) end(j *job, o outcome) {
	status := o.status
	if j.lost {
		status = ""
	} else {
		req := fsm.JobTransitionRequest{
			ID: j.id, From: j.from(), To: o.status, StatusMsg: o.msg,
			ExitCode: o.exitCode, Time: o.finished.UnixMilli(),
		}
		if j.recorded == fsm.JobInit {
			// A process that ended before its RUNNING was recorded: the
			// end says when it started.
			j.mu.Lock()
			if j.pgid != 0 {
				req.ProcessID, req.Started = j.pgid, j.started.UnixMilli()
			}
			j.mu.Unlock()
		}
		if r.archiving(j) {
			req.ArchiveStatus = fsm.ArchivePending
		}
		err := r.reportUntilDone(j, "end", func(ctx context.Context) error { return r.rep.Transition(ctx, req) })
		switch {
		case err == nil:
			j.log.Debug("job ended", "status", o.status, "msg", o.msg)
		case r.isClosed():
			return
		case fsm.CodeOf(err) == fsm.ErrCodeStatus:
			j.log.Info("job was already ended elsewhere", "status", o.status, "error", err)
			status = ""
		default:
			// The directory stays, with its exit-code file, for the next
			// start of this node to record.
			j.log.Error("recording the end failed", "status", o.status, "error", err)
			r.release(j, "")
			return
		}
	}
	r.release(j, status)
	r.archive(j)
}
