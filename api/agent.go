package api

import (
	"context"
	"net/http"
)

// Member is a node of the cluster as gossip sees it, with its load.
type Member struct {
	Name string `json:"name"`
	ID   string `json:"id"`
	// Address is the node's API address.
	Address       string `json:"address"`
	RaftAddress   string `json:"raftAddress"`
	GossipAddress string `json:"gossipAddress"`
	// Status is the gossip status: alive, suspect, dead or left.
	Status string `json:"status"`
	// RaftRole is leader, follower, candidate or nonvoter.
	RaftRole    string `json:"raftRole"`
	RunningJobs int    `json:"runningJobs"`
	MaxJobs     int    `json:"maxJobs"`
	// UsedMemory and MaxMemory are in MB.
	UsedMemory int64 `json:"usedMemory"`
	MaxMemory  int64 `json:"maxMemory"`
	Draining   bool  `json:"draining"`
	// DiskLow, when set, says why the node takes no new jobs: its disk is
	// below -min-free-disk.
	DiskLow string `json:"diskLow,omitempty"`
	Zone    string `json:"zone"`
	// QueuedJobs is the length of the cluster's queue: jobs accepted and
	// waiting for room on any node. Every member reports the same.
	QueuedJobs int `json:"queuedJobs"`
}

// Agent calls the endpoints about the node answering and its view of the
// cluster.
type Agent struct {
	c *Client
}

// Agent returns the agent endpoints.
func (c *Client) Agent() *Agent { return &Agent{c: c} }

// Health reports whether the node is serving: nil when it answers 2xx to
// GET /v1/health.
func (a *Agent) Health(ctx context.Context) error {
	_, err := a.c.write(ctx, http.MethodGet, "/v1/health", nil, nil, nil)
	return err
}

// Members returns every node the answering node knows of.
func (a *Agent) Members(ctx context.Context) ([]Member, error) {
	return getList[Member](ctx, a.c, "/v1/agent/members", nil)
}

// AgentSelf describes the answering node and its progress through the raft
// log.
type AgentSelf struct {
	ID           string `json:"id"`
	Name         string `json:"name"`
	Address      string `json:"address"`
	RaftAddress  string `json:"raftAddress"`
	RaftState    string `json:"raftState"`
	Term         uint64 `json:"term"`
	CommitIndex  uint64 `json:"commitIndex"`
	AppliedIndex uint64 `json:"appliedIndex"`
	LastIndex    uint64 `json:"lastIndex"`
	Leader       string `json:"leader"`
	LeaderID     string `json:"leaderId"`
}

// Self describes the node answering.
func (a *Agent) Self(ctx context.Context) (*AgentSelf, error) {
	var out AgentSelf
	if err := a.c.get(ctx, "/v1/agent/self", nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
