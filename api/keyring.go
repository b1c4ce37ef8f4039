package api

import (
	"context"
	"net/http"
)

// The changes a KeyringRequest can make. A rotation is install (every node
// can read the new key), use (every node writes with it), remove (the old
// key goes).
const (
	KeyringInstall = "install"
	KeyringUse     = "use"
	KeyringRemove  = "remove"
)

// KeyringRequest changes the gossip keyring of every node.
type KeyringRequest struct {
	// Op is install, use or remove.
	Op string `json:"op"`
	// Key is a base64 key of 16, 24 or 32 bytes.
	Key string `json:"key"`
}

// NodeKeyring is one node's gossip keyring.
type NodeKeyring struct {
	Node string `json:"node"`
	ID   string `json:"id"`
	// Encrypted says the node encrypts gossip; without it Keys is empty.
	Encrypted bool `json:"encrypted"`
	// Keys are base64, the primary (the one messages are sent with) first.
	Keys []string `json:"keys"`
	// Error says why the node did not answer; Keys is then empty.
	Error string `json:"error,omitempty"`
}

// GossipKey is one key and where it is held.
type GossipKey struct {
	Key string `json:"key"`
	// Nodes is how many nodes hold the key.
	Nodes int `json:"nodes"`
	// PrimaryOn names the nodes that send with it.
	PrimaryOn []string `json:"primaryOn"`
}

// GossipKeyring is the gossip keyring across the cluster's alive nodes.
type GossipKeyring struct {
	// NumNodes is how many nodes were asked.
	NumNodes int         `json:"numNodes"`
	Keys     []GossipKey `json:"keys"`
	// Nodes holds each node's own answer.
	Nodes []NodeKeyring `json:"nodes"`
}

// KeyringNodeResult is what one node made of a keyring change.
type KeyringNodeResult struct {
	Node  string `json:"node"`
	ID    string `json:"id"`
	Error string `json:"error,omitempty"`
}

// KeyringResult answers a keyring change that every node made.
type KeyringResult struct {
	Op    string              `json:"op"`
	Nodes []KeyringNodeResult `json:"nodes"`
}

// Keyring lists the gossip keys of every alive node.
func (o *Operator) Keyring(ctx context.Context) (*GossipKeyring, error) {
	var out GossipKeyring
	if err := o.c.get(ctx, "/v1/operator/keyring", nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// KeyringOp installs, uses (makes primary) or removes key on every alive
// node. An error names the nodes that failed; the others are changed.
func (o *Operator) KeyringOp(ctx context.Context, op, key string) (*KeyringResult, error) {
	var out KeyringResult
	if _, err := o.c.write(ctx, http.MethodPost, "/v1/operator/keyring", nil, &KeyringRequest{Op: op, Key: key}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
