package node

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/genie-cluster/genie/api"
	"github.com/genie-cluster/genie/fsm"
	"github.com/genie-cluster/genie/transport"
)

// keyringPeerTimeout bounds one peer's answer to a keyring call.
const keyringPeerTimeout = 10 * time.Second

// keyringTarget is a node a cluster-wide keyring call reaches.
type keyringTarget struct {
	name, id, api string
	self          bool
}

// keyringTargets is this node and every alive peer, by name.
func (n *Node) keyringTargets() []keyringTarget {
	out := []keyringTarget{{name: n.config.NodeName, id: n.id, self: true}}
	for _, m := range n.members.list() {
		if m.Meta.ID == n.id || m.Status != "alive" || m.Meta.API == "" {
			continue
		}
		out = append(out, keyringTarget{name: m.Name, id: m.Meta.ID, api: m.Meta.API})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// onEachTarget runs fn for every target at once and waits for them all.
func onEachTarget(targets []keyringTarget, fn func(i int, t keyringTarget)) {
	var wg sync.WaitGroup
	for i, t := range targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(i, t)
		}()
	}
	wg.Wait()
}

// ClusterKeyring lists the gossip keys of every alive node; a node that
// does not answer is listed with its error.
func (n *Node) ClusterKeyring(ctx context.Context) (*api.GossipKeyring, error) {
	targets := n.keyringTargets()
	nodes := make([]api.NodeKeyring, len(targets))
	onEachTarget(targets, func(i int, t keyringTarget) {
		if t.self {
			nodes[i] = n.LocalKeyring()
			return
		}
		nk, err := n.peerKeyring(ctx, http.MethodGet, t.api, nil)
		if err != nil {
			nodes[i] = api.NodeKeyring{Node: t.name, ID: t.id, Keys: []string{}, Error: err.Error()}
			return
		}
		nodes[i] = *nk
	})
	return summarizeKeyrings(nodes), nil
}

// summarizeKeyrings counts, for each key, the nodes that hold it and
// names those that send with it.
func summarizeKeyrings(nodes []api.NodeKeyring) *api.GossipKeyring {
	out := &api.GossipKeyring{NumNodes: len(nodes), Keys: []api.GossipKey{}, Nodes: nodes}
	byKey := map[string]*api.GossipKey{}
	var order []string
	for _, nk := range nodes {
		for i, k := range nk.Keys {
			gk := byKey[k]
			if gk == nil {
				gk = &api.GossipKey{Key: k, PrimaryOn: []string{}}
				byKey[k] = gk
				order = append(order, k)
			}
			gk.Nodes++
			if i == 0 {
				gk.PrimaryOn = append(gk.PrimaryOn, nk.Node)
			}
		}
	}
	for _, k := range order {
		out.Keys = append(out.Keys, *byKey[k])
	}
	// The key most nodes send with first: in a finished rotation, the one
	// in use.
	sort.SliceStable(out.Keys, func(i, j int) bool {
		a, b := out.Keys[i], out.Keys[j]
		if len(a.PrimaryOn) != len(b.PrimaryOn) {
			return len(a.PrimaryOn) > len(b.PrimaryOn)
		}
		return a.Nodes > b.Nodes
	})
	return out
}

// ChangeClusterKeyring installs, uses or removes key on this node and on
// every alive peer. A node that fails makes the answer an error naming it;
// the others keep the change, and repeating it is harmless.
func (n *Node) ChangeClusterKeyring(ctx context.Context, op, key string) (*api.KeyringResult, error) {
	switch op {
	case api.KeyringInstall, api.KeyringUse, api.KeyringRemove:
	default:
		return nil, fsm.Errorf(fsm.ErrCodeInvalid, "op: %q is not install, use or remove", op)
	}
	if _, err := decodeGossipKey(key); err != nil {
		return nil, fsm.Errorf(fsm.ErrCodeInvalid, "key: %v", err)
	}
	targets := n.keyringTargets()
	results := make([]api.KeyringNodeResult, len(targets))
	errs := make([]error, len(targets))
	onEachTarget(targets, func(i int, t keyringTarget) {
		results[i] = api.KeyringNodeResult{Node: t.name, ID: t.id}
		if t.self {
			errs[i] = n.ChangeLocalKeyring(op, key)
		} else {
			_, errs[i] = n.peerKeyring(ctx, http.MethodPost, t.api, &api.KeyringRequest{Op: op, Key: key})
		}
		if errs[i] != nil {
			results[i].Error = errs[i].Error()
		}
	})
	if err := keyringFailure(op, results, errs); err != nil {
		n.logger.Warn("cluster keyring change failed", "op", op, "error", err)
		return nil, err
	}
	return &api.KeyringResult{Op: op, Nodes: results}, nil
}

// keyringFailure is the error of a cluster-wide change, nil when every
// node made it. When every failing node refused it the same way (a key
// not installed, the primary key) the answer is that refusal; otherwise
// some node could not be reached, and the change may be retried.
func keyringFailure(op string, results []api.KeyringNodeResult, errs []error) error {
	var failed, done []string
	var code fsm.ErrorCode
	same := true
	for i, err := range errs {
		if err == nil {
			done = append(done, results[i].Node)
			continue
		}
		c := fsm.CodeOf(err)
		if len(failed) == 0 {
			code = c
		} else if c != code {
			same = false
		}
		failed = append(failed, fmt.Sprintf("%s: %v", results[i].Node, err))
	}
	if len(failed) == 0 {
		return nil
	}
	msg := fmt.Sprintf("keyring %s failed on %d of %d nodes (%s)", op, len(failed), len(errs), strings.Join(failed, "; "))
	if len(done) > 0 {
		msg += "; done on " + strings.Join(done, ", ")
	} else {
		msg += "; done on no node"
	}
	if same && code != 0 {
		return fsm.Errorf(code, "%s", msg)
	}
	return &transport.UnavailableError{Reason: msg, RetryAfter: time.Second}
}

// peerKeyring reads (GET) or changes (POST req) the keyring of the node at
// addr and returns it as that node describes it.
func (n *Node) peerKeyring(ctx context.Context, method, addr string, req *api.KeyringRequest) (*api.NodeKeyring, error) {
	ctx, cancel := context.WithTimeout(ctx, keyringPeerTimeout)
	defer cancel()
	var body io.Reader
	if req != nil {
		buf, err := json.Marshal(req)
		if err != nil {
			return nil, err
		}
		body = bytes.NewReader(buf)
	}
	hr, err := http.NewRequestWithContext(ctx, method, n.peerURL(addr, transport.InternalKeyringPath), body)
	if err != nil {
		return nil, err
	}
	if req != nil {
		hr.Header.Set("Content-Type", "application/json")
	}
	hr.Header.Set(transport.ForwardedFromHeader, n.config.NodeName)
	transport.ForwardToken(ctx, hr)
	resp, err := n.internal.Do(hr)
	if err != nil {
		return nil, fmt.Errorf("no answer: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, peerKeyringError(resp)
	}
	var out api.NodeKeyring
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&out); err != nil {
		return nil, fmt.Errorf("decode answer: %v", err)
	}
	return &out, nil
}

// peerKeyringError turns a peer's refusal back into the error it answered
// with, so the cluster-wide answer has the same status.
func peerKeyringError(resp *http.Response) error {
	var body struct {
		Message string `json:"message"`
	}
	json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&body)
	switch resp.StatusCode {
	case http.StatusNotFound:
		return fsm.Errorf(fsm.ErrCodeNotFound, "%s", body.Message)
	case http.StatusBadRequest, http.StatusPreconditionFailed:
		return fsm.Errorf(fsm.ErrCodeInvalid, "%s", body.Message)
	}
	return fmt.Errorf("answered %d: %s", resp.StatusCode, body.Message)
}
