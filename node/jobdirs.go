package node

import (
	"time"
)

// jobDirSweepInterval is how often the node looks for job directories past
// -job-dir-retention, and archived jobs past -archive-retention: the
// retentions are days, so hourly is prompt enough.
const jobDirSweepInterval = time.Hour

// sweepJobDirsLoop removes the directories jobs left on this node (their
// archiving disabled or failed) once their jobs ended JobDirRetention ago.
func (n *Node) sweepJobDirsLoop() {
	defer n.wg.Done()
	if n.config.JobDirRetention <= 0 {
		return
	}
	n.every(n.config.jobDirSweepInterval, jobDirSweepInterval, func() { n.sweepJobDirs() })
}

// pruneArchiveLoop removes from a local archive the jobs archived longer
// than ArchiveRetention ago (off by default: an archive is history).
func (n *Node) pruneArchiveLoop() {
	defer n.wg.Done()
	if n.config.ArchiveRetention <= 0 || n.localArchive == nil {
		return
	}
	n.every(n.config.jobDirSweepInterval, jobDirSweepInterval, func() {
		removed, err := n.localArchive.Prune(time.Now().Add(-n.config.ArchiveRetention))
		if err != nil {
			n.logger.Warn("cannot prune the archive", "error", err)
		}
		if removed > 0 {
			n.logger.Info("pruned the archive", "jobs", removed, "older_than", n.config.ArchiveRetention)
		}
	})
}

// every calls fn each interval (fallback when interval is not set) until
// the node shuts down.
func (n *Node) every(interval, fallback time.Duration, fn func()) {
	if interval <= 0 {
		interval = fallback
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-n.shutdownCh:
			return
		case <-tick.C:
			fn()
		}
	}
}

// sweepJobDirs removes the left directories whose jobs ended before the
// retention; those of unfinished jobs, and of jobs that ended since, stay
// whatever their files' times say.
func (n *Node) sweepJobDirs() int {
	retention := n.config.JobDirRetention
	cutoff := time.Now().Add(-retention).UnixMilli()
	state := n.State()
	return n.runner.SweepJobDirs(retention, func(id string) bool {
		j := state.Job(id)
		return j != nil && (!j.Status.Terminal() || j.Finished > cutoff)
	})
}
