package runner

import (
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/genie-cluster/genie/fsm"
)

// sizer measures one of a job's output files.
type sizer func() (int64, error)

// fileSizer measures an open file: the file the process writes to, even
// if the job renames or removes its name.
func fileSizer(f *os.File) sizer {
	return func() (int64, error) {
		st, err := f.Stat()
		if err != nil {
			return 0, err
		}
		return st.Size(), nil
	}
}

// pathSizer measures the file at path without following a link: for a
// re-attached job, whose files the node no longer holds open.
func pathSizer(path string) sizer {
	return func() (int64, error) {
		st, err := os.Lstat(path)
		if err != nil {
			return 0, err
		}
		if !st.Mode().IsRegular() {
			return 0, fs.ErrInvalid
		}
		return st.Size(), nil
	}
}

// watchOutput kills the job when its stdout or stderr grows past
// MaxJobOutput, checking every OutputCheckInterval until the job's leader
// exits; close is called then, to release what the sizers hold.
func (r *Runner) watchOutput(j *job, stdout, stderr sizer, close func()) {
	limit := r.conf.MaxJobOutput
	if limit <= 0 {
		close()
		return
	}
	go func() {
		defer close()
		tick := time.NewTicker(r.conf.OutputCheckInterval)
		defer tick.Stop()
		for {
			select {
			case <-j.exitedCh:
				return
			case <-tick.C:
			}
			for _, o := range []struct {
				name string
				size sizer
			}{{stdoutFile, stdout}, {stderrFile, stderr}} {
				if n, err := o.size(); err == nil && n > limit {
					j.log.Warn("job output past the limit: killing it", "file", o.name, "bytes", n, "limit", limit)
					r.kill(j, fsm.OutputTooLongMsg(o.name, limit))
					return
				}
			}
		}
	}()
}

// watchOutputByPath is watchOutput for a re-attached job.
func (r *Runner) watchOutputByPath(j *job) {
	r.watchOutput(j, pathSizer(filepath.Join(j.dir, stdoutFile)), pathSizer(filepath.Join(j.dir, stderrFile)), func() {})
}
