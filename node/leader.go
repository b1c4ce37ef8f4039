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
// current), it keeps the raft configuration in step with gossip.
func (n *Node) leaderLoop(ctx context.Context) {
	defer n.wg.Done()
	n.logger.Info("leadership gained")
	defer n.logger.Info("leadership lost")
	if err := n.raft.Barrier(n.config.ApplyTimeout).Error(); err != nil {
		n.logger.Error("barrier failed", "error", err)
		return
	}
	leaderSince := time.Now()
	ticker := time.NewTicker(reconcileInterval)
	defer ticker.Stop()
	for {
		n.reconcile(ctx, leaderSince)
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

// reconcile adds gossip members to the raft configuration as non-voters,
// removes members that left or stayed dead past the grace period (never
// when that would cost quorum), and keeps an odd number of voters, at most
// maxVoters, spread over zones.
func (n *Node) reconcile(ctx context.Context, leaderSince time.Time) {
	f := n.raft.GetConfiguration()
	if err := f.Error(); err != nil {
		n.logger.Error("reconcile: read raft configuration", "error", err)
		return
	}
	servers := f.Configuration().Servers
	inConfig := make(map[raft.ServerID]raft.Server, len(servers))
	for _, s := range servers {
		inConfig[s.ID] = s
	}
	members := n.members.list()
	byID := make(map[raft.ServerID]member, len(members))
	for _, m := range members {
		byID[raft.ServerID(m.Meta.ID)] = m
	}

	// Joined: add as non-voters; they are promoted once caught up.
	for _, m := range members {
		id := raft.ServerID(m.Meta.ID)
		if m.Status != "alive" || m.Meta.Draining {
			continue
		}
		if _, ok := inConfig[id]; ok {
			continue
		}
		n.logger.Info("adding a member to raft as a non-voter", "member", m.Name, "id", id)
		if err := n.raft.AddNonvoter(id, raft.ServerAddress(m.Meta.Raft), 0, n.config.ApplyTimeout).Error(); err != nil {
			n.logger.Error("add non-voter failed", "member", m.Name, "error", err)
		}
	}

	// Left or dead past the grace period: remove.
	for _, s := range servers {
		if s.ID == raft.ServerID(n.id) {
			continue
		}
		m, known := byID[s.ID]
		switch {
		case known && m.Status == "left":
			n.removeServer(s, m.Name, "left the cluster")
		case known && m.Status == "alive", known && m.Status == "suspect":
		default:
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
			n.removeServer(s, m.Name, "dead past the grace period")
		}
	}
	n.balanceVoters(ctx)
}

func (n *Node) removeServer(s raft.Server, name, why string) {
	n.logger.Info("removing a server from raft", "id", s.ID, "member", name, "reason", why)
	if err := n.raft.RemoveServer(s.ID, 0, n.config.ApplyTimeout).Error(); err != nil {
		n.logger.Error("remove server failed", "id", s.ID, "error", err)
		return
	}
	n.members.forget(string(s.ID))
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
		if s.ID == raft.ServerID(n.id) || byID[s.ID].Status == "alive" {
			alive++
		}
	}
	return voters > 0 && alive > voters/2
}

// balanceVoters promotes caught-up non-voters and demotes extra voters so
// the group has the largest odd number of voters up to maxVoters among its
// healthy servers, preferring zones with fewer voters.
func (n *Node) balanceVoters(ctx context.Context) {
	f := n.raft.GetConfiguration()
	if f.Error() != nil {
		return
	}
	servers := f.Configuration().Servers
	healthy := 0
	voters := 0
	zoneVoters := map[string]int{}
	var candidates, demotable []raft.Server
	for _, s := range servers {
		m, ok := n.members.get(string(s.ID))
		alive := s.ID == raft.ServerID(n.id) || (ok && m.Status == "alive" && !m.Meta.Draining)
		if alive {
			healthy++
		}
		if s.Suffrage == raft.Voter {
			voters++
			zoneVoters[m.Meta.Zone]++
			if alive && s.ID != raft.ServerID(n.id) {
				demotable = append(demotable, s)
			}
		} else if alive {
			candidates = append(candidates, s)
		}
	}
	target := min(maxVoters, healthy)
	if target%2 == 0 {
		target--
	}
	if target < 1 {
		target = 1
	}
	zoneOf := func(s raft.Server) string { m, _ := n.members.get(string(s.ID)); return m.Meta.Zone }
	// Promote from the zone with the fewest voters first.
	sort.SliceStable(candidates, func(i, j int) bool {
		return zoneVoters[zoneOf(candidates[i])] < zoneVoters[zoneOf(candidates[j])]
	})
	for _, s := range candidates {
		if voters >= target {
			break
		}
		if !n.caughtUp(ctx, s) {
			continue
		}
		n.logger.Info("promoting a caught-up non-voter", "id", s.ID)
		if err := n.raft.AddVoter(s.ID, s.Address, 0, n.config.ApplyTimeout).Error(); err != nil {
			n.logger.Error("promotion failed", "id", s.ID, "error", err)
			continue
		}
		voters++
		zoneVoters[zoneOf(s)]++
	}
	// Demote from the zone with the most voters first.
	sort.SliceStable(demotable, func(i, j int) bool {
		return zoneVoters[zoneOf(demotable[i])] > zoneVoters[zoneOf(demotable[j])]
	})
	for _, s := range demotable {
		if voters <= target {
			break
		}
		n.logger.Info("demoting a voter to keep the voters odd and few", "id", s.ID, "voters", voters, "target", target)
		if err := n.raft.DemoteVoter(s.ID, 0, n.config.ApplyTimeout).Error(); err != nil {
			n.logger.Error("demotion failed", "id", s.ID, "error", err)
			continue
		}
		voters--
		zoneVoters[zoneOf(s)]--
	}
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
