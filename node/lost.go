package node

import (
	"context"
	"strings"
	"time"

	"github.com/genie-cluster/genie/fsm"
)

// lostTokenPrefix starts the token of the transition that ends a job of a
// lost node, so the node, if it comes back, knows to stop what is left.
const lostTokenPrefix = "lost/"

// declaredLost reports whether the leader ended j because its node was lost.
func declaredLost(j *fsm.Job) bool {
	return strings.HasPrefix(j.LastToken, lostTokenPrefix)
}

// lostNodes returns the nodes holding unfinished jobs that the leader gives
// up on: gone from gossip (dead, or never seen since this node leads) for
// NodeLostGrace, or left the cluster. A node that comes back within the
// grace period keeps its jobs.
func (n *Node) lostNodes(jobs []*fsm.Job, leaderSince time.Time) map[string]bool {
	lost := make(map[string]bool)
	checked := make(map[string]bool)
	for _, j := range jobs {
		if j.Node == "" || j.Node == n.id || checked[j.Node] {
			continue
		}
		checked[j.Node] = true
		m, known := n.members.get(j.Node)
		switch {
		case known && (m.Status == "alive" || m.Status == "suspect"):
			continue
		case known && m.Status == "left":
			lost[j.Node] = true
			continue
		}
		since := leaderSince
		if known && m.Since.After(since) {
			since = m.Since
		}
		if time.Since(since) >= n.config.NodeLostGrace {
			lost[j.Node] = true
		}
	}
	return lost
}

// handleLostNodes is the leader's duty towards the jobs of lost nodes: a
// job that had not started goes back to the queue, ahead of everything its
// user submitted since, and the scheduler places it on a live node; one
// that had started is ended FAILED, since nothing is left to tell how it
// went. Both are compare-and-set on the job's node and status, so a node
// that claimed or finished the job meanwhile wins.
func (n *Node) handleLostNodes(ctx context.Context, leaderSince time.Time) {
	active := n.State().ActiveJobs()
	lost := n.lostNodes(active, leaderSince)
	if len(lost) == 0 {
		return
	}
	for _, j := range active {
		if j.Node == "" || !lost[j.Node] || ctx.Err() != nil {
			continue
		}
		var err error
		switch {
		case j.Status == fsm.JobAccepted && j.PinnedNode == "":
			err = n.requeue(ctx, j)
		default:
			err = n.failLost(ctx, j)
		}
		if err != nil && fsm.CodeOf(err) != fsm.ErrCodeStatus {
			n.logger.Warn("cannot settle a job of a lost node", "job", j.ID, "node", j.NodeName, "error", err)
			return
		}
	}
}

// requeue sends an unstarted job of a lost node back to the queue.
func (n *Node) requeue(ctx context.Context, j *fsm.Job) error {
	n.logger.Info("sending a job of a lost node back to the queue", "job", j.ID, "from", j.NodeName)
	_, err := n.Apply(ctx, fsm.JobReassignRequestType, &fsm.JobReassignRequest{
		ID: j.ID, FromNode: j.Node, StatusMsg: fsm.MsgRequeuedLost, Time: time.Now().UnixMilli(),
	})
	if err == nil {
		n.metrics.jobsReassigned.Inc()
	}
	return err
}

// failLost ends a started (or pinned) job of a lost node.
func (n *Node) failLost(ctx context.Context, j *fsm.Job) error {
	n.logger.Warn("ending a job of a lost node", "job", j.ID, "node", j.NodeName, "status", j.Status)
	code := fsm.ExitCodeLost
	_, err := n.Apply(ctx, fsm.JobTransitionRequestType, &fsm.JobTransitionRequest{
		// ACCEPTED only for a pinned job: its attachments were on that node.
		ID: j.ID, From: []fsm.JobStatus{fsm.JobAccepted, fsm.JobInit, fsm.JobRunning}, To: fsm.JobFailed,
		Node: j.Node, StatusMsg: fsm.MsgNodeLost, ExitCode: &code, Time: time.Now().UnixMilli(),
		// The directory is on the lost node: if it returns, it archives it.
		ArchiveStatus: fsm.ArchiveFailed,
		ArchiveMsg:    "the job directory stayed on the lost node " + j.NodeName + "; it archives it if it returns",
		Token:         lostTokenPrefix + j.Node + "/" + j.ID,
	})
	if err == nil {
		n.metrics.jobsLost.Inc()
	}
	return err
}
