package node

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/hashicorp/raft"

	"github.com/genie-cluster/genie/api"
	"github.com/genie-cluster/genie/fsm"
	"github.com/genie-cluster/genie/transport"
)

// newInternalClient is the HTTP client for node-to-node calls: short
// connection set-up, keep-alive pools sized for forwarded bursts, and with
// TLS on, this node's certificate presented to peers it verifies as
// servers of the cluster.
func newInternalClient(tlsConf *tls.Config) *http.Client {
	return &http.Client{
		Timeout:   30 * time.Second,
		Transport: newPeerTransport(tlsConf),
	}
}

// newPeerTransport is the round tripper of calls to peers, shared by the
// internal client and the proxy of output and kill requests.
func newPeerTransport(tlsConf *tls.Config) *http.Transport {
	return &http.Transport{
		MaxIdleConns:        256,
		MaxIdleConnsPerHost: 64,
		IdleConnTimeout:     90 * time.Second,
		DialContext:         (&netDialer).DialContext,
		TLSClientConfig:     tlsConf,
		ForceAttemptHTTP2:   false,
	}
}

// applyEntry commits an entry here when this node leads, or on the leader
// otherwise. With no leader it keeps trying for LeaderHold, then answers
// that the cluster is unavailable.
func (n *Node) applyEntry(ctx context.Context, buf []byte, waitLocal bool) (*fsm.ApplyResult, error) {
	deadline := time.Now().Add(n.config.LeaderHold)
	backoff := 20 * time.Millisecond
	var lastErr error
	for {
		var res *fsm.ApplyResult
		var err error
		if n.raft.State() == raft.Leader {
			res, err = n.applyLocal(ctx, buf)
		} else if addr := n.leaderAPI(); addr != "" {
			attempt, cancel := n.holdContext(ctx, deadline)
			res, err = n.forwarder.forward(attempt, addr, buf)
			cancel()
			if err == nil && waitLocal {
				// The caller reads its write back here.
				n.waitApplied(ctx, res.Index)
			}
		} else {
			err = &transport.UnavailableError{Reason: "no raft leader", RetryAfter: time.Second}
		}
		if !retryable(err) {
			return res, err
		}
		lastErr = err
		if time.Now().Add(backoff).After(deadline) {
			return nil, &transport.UnavailableError{
				Reason:     fmt.Sprintf("no raft leader took the write within %s: %v", n.config.LeaderHold, lastErr),
				RetryAfter: time.Second,
			}
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-n.shutdownCh:
			return nil, errShuttingDown
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 100*time.Millisecond)
	}
}

// holdContext bounds one attempt to reach the leader by the end of the
// hold, and ends it early when another node becomes leader: a leader cut
// off by a partition swallows requests without a word, and the hold, not
// the attempt, decides when the client hears 503. An attempt always gets a
// moment, even past the deadline. Retrying on the new leader is safe:
// every write carries its token or id.
func (n *Node) holdContext(ctx context.Context, deadline time.Time) (context.Context, context.CancelFunc) {
	if min := time.Now().Add(500 * time.Millisecond); deadline.Before(min) {
		deadline = min
	}
	ctx, cancelDeadline := context.WithDeadline(ctx, deadline)
	ctx, cancelWatch := n.untilLeaderChanges(ctx)
	return ctx, func() { cancelWatch(); cancelDeadline() }
}

// retryable reports whether a write failed for want of a leader (it may
// succeed on the next one) rather than being refused.
func retryable(err error) bool {
	if err == nil {
		return false
	}
	var unavailable *transport.UnavailableError
	var netErr interface{ Timeout() bool }
	return errors.As(err, &unavailable) || errors.As(err, &netErr) || errors.Is(err, errLeaderUnreachable)
}

var errLeaderUnreachable = errors.New("leader unreachable")

// forwardOne sends one entry to the leader at addr.
func (n *Node) forwardOne(ctx context.Context, addr string, buf []byte) (*fsm.ApplyResult, error) {
	resp, err := transport.CallInternal(ctx, n.internal, n.peerURL(addr, transport.InternalApplyPath), n.config.NodeName, buf)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errLeaderUnreachable, err)
	}
	return resp.Result()
}

// ReadOwnWrites waits until this replica has applied every write this node
// acknowledged to a client. A submission through a follower is answered once
// the leader committed it, without waiting for this replica to learn of the
// commit from the leader's next append; the client's next request here
// waits instead, so it reads back what it wrote, searches included. It
// costs a read nothing when no acknowledged write is pending, which is
// always the case on the leader. After ownWritesWait the read is served as
// the replica stands, as any follower read is when the leader is away.
func (n *Node) ReadOwnWrites(ctx context.Context) {
	n.applied.waitAcked(ctx, ownWritesWait)
}

// ownWritesWait bounds how long a read waits for this replica to apply the
// writes this node acknowledged: they committed, so only a replica cut off
// from the leader takes longer than an append.
const ownWritesWait = 2 * time.Second

// waitApplied waits, briefly, until this replica has applied index.
func (n *Node) waitApplied(ctx context.Context, index uint64) bool {
	return n.applied.wait(ctx, index, n.config.ApplyTimeout)
}

// leaderAPI is the API address of the raft leader: from gossip, or from
// the leader's row in the replicated nodes table while gossip has not yet
// told this node of it (a node that joined while others left can lead
// before every member has heard of it; the log always has).
func (n *Node) leaderAPI() string {
	_, id := n.raft.LeaderWithID()
	if id == "" {
		return ""
	}
	if string(id) == n.id {
		return n.httpAddr
	}
	if m, ok := n.members.get(string(id)); ok {
		return m.Meta.API
	}
	if row := n.State().Node(string(id)); row != nil {
		return row.API
	}
	return ""
}

// Self describes this node and its progress through the log.
func (n *Node) Self() api.AgentSelf {
	addr, id := n.raft.LeaderWithID()
	stats := n.raft.Stats()
	var term uint64
	fmt.Sscan(stats["term"], &term)
	return api.AgentSelf{
		ID: n.id, Name: n.config.NodeName, Address: n.httpAddr,
		RaftAddress: string(n.raftTransport.LocalAddr()), RaftState: n.raft.State().String(),
		Term: term, CommitIndex: n.raft.CommitIndex(), AppliedIndex: n.raft.AppliedIndex(),
		LastIndex: n.raft.LastIndex(), Leader: string(addr), LeaderID: string(id),
	}
}

// peerSelf asks the node at addr to describe itself.
func (n *Node) peerSelf(ctx context.Context, addr string) (*api.AgentSelf, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, n.peerURL(addr, transport.InternalSelfPath), nil)
	if err != nil {
		return nil, err
	}
	resp, err := n.internal.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s answered %d", addr, resp.StatusCode)
	}
	var out api.AgentSelf
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return nil, err
	}
	return &out, nil
}

var netDialer = net.Dialer{Timeout: 2 * time.Second, KeepAlive: 30 * time.Second}

// ReadIndex confirms this node still leads and returns the index of the
// last write a linearizable read must see. A barrier does both: it commits
// only with a quorum behind this leader, and completes once every earlier
// entry is applied here, so the state machine's own index is then exact
// (raft's commit index may name an entry the state machine never sees,
// such as the no-op of an election).
func (n *Node) ReadIndex(ctx context.Context) (uint64, error) {
	if n.raft.State() != raft.Leader {
		return 0, &transport.UnavailableError{Reason: "not the raft leader", RetryAfter: 100 * time.Millisecond}
	}
	if err := n.waitFuture(ctx, n.raft.Barrier(n.config.ApplyTimeout)); err != nil {
		return 0, mapRaftError(err)
	}
	index, _ := n.applied.current()
	return index, nil
}

// ReadBarrier waits until this replica has applied every write committed
// before the call, as the leader confirms it (raft's read index).
func (n *Node) ReadBarrier(ctx context.Context) error {
	deadline := time.Now().Add(n.config.LeaderHold)
	for {
		var index uint64
		var err error
		if n.raft.State() == raft.Leader {
			index, err = n.ReadIndex(ctx)
		} else if addr := n.leaderAPI(); addr != "" {
			attempt, cancel := n.holdContext(ctx, deadline)
			index, err = n.remoteReadIndex(attempt, addr)
			cancel()
		} else {
			err = &transport.UnavailableError{Reason: "no raft leader", RetryAfter: time.Second}
		}
		if err == nil {
			if !n.waitApplied(ctx, index) {
				return &transport.UnavailableError{Reason: "this node trails the leader too far for a consistent read", RetryAfter: time.Second}
			}
			return nil
		}
		if time.Now().After(deadline) {
			return &transport.UnavailableError{Reason: fmt.Sprintf("no consistent read within %s: %v", n.config.LeaderHold, err), RetryAfter: time.Second}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (n *Node) remoteReadIndex(ctx context.Context, addr string) (uint64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, n.peerURL(addr, transport.InternalReadIndex), nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set(transport.ForwardedFromHeader, n.config.NodeName)
	resp, err := n.internal.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("leader answered %d", resp.StatusCode)
	}
	var out struct {
		Index uint64 `json:"index"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return 0, err
	}
	return out.Index, nil
}
