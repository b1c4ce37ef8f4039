package node

import (
	"context"
	"fmt"
	"time"

	"github.com/dustin/go-humanize"
	"golang.org/x/sys/unix"

	"github.com/genie-cluster/genie/fsm"
)

// diskCheckInterval is how often the node measures its data dir's free
// space against MinFreeDisk.
const diskCheckInterval = 10 * time.Second

// FreeSpace is a minimum of free disk: the larger of Bytes and Percent of
// the file system.
type FreeSpace struct {
	Bytes   int64
	Percent float64
}

// of is the minimum on a file system of total bytes.
func (f FreeSpace) of(total uint64) uint64 {
	return max(uint64(max(f.Bytes, 0)), uint64(f.Percent/100*float64(total)))
}

func (f FreeSpace) String() string {
	switch {
	case f.Percent > 0 && f.Bytes > 0:
		return fmt.Sprintf("the larger of %g%% and %s", f.Percent, humanize.IBytes(uint64(f.Bytes)))
	case f.Percent > 0:
		return fmt.Sprintf("%g%%", f.Percent)
	}
	return humanize.IBytes(uint64(max(f.Bytes, 0)))
}

// statfs reports the free (to unprivileged writers) and total bytes of the
// file system holding path.
func statfs(path string) (free, total uint64, err error) {
	var st unix.Statfs_t
	if err := unix.Statfs(path, &st); err != nil {
		return 0, 0, err
	}
	return st.Bavail * uint64(st.Bsize), st.Blocks * uint64(st.Bsize), nil
}

// diskLowReason is why this node takes no new jobs for lack of disk, ""
// while it has room.
func (n *Node) diskLowReason() string {
	if v, ok := n.diskLow.Load().(string); ok {
		return v
	}
	return ""
}

// checkDisk measures the data dir's file system and, when it crosses
// MinFreeDisk either way, tells the cluster (gossip, then the leader's
// nodes table): below it the scheduler places nothing here.
func (n *Node) checkDisk() {
	measure := n.config.statfs
	if measure == nil {
		measure = statfs
	}
	free, total, err := measure(n.config.DataDir)
	if err != nil {
		n.logger.Warn("cannot measure the data dir's free space", "error", err)
		return
	}
	reason := ""
	if min := n.config.MinFreeDisk.of(total); free < min {
		reason = fmt.Sprintf("disk low: %s free on the data dir's file system, below -min-free-disk (%s)", humanize.IBytes(free), humanize.IBytes(min))
	}
	if reason != "" && n.IsLeader() {
		n.stepDownForDisk(reason)
	}
	if reason == n.diskLowReason() {
		return
	}
	n.diskLow.Store(reason)
	if reason != "" {
		n.logger.Warn("taking no new jobs", "reason", reason)
	} else {
		n.logger.Info("disk space is back: taking jobs again", "free", humanize.IBytes(free))
	}
	n.announce()
}

// stepDownForDisk hands leadership to another voter: the leader writes
// every entry first, and a log that cannot be written stops the cluster's
// writes until an election, so a node short of disk does not lead. A
// group with no other voter keeps it.
func (n *Node) stepDownForDisk(reason string) {
	if !n.stepDownPending.CompareAndSwap(false, true) {
		return
	}
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		defer n.stepDownPending.Store(false)
		n.logger.Warn("handing leadership to another node", "reason", reason)
		if err := n.raft.LeadershipTransfer().Error(); err != nil {
			n.logger.Warn("cannot hand leadership over", "error", err)
		}
	}()
}

// diskLoop checks the disk at start and then every diskCheckInterval.
func (n *Node) diskLoop() {
	defer n.wg.Done()
	n.checkDisk()
	n.every(n.config.diskCheckInterval, diskCheckInterval, n.checkDisk)
}

// HealthWarnings are what the node wants its health check to say while it
// serves: why it takes no new jobs.
func (n *Node) HealthWarnings() []string {
	var out []string
	if r := n.diskLowReason(); r != "" {
		out = append(out, r)
	}
	if n.raftStore != nil {
		if r := n.raftStore.writeFailure(); r != "" {
			out = append(out, r)
		}
	}
	return out
}

// requeueFromDiskLowNodes is the leader's duty towards nodes short of disk:
// a job placed on one before the cluster heard of it goes back to the
// queue. The node does the same with the jobs it is handed, but one whose
// raft log can no longer write is handed none.
func (n *Node) requeueFromDiskLowNodes(ctx context.Context) {
	state := n.State()
	for _, node := range state.Nodes() {
		if node.DiskLow == "" {
			continue
		}
		for _, j := range state.ActiveJobsOnNode(node.ID) {
			if ctx.Err() != nil {
				return
			}
			if j.Status == fsm.JobAccepted {
				n.requeueForDisk(ctx, j, node.DiskLow)
			}
		}
	}
}
