package api

import (
	"context"
	"net/http"
	"net/url"
)

// RaftPeer is a server in the raft configuration.
type RaftPeer struct {
	// Node is the node's name.
	Node    string `json:"node"`
	ID      string `json:"id"`
	Address string `json:"address"`
	// State is leader, follower, candidate or nonvoter.
	State       string `json:"state"`
	Voter       bool   `json:"voter"`
	CommitIndex uint64 `json:"commitIndex"`
	// TrailsLeaderBy is how many log entries the peer is behind the leader.
	TrailsLeaderBy uint64 `json:"trailsLeaderBy"`
}

// Operator calls the endpoints that change the cluster's raft configuration.
type Operator struct {
	c *Client
}

// Operator returns the operator endpoints.
func (c *Client) Operator() *Operator { return &Operator{c: c} }

// RaftPeers returns the raft configuration with each peer's progress.
func (o *Operator) RaftPeers(ctx context.Context) ([]RaftPeer, error) {
	return getList[RaftPeer](ctx, o.c, "/v1/operator/raft/peers", nil)
}

// RaftRemovePeer removes the server with id from the raft configuration.
func (o *Operator) RaftRemovePeer(ctx context.Context, id string) error {
	q := url.Values{"id": {id}}
	_, err := o.c.write(ctx, http.MethodPost, "/v1/operator/raft/remove-peer", q, nil, nil)
	return err
}

// RaftTransferLeader asks the leader to hand leadership to the server with
// id, or to any other voter when id is empty.
func (o *Operator) RaftTransferLeader(ctx context.Context, id string) error {
	q := url.Values{}
	setString(q, "id", id)
	_, err := o.c.write(ctx, http.MethodPost, "/v1/operator/raft/transfer-leader", q, nil, nil)
	return err
}
