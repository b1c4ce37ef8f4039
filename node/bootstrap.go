package node

import (
	"errors"
	"sort"

	"github.com/hashicorp/raft"
)

// maybeBootstrap bootstraps the raft group once BootstrapExpect nodes that
// expect the same number are alive in gossip and none of them has raft
// state, the way Consul and Nomad do it: every such node bootstraps with the
// same configuration, which raft accepts as one group. A node that sees a
// member with raft state waits to be added by that group's leader instead.
func (n *Node) maybeBootstrap() {
	expect := n.config.BootstrapExpect
	if expect <= 1 || n.hasRaftState() {
		// 1 bootstraps at start-up (or, with -join, not at all).
		return
	}
	var servers []raft.Server
	for _, m := range n.members.list() {
		if m.Status != "alive" {
			continue
		}
		if m.Meta.Expect != expect {
			n.logger.Error("a member expects a different number of servers: not bootstrapping; start every node with the same -bootstrap-expect",
				"member", m.Name, "member_expect", m.Meta.Expect, "expect", expect)
			return
		}
		if m.Meta.Bootstrapped {
			n.logger.Info("a member already has raft state: waiting for its leader to add this node", "member", m.Name)
			return
		}
		servers = append(servers, raft.Server{ID: raft.ServerID(m.Meta.ID), Address: raft.ServerAddress(m.Meta.Raft), Suffrage: raft.Voter})
	}
	if len(servers) < expect {
		return
	}
	sort.Slice(servers, func(i, j int) bool { return servers[i].ID < servers[j].ID })
	err := n.raft.BootstrapCluster(raft.Configuration{Servers: servers}).Error()
	switch {
	case err == nil:
		n.logger.Info("bootstrapped the raft group", "servers", len(servers))
	case errors.Is(err, raft.ErrCantBootstrap):
		// State arrived meanwhile (a leader reached this node first).
	default:
		n.logger.Error("bootstrap failed", "error", err)
		return
	}
	n.bootstrapped.Store(true)
	n.announce()
}

// bootstrapLoop tries to bootstrap whenever gossip membership changes,
// until this node has raft state.
func (n *Node) bootstrapLoop() {
	defer n.wg.Done()
	for !n.hasRaftState() {
		select {
		case <-n.shutdownCh:
			return
		case <-n.bootstrapCh:
			n.maybeBootstrap()
		}
	}
}

// hasRaftState reports whether this node is, or has been, part of a raft
// group.
func (n *Node) hasRaftState() bool {
	if n.bootstrapped.Load() {
		return true
	}
	if n.raft.LastIndex() > 0 {
		n.bootstrapped.Store(true)
		return true
	}
	return false
}
