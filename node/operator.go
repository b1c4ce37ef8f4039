package node

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/raft"

	"github.com/genie-cluster/genie/api"
	"github.com/genie-cluster/genie/fsm"
	"github.com/genie-cluster/genie/transport"
)

var _ transport.Operator = (*Node)(nil)

// Members lists the nodes gossip knows, with their load and draining as
// the replicated state has them.
func (n *Node) Members() []api.Member {
	state := n.State()
	queued := state.QueueLength()
	var out []api.Member
	for _, m := range n.members.list() {
		am := api.Member{
			Name: m.Name, ID: m.Meta.ID, Address: m.Meta.API, RaftAddress: m.Meta.Raft,
			GossipAddress: m.Addr, Status: m.Status, RaftRole: n.raftRole(raft.ServerID(m.Meta.ID)),
			MaxJobs: m.Meta.MaxJobs, MaxMemory: int64(m.Meta.MaxMem),
			Draining: m.Meta.Draining, DiskLow: m.Meta.DiskLow, Zone: m.Meta.Zone, QueuedJobs: queued,
		}
		jobs, mem := state.NodeUsage(m.Meta.ID)
		am.RunningJobs, am.UsedMemory = jobs, int64(mem)
		if m.Meta.ID == n.id {
			am.Draining, am.DiskLow = n.draining.Load(), n.diskLowReason()
		}
		out = append(out, am)
	}
	return out
}

// raftRole names a server's part in the group: leader, follower,
// candidate, nonvoter, or none when it is not in the configuration.
func (n *Node) raftRole(id raft.ServerID) string {
	cfg := n.raft.GetConfiguration()
	if cfg.Error() == nil {
		found := false
		for _, s := range cfg.Configuration().Servers {
			if s.ID == id {
				found = true
				if s.Suffrage != raft.Voter {
					return "nonvoter"
				}
			}
		}
		if !found {
			return "none"
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

// RaftPeers lists the raft configuration with how far each server has
// applied the log, asked of each server in parallel.
func (n *Node) RaftPeers(ctx context.Context) ([]api.RaftPeer, error) {
	f := n.raft.GetConfiguration()
	if err := f.Error(); err != nil {
		return nil, err
	}
	servers := f.Configuration().Servers
	out := make([]api.RaftPeer, len(servers))
	var wg sync.WaitGroup
	for i, s := range servers {
		out[i] = api.RaftPeer{ID: string(s.ID), Address: string(s.Address), State: n.raftRole(s.ID), Voter: s.Suffrage == raft.Voter}
		m, known := n.members.get(string(s.ID))
		if known {
			out[i].Node = m.Name
		}
		if string(s.ID) == n.id {
			out[i].Node = n.config.NodeName
			out[i].CommitIndex = n.raft.AppliedIndex()
			continue
		}
		if !known || m.Meta.API == "" || m.Status != "alive" {
			continue
		}
		wg.Add(1)
		go func(i int, addr string) {
			defer wg.Done()
			if self, err := n.peerSelf(ctx, addr); err == nil {
				out[i].CommitIndex = self.AppliedIndex
			}
		}(i, m.Meta.API)
	}
	wg.Wait()
	var leaderIndex uint64
	for _, p := range out {
		if p.State == "leader" {
			leaderIndex = p.CommitIndex
		}
	}
	for i := range out {
		if out[i].CommitIndex < leaderIndex {
			out[i].TrailsLeaderBy = leaderIndex - out[i].CommitIndex
		}
	}
	return out, nil
}

// RemoveRaftPeer removes a server from the raft configuration. Only the
// leader can: a follower passes the request on.
func (n *Node) RemoveRaftPeer(ctx context.Context, id string) error {
	if !n.IsLeader() {
		return n.operatorOnLeader(ctx, "/v1/operator/raft/remove-peer?id="+url.QueryEscape(id))
	}
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
	if !n.IsLeader() {
		q := ""
		if id != "" {
			q = "?id=" + url.QueryEscape(id)
		}
		return n.operatorOnLeader(ctx, "/v1/operator/raft/transfer-leader"+q)
	}
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

// operatorOnLeader sends an operator request to the leader and returns its
// answer as an error of the same kind.
func (n *Node) operatorOnLeader(ctx context.Context, pathAndQuery string) error {
	addr := n.leaderAPI()
	if addr == "" {
		return &transport.UnavailableError{Reason: "no raft leader", RetryAfter: time.Second}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, n.peerURL(addr, pathAndQuery), nil)
	if err != nil {
		return err
	}
	req.Header.Set(transport.ForwardedFromHeader, n.config.NodeName)
	transport.ForwardToken(ctx, req)
	resp, err := n.internal.Do(req)
	if err != nil {
		return &transport.UnavailableError{Reason: fmt.Sprintf("leader %s does not answer: %v", addr, err), RetryAfter: time.Second}
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 == 2 {
		return nil
	}
	var body struct {
		Message string `json:"message"`
	}
	json.NewDecoder(resp.Body).Decode(&body)
	switch resp.StatusCode {
	case http.StatusNotFound:
		return fsm.Errorf(fsm.ErrCodeNotFound, "%s", body.Message)
	case http.StatusPreconditionFailed:
		return fsm.Errorf(fsm.ErrCodeInvalid, "%s", body.Message)
	}
	return &transport.UnavailableError{Reason: fmt.Sprintf("leader answered %d: %s", resp.StatusCode, body.Message), RetryAfter: time.Second}
}
