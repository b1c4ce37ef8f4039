package node

import (
	"context"
	"sort"
	"time"

	"github.com/hashicorp/raft"
)

const (
	// maxVoters bounds the voters: more only slow commits down.
	maxVoters = 5
	// reconcileInterval is how often the leader reconciles when nothing
	// prompts it, to catch what events missed (a dead node's grace ending).
	reconcileInterval = 2 * time.Second
	// caughtUpEntries is how far behind the leader's log a non-voter may be
	// and still be promoted.
	caughtUpEntries = 256
)

// monitorLeadership starts the leader's duties when this node gains
// leadership and stops them when it loses it.
func (n *Node) monitorLeadership() {
	defer n.wg.Done()
	var stop context.CancelFunc
	for {
		select {
		case <-n.shutdownCh:
			if stop != nil {
				stop()
			}
			return
		case isLeader := <-n.leaderCh:
			switch {
			case isLeader && stop == nil:
				var ctx context.Context
				ctx, stop = context.WithCancel(context.Background())
				n.wg.Add(1)
				go n.leaderLoop(ctx)
			case !isLeader && stop != nil:
				stop()
				stop = nil
			}
		}
	}
}

// leaderLoop runs the leader's duties: after a barrier (so the state is
// current), it keeps the raft configuration and the nodes table in step
// with gossip, settles the jobs of lost nodes and sends those placed on
// nodes short of disk back to the queue, and runs the scheduler.
func (n *Node) leaderLoop(ctx context.Context) {
	defer n.wg.Done()
	n.logger.Info("leadership gained")
	defer n.logger.Info("leadership lost")
	if err := n.waitFuture(ctx, n.raft.Barrier(n.config.ApplyTimeout)); err != nil {
		n.logger.Error("barrier failed", "error", err)
		return
	}
	leaderSince := time.Now()
	ticker := time.NewTicker(reconcileInterval)
	defer ticker.Stop()
	n.wg.Add(3)
	go n.scheduleLoop(ctx)
	go n.nudgeLoop(ctx)
	go n.retireLoop(ctx)
	for {
		n.reconcile(ctx, leaderSince)
		n.reconcileNodes(ctx)
		n.handleLostNodes(ctx, leaderSince)
		n.requeueFromDiskLowNodes(ctx)
		select {
		case <-ctx.Done():
			return
		case <-n.shutdownCh:
			return
		case <-ticker.C:
		case <-n.reconcileCh:
		}
	}
}

// reconcile brings the raft configuration in step with gossip, one change
// at a time: each change is conditional on the configuration it was decided
// from (raft's prevIndex), so a change decided on a stale view fails
// instead of undoing a newer one (such as re-adding a server that just
// left).
func (n *Node) reconcile(ctx context.Context, leaderSince time.Time) {
	for i := 0; i < 32; i++ {
		f := n.raft.GetConfiguration()
		if err := f.Error(); err != nil {
			n.logger.Error("reconcile: read raft configuration", "error", err)
			return
		}
		change := n.nextConfigChange(ctx, f.Configuration().Servers, f.Index(), leaderSince)
		if change == nil {
			return
		}
		if err := change(); err != nil {
			n.logger.Warn("raft configuration change failed", "error", err)
			return
		}
	}
}

// nextConfigChange decides the most urgent change, or nil when the
// configuration is as it should be: a member's new address, joined members
// as non-voters, removal of members that left or stayed dead past the grace
// period (never when that would cost quorum), then the voters.
func (n *Node) nextConfigChange(ctx context.Context, servers []raft.Server, index uint64, leaderSince time.Time) func() error {
	timeout := n.config.ApplyTimeout
	inConfig := make(map[raft.ServerID]raft.Server, len(servers))
	for _, s := range servers {
		inConfig[s.ID] = s
	}
	members := n.members.list()
	byID := make(map[raft.ServerID]member, len(members))
	for _, m := range members {
		byID[raft.ServerID(m.Meta.ID)] = m
	}

	for _, m := range members {
		id := raft.ServerID(m.Meta.ID)
		if m.Status != "alive" || m.Meta.Draining || m.Meta.Raft == "" {
			continue
		}
		s, ok := inConfig[id]
		if holder, taken := holderOf(servers, raft.ServerAddress(m.Meta.Raft)); taken && holder.ID != id {
			// Another server id holds this address: the node there was
			// replaced (its data dir wiped), so the old id is gone for good.
			return func() error {
				n.logger.Info("removing a server whose address a new node took", "old_id", holder.ID, "member", m.Name, "new_id", id)
				return n.raft.RemoveServer(holder.ID, index, timeout).Error()
			}
		}
		switch {
		case !ok:
			return func() error {
				n.logger.Info("adding a member to raft as a non-voter", "member", m.Name, "id", id)
				return n.raft.AddNonvoter(id, raft.ServerAddress(m.Meta.Raft), index, timeout).Error()
			}
		case s.Address != raft.ServerAddress(m.Meta.Raft):
			// Restarted with a new address (a new container IP): raft takes
			// the new address for the same server id.
			add := n.raft.AddNonvoter
			if s.Suffrage == raft.Voter {
				add = n.raft.AddVoter
			}
			return func() error {
				n.logger.Info("a member's raft address changed", "member", m.Name, "from", s.Address, "to", m.Meta.Raft)
				return add(id, raft.ServerAddress(m.Meta.Raft), index, timeout).Error()
			}
		}
	}

	for _, s := range servers {
		if s.ID == raft.ServerID(n.id) {
			continue
		}
		m, known := byID[s.ID]
		if known && (m.Status == "alive" || m.Status == "suspect") {
			continue
		}
		why := "left the cluster"
		if !known && n.unknownServerAnswers(s) {
			continue
		}
		if !known || m.Status != "left" {
			since := leaderSince
			if known && m.Since.After(since) {
				since = m.Since
			}
			if time.Since(since) < n.config.DeadServerGrace {
				continue
			}
			if s.Suffrage == raft.Voter && !n.quorumSurvivesRemoval(servers, byID, s.ID) {
				n.logger.Warn("a dead voter stays: removing it would cost quorum", "id", s.ID)
				continue
			}
			why = "dead past the grace period"
		}
		s, name := s, m.Name
		return func() error {
			n.logger.Info("removing a server from raft", "id", s.ID, "member", name, "reason", why)
			if err := n.raft.RemoveServer(s.ID, index, timeout).Error(); err != nil {
				return err
			}
			n.members.forget(string(s.ID))
			return n.forgetNode(string(s.ID))
		}
	}
	return n.voterChange(ctx, servers, index)
}

// holderOf finds the server at addr.
func holderOf(servers []raft.Server, addr raft.ServerAddress) (raft.Server, bool) {
	for _, s := range servers {
		if s.Address == addr {
			return s, true
		}
	}
	return raft.Server{}, false
}

// quorumSurvivesRemoval reports whether the voters still alive after
// removing id form a majority of the voters that remain.
func (n *Node) quorumSurvivesRemoval(servers []raft.Server, byID map[raft.ServerID]member, id raft.ServerID) bool {
	voters, alive := 0, 0
	for _, s := range servers {
		if s.Suffrage != raft.Voter || s.ID == id {
			continue
		}
		voters++
		m, known := byID[s.ID]
		if s.ID == raft.ServerID(n.id) || m.Status == "alive" || (!known && n.unknownServerAnswers(s)) {
			alive++
		}
	}
	return voters > 0 && alive > voters/2
}

// voterChange decides a promotion or demotion: the group keeps the largest
// odd number of voters up to maxVoters among its servers, promoting
// caught-up non-voters from the zones with the fewest voters first. Voters
// are demoted only while every voter is healthy: with one down, demoting a
// healthy one could leave no quorum (a dead voter goes by removal instead).
func (n *Node) voterChange(ctx context.Context, servers []raft.Server, index uint64) func() error {
	timeout := n.config.ApplyTimeout
	healthy := func(s raft.Server) (member, bool) {
		m, ok := n.members.get(string(s.ID))
		if s.ID == raft.ServerID(n.id) {
			return m, !n.draining.Load()
		}
		return m, ok && m.Status == "alive" && !m.Meta.Draining
	}
	voters, unhealthyVoters := 0, 0
	zoneVoters := map[string]int{}
	var candidates, demotable []raft.Server
	for _, s := range servers {
		m, ok := healthy(s)
		switch {
		case s.Suffrage == raft.Voter:
			voters++
			zoneVoters[m.Meta.Zone]++
			if !ok {
				unhealthyVoters++
			} else if s.ID != raft.ServerID(n.id) {
				demotable = append(demotable, s)
			}
		case ok:
			candidates = append(candidates, s)
		}
	}
	target := min(maxVoters, len(servers))
	if target%2 == 0 {
		target--
	}
	target = max(target, 1)
	zoneOf := func(s raft.Server) string { m, _ := n.members.get(string(s.ID)); return m.Meta.Zone }

	if voters < target {
		sort.SliceStable(candidates, func(i, j int) bool {
			return zoneVoters[zoneOf(candidates[i])] < zoneVoters[zoneOf(candidates[j])]
		})
		for _, s := range candidates {
			if n.caughtUp(ctx, s) {
				s := s
				return func() error {
					n.logger.Info("promoting a caught-up non-voter", "id", s.ID, "voters", voters, "target", target)
					return n.raft.AddVoter(s.ID, s.Address, index, timeout).Error()
				}
			}
		}
	}
	if voters > target && unhealthyVoters == 0 && len(demotable) > 0 {
		sort.SliceStable(demotable, func(i, j int) bool {
			return zoneVoters[zoneOf(demotable[i])] > zoneVoters[zoneOf(demotable[j])]
		})
		s := demotable[0]
		return func() error {
			n.logger.Info("demoting a voter to keep the voters odd and few", "id", s.ID, "voters", voters, "target", target)
			return n.raft.DemoteVoter(s.ID, index, timeout).Error()
		}
	}
	return nil
}

// caughtUp asks a server how far it has applied the log.
func (n *Node) caughtUp(ctx context.Context, s raft.Server) bool {
	m, ok := n.members.get(string(s.ID))
	if !ok {
		return false
	}
	self, err := n.peerSelf(ctx, m.Meta.API)
	if err != nil {
		n.logger.Debug("cannot read a server's progress", "id", s.ID, "error", err)
		return false
	}
	last := n.raft.LastIndex()
	return self.AppliedIndex+caughtUpEntries >= last
}
