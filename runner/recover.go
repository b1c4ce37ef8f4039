package runner

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/genie-cluster/genie/archive"
	"github.com/genie-cluster/genie/fsm"
	"golang.org/x/sys/unix"
)

// Recover takes back a job recorded INIT or RUNNING on this node when the
// node starts: a job whose process still runs is re-attached (kill and
// timeout work on it again), one that ended while the node was down gets
// its true end recorded, and one whose process is gone is recorded FAILED.
// A finished job whose archive is still pending is archived. Recover returns
// at once; the work happens in the background.
func (r *Runner) Recover(spec Spec) {
	if spec.Job == nil {
		r.logger.Error("recover without a job")
		return
	}
	switch st := spec.Job.Status; {
	case st == fsm.JobInit || st == fsm.JobRunning:
	case st.Terminal() && (spec.Job.ArchiveStatus == "" || spec.Job.ArchiveStatus == fsm.ArchivePending):
		j := newJob(r.ctx, spec, r.jobDirFor(spec.Job.ID), r.logger.With("job", spec.Job.ID))
		r.adoptUID(j)
		r.goFunc(func() {
			defer j.cancel()
			r.archive(j)
		})
		return
	default:
		r.logger.Debug("nothing to recover", "job", spec.Job.ID, "status", st)
		return
	}
	j := r.track(spec)
	if j == nil {
		return
	}
	// Held at once, before a job started meanwhile could get the uid.
	r.adoptUID(j)
	if !r.goFunc(func() { r.recoverJob(j) }) {
		r.untrack(j)
	}
}

// Reap stops what is left of a job this node ran but whose record ended
// elsewhere while the node was away (the leader declared the node lost): its
// processes are killed and its directory archived; the record, final
// already, is not touched. Reap returns at once.
func (r *Runner) Reap(spec Spec) {
	if spec.Job == nil || !spec.Job.Status.Terminal() {
		r.logger.Error("reap of a job that has not ended")
		return
	}
	j := r.track(spec)
	if j == nil {
		return
	}
	r.adoptUID(j)
	if !r.goFunc(func() { r.reapJob(j) }) {
		r.untrack(j)
	}
}

func (r *Runner) reapJob(j *job) {
	j.recorded = j.spec.Job.Status
	j.lost = true
	if j.dir == "" {
		r.release(j, "")
		return
	}
	pid, w, ok := findJobProcess(j)
	if !ok {
		r.end(j, outcome{})
		return
	}
	j.log.Warn("stopping a job that was declared lost while this node was away", "pid", pid)
	j.mu.Lock()
	j.killReason = fsm.MsgNodeLost
	j.mu.Unlock()
	r.reattach(j, pid, w)
}

func (r *Runner) recoverJob(j *job) {
	j.recorded = j.spec.Job.Status
	// The replica read at start may trail the log; either active status is fine.
	j.unsure = true
	if j.dir == "" {
		r.end(j, r.lostOutcome(j, false))
		return
	}
	if o, ok := r.recordedOutcome(j); ok {
		r.end(j, o)
		return
	}
	if pid, w, ok := findJobProcess(j); ok {
		r.reattach(j, pid, w)
		return
	}
	// The process may have ended between the two looks.
	if o, ok := r.recordedOutcome(j); ok {
		r.end(j, o)
		return
	}
	r.end(j, r.lostOutcome(j, j.spec.Job.ProcessID != 0))
}

// findJobProcess looks for the job's live run script: at the pid the log
// recorded, and, for a job that was not recorded RUNNING (the node stopped
// between starting the script and recording it), among all processes. The
// candidate's command line must name this job's run script.
func findJobProcess(j *job) (int, *pidWaiter, bool) {
	runPath := filepath.Join(j.dir, runFile)
	if pid := j.spec.Job.ProcessID; pid > 0 {
		if w, err := openJobProcess(pid, runPath); err == nil {
			return pid, w, true
		}
	}
	for _, pid := range processesRunning(runPath) {
		if w, err := openJobProcess(pid, runPath); err == nil {
			return pid, w, true
		}
	}
	return 0, nil, false
}

// processesRunning lists the pids whose command line holds arg. It reads
// all of /proc, so it runs only when a recovered job left no usable pid.
func processesRunning(arg string) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var out []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if cmdline, err := os.ReadFile("/proc/" + e.Name() + "/cmdline"); err == nil && hasArg(cmdline, arg) {
			out = append(out, pid)
		}
	}
	return out
}

// recordedOutcome is the end a finished run script left in its exit-code file.
func (r *Runner) recordedOutcome(j *job) (outcome, bool) {
	code, mod, err := readExitCode(j.dir)
	if err != nil {
		return outcome{}, false
	}
	j.log.Info("job ended while the node was down", "exit_code", code)
	return codeOutcome(exitStatus{known: true, code: code}, mod), true
}

func (r *Runner) lostOutcome(j *job, hadPid bool) outcome {
	msg := fsm.MsgLostOnRestart
	if j.recorded == fsm.JobInit && !hadPid {
		msg = fsm.MsgNodeRestartRun
	}
	j.log.Warn("job process lost", "msg", msg)
	return outcome{status: fsm.JobFailed, msg: msg, exitCode: intPtr(fsm.ExitCodeLost), finished: r.conf.Now()}
}

// reattach tracks a job process started by an earlier run of the node.
func (r *Runner) reattach(j *job, pid int, w *pidWaiter) {
	started := time.UnixMilli(j.spec.Job.Started)
	if j.spec.Job.Started == 0 {
		started = r.conf.Now()
		// The run script is written just before it starts.
		if info, err := os.Stat(filepath.Join(j.dir, runFile)); err == nil {
			started = info.ModTime()
		}
	}
	j.mu.Lock()
	j.pgid = pid
	j.started = started
	j.armTimeout(r.conf.Now(), func() { r.kill(j, fsm.MsgTimeout) })
	if j.killReason != "" {
		// Killed while being looked for.
		r.startGroupKill(j)
	}
	j.mu.Unlock()
	r.watchOutputByPath(j)
	j.log.Info("re-attached job", "pid", pid)

	// The runner is not the parent, so the exit code comes from the file.
	go func() {
		if err := w.wait(); err != nil {
			j.log.Warn("waiting for job process failed", "pid", pid, "error", err)
		}
		j.setExited(exitStatus{})
	}()
	if j.recorded == fsm.JobInit {
		r.markRunning(j)
	}
	r.await(j)
}

// pidWaiter waits for a process that is not the runner's child.
type pidWaiter struct {
	pid  int
	file *os.File // pidfd; nil where the kernel has none
}

// openJobProcess finds the live process pid and checks it is still the
// job's run script, not a later process that got the same pid.
func openJobProcess(pid int, runPath string) (*pidWaiter, error) {
	w := &pidWaiter{pid: pid}
	fd, err := unix.PidfdOpen(pid, unix.PIDFD_NONBLOCK)
	switch {
	case err == nil:
		w.file = os.NewFile(uintptr(fd), "pidfd")
	case errors.Is(err, unix.ENOSYS):
		if err := unix.Kill(pid, 0); err != nil {
			return nil, fmt.Errorf("process %d: %w", pid, err)
		}
	default:
		return nil, fmt.Errorf("pidfd_open %d: %w", pid, err)
	}
	// Checked after the open: the pidfd now pins the process that was
	// checked.
	cmdline, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err == nil && !hasArg(cmdline, runPath) {
		err = fmt.Errorf("process %d is not %s", pid, runPath)
	}
	if err != nil {
		w.close()
		return nil, err
	}
	return w, nil
}

func hasArg(cmdline []byte, arg string) bool {
	for _, a := range bytes.Split(cmdline, []byte{0}) {
		if string(a) == arg {
			return true
		}
	}
	return false
}

// wait blocks until the process exits. The pidfd is readable once it has;
// the runtime's poller waits for that without holding a thread.
func (w *pidWaiter) wait() error {
	defer w.close()
	if w.file == nil {
		return w.waitWithoutPidfd()
	}
	rc, err := w.file.SyscallConn()
	if err != nil {
		return err
	}
	exited := func(fd uintptr) bool {
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		n, err := unix.Poll(fds, 0)
		return n > 0 || (err != nil && err != unix.EINTR)
	}
	if err := rc.Read(exited); err == nil {
		return nil
	}
	// Not pollable by the runtime: a blocking poll in this goroutine.
	var perr error
	err = rc.Control(func(fd uintptr) {
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		for {
			_, perr = unix.Poll(fds, -1)
			if perr != unix.EINTR {
				return
			}
		}
	})
	if err != nil {
		return err
	}
	return perr
}

// waitWithoutPidfd serves kernels older than pidfd_open (Linux 5.3), where
// nothing signals the exit of a process one is not the parent of.
func (w *pidWaiter) waitWithoutPidfd() error {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for range tick.C {
		if errors.Is(unix.Kill(w.pid, 0), unix.ESRCH) {
			return nil
		}
		if state, _, ok := procState(w.pid); ok && state == 'Z' {
			return nil
		}
	}
	return nil
}

func (w *pidWaiter) close() {
	if w.file != nil {
		w.file.Close()
	}
}

// jobDirFor is JobDir for ids that are safe as a directory name, "" for others.
func (r *Runner) jobDirFor(id string) string {
	if archive.ValidateID(id) != nil {
		return ""
	}
	return r.JobDir(id)
}
