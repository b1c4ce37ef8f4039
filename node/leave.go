package node

import (
	"context"
	"net/url"
	"time"

	"github.com/hashicorp/raft"

	"github.com/genie-cluster/genie/fsm"
)

// MsgNodeLeft ends the jobs still running when a leaving node's drain time
// is up.
const MsgNodeLeft = "Job was killed: its node left the cluster."

// Leave takes the node out of the cluster gracefully, as an auto-scaling
// group retires an instance: it stops taking jobs (new submissions go to
// peers), waits for its running jobs up to DrainTimeout and kills those
// left, hands raft leadership to another voter if it holds it, leaves the
// raft group and the gossip ring, and shuts down.
func (n *Node) Leave() error {
	n.logger.Info("leaving the cluster: draining", "drain_timeout", n.config.DrainTimeout)
	n.draining.Store(true)
	// When this node leads, its own row in the nodes table changes now.
	n.membersChanged()
	// Peers must know before this node leaves raft, or the leader would add
	// it straight back: wait for the broadcast.
	if n.gossip != nil {
		if err := n.gossip.UpdateNode(2 * time.Second); err != nil {
			n.logger.Warn("could not gossip that this node is leaving", "error", err)
		}
	}
	n.drain()

	if n.otherServers() > 0 {
		if n.otherVoters() == 0 && n.IsLeader() {
			// The only voter must hand its vote on, or those staying have
			// no quorum at all.
			n.promoteSuccessor()
		}
		if n.IsLeader() && n.otherVoters() > 0 {
			if err := n.raft.LeadershipTransfer().Error(); err != nil {
				n.logger.Warn("leadership transfer failed; leaving as leader", "error", err)
			}
		}
		if err := n.leaveRaft(); err != nil {
			n.logger.Error("could not leave the raft group; the leader removes this node when gossip reports it left", "error", err)
		}
	}
	if n.gossip != nil {
		n.leaving.Store(true)
		if err := n.gossip.UpdateNode(2 * time.Second); err != nil {
			n.logger.Warn("could not gossip that this node is leaving", "error", err)
		}
		if err := n.gossip.Leave(5 * time.Second); err != nil {
			n.logger.Warn("gossip leave", "error", err)
		}
	}
	return n.Shutdown()
}

// drain waits for this node's jobs to end, up to DrainTimeout, then kills
// the rest so none is left RUNNING on a node that is gone.
func (n *Node) drain() {
	deadline := time.Now().Add(n.config.DrainTimeout)
	for {
		if running, _ := n.State().NodeUsage(n.id); running == 0 {
			return
		}
		if time.Now().After(deadline) {
			break
		}
		select {
		case <-n.shutdownCh:
			return
		case <-time.After(100 * time.Millisecond):
		}
	}
	active := n.State().ActiveJobsOnNode(n.id)
	n.logger.Warn("drain time is up: killing the jobs still running", "jobs", len(active))
	for _, j := range active {
		if err := n.runner.Kill(j.ID, MsgNodeLeft); err != nil {
			code := fsm.ExitCodeKilled
			ctx, cancel := context.WithTimeout(context.Background(), n.config.ApplyTimeout)
			n.Apply(ctx, fsm.JobTransitionRequestType, &fsm.JobTransitionRequest{
				ID: j.ID, From: []fsm.JobStatus{fsm.JobAccepted}, To: fsm.JobKilled, StatusMsg: MsgNodeLeft,
				ExitCode: &code, Time: time.Now().UnixMilli(), ArchiveStatus: fsm.ArchiveNoFiles,
			})
			cancel()
		}
	}
	deadline = time.Now().Add(n.config.KillGrace + 5*time.Second)
	for time.Now().Before(deadline) {
		if running, _ := n.State().NodeUsage(n.id); running == 0 {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// otherServers counts the servers besides this node.
func (n *Node) otherServers() int {
	f := n.raft.GetConfiguration()
	if f.Error() != nil {
		return 0
	}
	count := 0
	for _, s := range f.Configuration().Servers {
		if s.ID != raft.ServerID(n.id) {
			count++
		}
	}
	return count
}

// promoteSuccessor makes the most caught-up live non-voter a voter, for a
// sole voter about to leave.
func (n *Node) promoteSuccessor() {
	f := n.raft.GetConfiguration()
	if f.Error() != nil {
		return
	}
	var best raft.Server
	var bestIndex uint64
	for _, s := range f.Configuration().Servers {
		if s.Suffrage == raft.Voter {
			continue
		}
		m, ok := n.members.get(string(s.ID))
		if !ok || m.Status != "alive" {
			continue
		}
		self, err := n.peerSelf(context.Background(), m.Meta.API)
		if err != nil {
			continue
		}
		if best.ID == "" || self.AppliedIndex > bestIndex {
			best, bestIndex = s, self.AppliedIndex
		}
	}
	if best.ID == "" {
		n.logger.Warn("no live non-voter to take over the vote: the nodes staying will have no quorum")
		return
	}
	n.logger.Info("promoting a successor before leaving as the only voter", "id", best.ID)
	if err := n.raft.AddVoter(best.ID, best.Address, f.Index(), n.config.ApplyTimeout).Error(); err != nil {
		n.logger.Error("promoting a successor failed", "id", best.ID, "error", err)
	}
}

// otherVoters counts the voters besides this node.
func (n *Node) otherVoters() int {
	f := n.raft.GetConfiguration()
	if f.Error() != nil {
		return 0
	}
	count := 0
	for _, s := range f.Configuration().Servers {
		if s.Suffrage == raft.Voter && s.ID != raft.ServerID(n.id) {
			count++
		}
	}
	return count
}

// leaveRaft asks the leader to remove this node from the configuration.
func (n *Node) leaveRaft() error {
	deadline := time.Now().Add(n.config.LeaderHold)
	for {
		var err error
		if n.IsLeader() {
			err = n.raft.RemoveServer(raft.ServerID(n.id), 0, n.config.ApplyTimeout).Error()
		} else {
			err = n.askLeaderToRemove()
		}
		if err == nil {
			n.logger.Info("left the raft group")
			return nil
		}
		if time.Now().After(deadline) {
			return err
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (n *Node) askLeaderToRemove() error {
	ctx, cancel := context.WithTimeout(context.Background(), n.config.ApplyTimeout)
	defer cancel()
	return n.operatorOnLeader(ctx, "/v1/operator/raft/remove-peer?id="+url.QueryEscape(n.id))
}
