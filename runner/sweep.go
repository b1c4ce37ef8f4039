package runner

import (
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/genie-cluster/genie/archive"
)

// SweepJobDirs removes the working directories that jobs left in JobsDir
// (their archiving was disabled, or failed) once they have not changed for
// olderThan: Genie's disk clean-up. A directory stays while its job is
// tracked here or while keep says so (the node keeps those of unfinished
// jobs and of jobs that ended within olderThan). The directories are the
// node's by then (reclaimed when the job ended), and RemoveAll follows no
// link. It returns how many it removed.
func (r *Runner) SweepJobDirs(olderThan time.Duration, keep func(id string) bool) int {
	entries, err := os.ReadDir(r.jobsDir)
	if err != nil {
		r.logger.Warn("cannot list the jobs directory to clean it", "error", err)
		return 0
	}
	cutoff := r.conf.Now().Add(-olderThan)
	removed := 0
	for _, e := range entries {
		id := e.Name()
		if !e.IsDir() {
			continue
		}
		if strings.HasPrefix(id, ".") {
			// No job's: only a record-only archive's build directory,
			// left by a node that died building it, is cleaned.
			if !strings.HasPrefix(id, archive.RecordTempPrefix) {
				continue
			}
		} else {
			r.mu.Lock()
			_, tracked := r.jobs[id]
			r.mu.Unlock()
			if tracked || (keep != nil && keep(id)) {
				continue
			}
		}
		info, err := e.Info()
		if err != nil || info.ModTime().After(cutoff) {
			continue
		}
		if err := os.RemoveAll(filepath.Join(r.jobsDir, id)); err != nil {
			r.logger.Warn("cannot remove a left job directory", "job", id, "error", err)
			continue
		}
		removed++
	}
	if removed > 0 {
		r.logger.Info("removed left job directories", "count", removed, "older_than", olderThan)
	}
	return removed
}
