package runner

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/genie-cluster/genie/fsm"
	"github.com/hashicorp/go-hclog"
	"golang.org/x/sys/unix"
)

// groupPollInterval is how often a kill checks whether the job's process
// group is gone. Kills are rare; the hot path never polls.
const groupPollInterval = 20 * time.Millisecond

var errKilled = errors.New("job killed")

// startProcess runs the job's run script as the leader of a new process
// group, as the job's account and with an environment of its own. Its own
// group keeps the node's terminal signals away from it and lets a kill
// reach every process the job starts; no parent-death signal is set, so
// jobs outlive the node and a restarted node re-attaches them.
func (r *Runner) startProcess(j *job) error {
	if j.stdout == nil || j.stderr == nil {
		j.closeOutputs()
		return errors.New("the output files were not created")
	}
	// The node's copies of the output files stay open while the job runs,
	// to measure what it writes (watchOutput closes them).
	started := false
	defer func() {
		if !started {
			j.closeOutputs()
		}
	}()
	attr := &syscall.SysProcAttr{Setpgid: true}
	if j.ident != nil {
		attr.Credential = j.ident.credential()
	}
	cmd := &exec.Cmd{
		Path:        r.conf.Shell,
		Args:        []string{r.conf.Shell, filepath.Join(j.dir, runFile)},
		Env:         r.processEnv(j.dir, j.ident),
		Dir:         j.dir,
		Stdout:      j.stdout,
		Stderr:      j.stderr,
		SysProcAttr: attr,
	}

	// Under j.mu so a kill either sees the process or stops it starting.
	j.mu.Lock()
	if j.killReason != "" {
		j.mu.Unlock()
		return errKilled
	}
	if r.isClosed() {
		j.mu.Unlock()
		return ErrClosed
	}
	if err := cmd.Start(); err != nil {
		j.mu.Unlock()
		return fmt.Errorf("start %s: %w", r.conf.Shell, err)
	}
	pid := cmd.Process.Pid
	j.pgid = pid
	j.started = r.conf.Now()
	j.armTimeout(j.started, func() { r.kill(j, fsm.MsgTimeout) })
	j.mu.Unlock()

	go func() {
		err := cmd.Wait()
		j.setExited(waitStatus(cmd, err))
	}()
	started = true
	stdout, stderr := j.stdout, j.stderr
	j.stdout, j.stderr = nil, nil
	r.watchOutput(j, fileSizer(stdout), fileSizer(stderr), func() { stdout.Close(); stderr.Close() })
	j.log.Debug("job started", "pid", pid)
	return nil
}

// createOutputs creates the job's stdout and stderr while the directory is
// the node's alone: once it is the job's, a file there may be a link to
// anything, and the node would truncate and hand over what it points to.
// The hand-over gives them to the job's account with everything else.
func createOutputs(j *job) error {
	for _, o := range []struct {
		name string
		f    **os.File
	}{{stdoutFile, &j.stdout}, {stderrFile, &j.stderr}} {
		f, err := os.OpenFile(filepath.Join(j.dir, o.name), os.O_WRONLY|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW, 0o644)
		if err != nil {
			return fmt.Errorf("create %s: %w", o.name, err)
		}
		*o.f = f
	}
	return nil
}

// waitStatus turns cmd.Wait's result into an exitStatus.
func waitStatus(cmd *exec.Cmd, err error) exitStatus {
	if cmd.ProcessState == nil {
		return exitStatus{}
	}
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return exitStatus{known: true, code: 128 + int(ws.Signal()), signal: unix.SignalName(ws.Signal())}
	}
	return exitStatus{known: true, code: cmd.ProcessState.ExitCode()}
}

// kill asks a job to end: staging is cancelled, a running group is
// signalled. Only the first kill counts, and none once the leader exited
// (its own exit decides the outcome then).
func (r *Runner) kill(j *job, reason string) {
	if r.isClosed() {
		return
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.exited || j.killReason != "" {
		return
	}
	j.killReason = reason
	j.cancel()
	if j.timer != nil {
		j.timer.Stop()
	}
	j.log.Info("killing job", "pgid", j.pgid, "reason", reason)
	r.startGroupKill(j)
}

// startGroupKill ends the process group of a killed job in the background;
// without a process yet, it waits for the caller that attaches one.
// j.mu must be held.
func (r *Runner) startGroupKill(j *job) {
	if j.pgid == 0 || j.killDone != nil {
		return
	}
	pgid, done := j.pgid, make(chan struct{})
	j.killDone = done
	r.goFunc(func() {
		if r.killGroup(j.log, pgid) {
			close(done)
		}
	})
}

// killGroup sends SIGTERM to the process group, SIGKILL to what is left
// after KillGrace, and returns true once no process of the group is left.
// It gives up (false) when the runner closes: a closed runner kills nothing.
func (r *Runner) killGroup(log hclog.Logger, pgid int) bool {
	if err := unix.Kill(-pgid, unix.SIGTERM); errors.Is(err, unix.ESRCH) {
		return true
	}
	grace := time.NewTimer(r.conf.KillGrace)
	defer grace.Stop()
	tick := time.NewTicker(groupPollInterval)
	defer tick.Stop()
	hard := false
	for {
		select {
		case <-r.shutdownCh:
			return false
		case <-grace.C:
			hard = true
		case <-tick.C:
		}
		if !groupAlive(pgid) {
			return true
		}
		if hard {
			// Repeated while anything is left: a process forked while the
			// first SIGKILL was delivered is caught by the next.
			if err := unix.Kill(-pgid, unix.SIGKILL); err == nil {
				log.Debug("sent SIGKILL", "pgid", pgid)
			}
		}
	}
}

// groupExists is the cheap check: does any process, zombie or not, belong
// to the group.
func groupExists(pgid int) bool {
	if pgid <= 0 {
		return false
	}
	return !errors.Is(unix.Kill(-pgid, 0), unix.ESRCH)
}

// groupAlive reports whether a process of the group is still running.
// Zombies are not: an orphan waiting for an init that does not reap would
// otherwise hold a kill open forever.
func groupAlive(pgid int) bool {
	if !groupExists(pgid) {
		return false
	}
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return true
	}
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		state, pg, ok := procState(pid)
		if ok && pg == pgid && state != 'Z' && state != 'X' {
			return true
		}
	}
	return false
}

// procState reads a process's state letter and process group from
// /proc/<pid>/stat.
func procState(pid int) (state byte, pgrp int, ok bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, 0, false
	}
	// The command name may hold spaces and parentheses; fields resume
	// after the last ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, 0, false
	}
	f := bytes.Fields(b[i+1:])
	if len(f) < 3 || len(f[0]) != 1 {
		return 0, 0, false
	}
	pg, err := strconv.Atoi(string(f[2]))
	if err != nil {
		return 0, 0, false
	}
	return f[0][0], pg, true
}
