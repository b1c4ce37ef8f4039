package node

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/hashicorp/raft"

	"github.com/genie-cluster/genie/api"
	"github.com/genie-cluster/genie/fsm"
	"github.com/genie-cluster/genie/transport"
)

var _ transport.Operator = (*Node)(nil)

// Members lists the nodes this node knows of: itself, with its load.
func (n *Node) Members() []api.Member {
	jobs, mem := n.capacity.usage()
	return []api.Member{{
		Name:        n.config.NodeName,
		ID:          n.id,
		Address:     n.httpAddr,
		RaftAddress: string(n.raftTransport.LocalAddr()),
		Status:      "alive",
		RaftRole:    n.raftRole(raft.ServerID(n.id)),
		RunningJobs: jobs,
		MaxJobs:     n.config.MaxJobs,
		UsedMemory:  int64(mem),
		MaxMemory:   int64(n.config.MaxMemory),
	}}
}

// raftRole names a server's part in the group: leader, follower,
// candidate or nonvoter.
func (n *Node) raftRole(id raft.ServerID) string {
	cfg := n.raft.GetConfiguration()
	if cfg.Error() == nil {
		for _, s := range cfg.Configuration().Servers {
			if s.ID == id && s.Suffrage != raft.Voter {
				return "nonvoter"
			}
		}
	}
	if id == raft.ServerID(n.id) {
		return strings.ToLower(n.raft.State().String())
	}
	if _, leader := n.raft.LeaderWithID(); leader == id {
		return "leader"
	}
	return "follower"
}

// RaftPeers lists the raft configuration. This node's progress is its own;
// the others' is what this node can see of them.
func (n *Node) RaftPeers(ctx context.Context) ([]api.RaftPeer, error) {
	f := n.raft.GetConfiguration()
	if err := f.Error(); err != nil {
		return nil, err
	}
	stats := n.raft.Stats()
	commit, _ := strconv.ParseUint(stats["commit_index"], 10, 64)
	var out []api.RaftPeer
	for _, s := range f.Configuration().Servers {
		p := api.RaftPeer{
			ID:      string(s.ID),
			Address: string(s.Address),
			State:   n.raftRole(s.ID),
			Voter:   s.Suffrage == raft.Voter,
		}
		if s.ID == raft.ServerID(n.id) {
			p.Node = n.config.NodeName
			p.CommitIndex = commit
		}
		out = append(out, p)
	}
	return out, nil
}

// RemoveRaftPeer removes a server from the raft configuration; only the
// leader can.
func (n *Node) RemoveRaftPeer(ctx context.Context, id string) error {
	f := n.raft.GetConfiguration()
	if err := f.Error(); err != nil {
		return err
	}
	found := false
	for _, s := range f.Configuration().Servers {
		found = found || s.ID == raft.ServerID(id)
	}
	if !found {
		return fsm.Errorf(fsm.ErrCodeNotFound, "no raft peer with id %s", id)
	}
	if err := n.raft.RemoveServer(raft.ServerID(id), 0, n.config.ApplyTimeout).Error(); err != nil {
		return mapRaftError(fmt.Errorf("remove raft peer %s: %w", id, err))
	}
	return nil
}

// TransferLeadership hands leadership to server id, or to the most
// up-to-date voter when id is empty.
func (n *Node) TransferLeadership(ctx context.Context, id string) error {
	cfg := n.raft.GetConfiguration()
	if err := cfg.Error(); err != nil {
		return err
	}
	voters := 0
	for _, s := range cfg.Configuration().Servers {
		if s.Suffrage == raft.Voter {
			voters++
		}
	}
	if voters < 2 {
		return fsm.Errorf(fsm.ErrCodeInvalid, "no other voter to hand leadership to")
	}
	var f raft.Future
	if id == "" {
		f = n.raft.LeadershipTransfer()
	} else {
		var addr raft.ServerAddress
		for _, s := range cfg.Configuration().Servers {
			if s.ID == raft.ServerID(id) {
				addr = s.Address
			}
		}
		if addr == "" {
			return fsm.Errorf(fsm.ErrCodeNotFound, "no raft peer with id %s", id)
		}
		f = n.raft.LeadershipTransferToServer(raft.ServerID(id), addr)
	}
	if err := f.Error(); err != nil {
		return mapRaftError(fmt.Errorf("transfer leadership: %w", err))
	}
	return nil
}
