package api

import (
	"bytes"
	"context"
	"encoding/json"
)

// LeaderResponse names the raft leader; both fields are empty when there is
// none.
type LeaderResponse struct {
	// Leader is the leader's raft address; LeaderID its node id.
	Leader   string `json:"leader"`
	LeaderID string `json:"leaderId"`
}

// UnmarshalJSON reads {"leader": ..., "leaderId": ...} or a bare JSON string
// holding the leader's address.
func (l *LeaderResponse) UnmarshalJSON(b []byte) error {
	if t := bytes.TrimSpace(b); len(t) > 0 && t[0] == '"' {
		*l = LeaderResponse{}
		return json.Unmarshal(t, &l.Leader)
	}
	type wire LeaderResponse
	return json.Unmarshal(b, (*wire)(l))
}

// Status calls the endpoints about the cluster's raft state.
type Status struct {
	c *Client
}

// Status returns the status endpoints.
func (c *Client) Status() *Status { return &Status{c: c} }

// Leader returns the current raft leader.
func (s *Status) Leader(ctx context.Context) (*LeaderResponse, error) {
	var out LeaderResponse
	if err := s.c.get(ctx, "/v1/status/leader", nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
