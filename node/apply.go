package node

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hashicorp/raft"

	"github.com/genie-cluster/genie/fsm"
	"github.com/genie-cluster/genie/transport"
)

// Apply commits one log entry through raft and returns the state machine's
// answer. On a follower the entry goes to the leader. It returns once the
// entry is committed and applied here, so a caller that gets no error may
// acknowledge the write as durable and read it back from this node.
func (n *Node) Apply(ctx context.Context, t fsm.MessageType, msg interface{}) (*fsm.ApplyResult, error) {
	buf, err := fsm.Encode(t, msg)
	if err != nil {
		return nil, err
	}
	return n.applyEntry(ctx, buf, true)
}

// applyNoWait is Apply without waiting for this replica to apply the entry
// when the leader is elsewhere: for writes nobody reads back here at once
// (a runner's transitions).
func (n *Node) applyNoWait(ctx context.Context, t fsm.MessageType, msg interface{}) (*fsm.ApplyResult, error) {
	buf, err := fsm.Encode(t, msg)
	if err != nil {
		return nil, err
	}
	return n.applyEntry(ctx, buf, false)
}

// ApplyEntry commits an encoded entry sent by another node; only the leader
// takes them.
func (n *Node) ApplyEntry(ctx context.Context, buf []byte) (*fsm.ApplyResult, error) {
	if err := fsm.CheckEntry(buf); err != nil {
		return nil, err
	}
	if n.raft.State() != raft.Leader {
		return nil, &transport.UnavailableError{Reason: "not the raft leader", RetryAfter: 100 * time.Millisecond}
	}
	return n.applyLocal(ctx, buf)
}

// ApplyEntries commits entries another node sent together; only the leader
// takes them. They go to raft together, which puts them in one append, and
// each gets its own answer.
func (n *Node) ApplyEntries(ctx context.Context, entries [][]byte) []transport.AppliedEntry {
	out := make([]transport.AppliedEntry, len(entries))
	if n.raft.State() != raft.Leader {
		for i := range out {
			out[i].Err = &transport.UnavailableError{Reason: "not the raft leader", RetryAfter: 100 * time.Millisecond}
		}
		return out
	}
	timeout, err := n.applyTimeout(ctx)
	futures := make([]raft.ApplyFuture, len(entries))
	for i, buf := range entries {
		if out[i].Err = err; err == nil {
			out[i].Err = fsm.CheckEntry(buf)
		}
		if out[i].Err == nil {
			futures[i] = n.raft.Apply(buf, timeout)
		}
	}
	// One wait for them all.
	answered := make(chan struct{})
	go func() {
		for _, f := range futures {
			if f != nil {
				f.Error()
			}
		}
		close(answered)
	}()
	var waitErr error
	select {
	case <-answered:
	case <-n.shutdownCh:
		waitErr = raft.ErrRaftShutdown
	case <-ctx.Done():
		waitErr = ctx.Err()
	}
	for i, f := range futures {
		switch {
		case f == nil:
		case waitErr != nil:
			out[i].Err = mapRaftError(waitErr)
		default:
			out[i].Result, out[i].Err = futureAnswer(f)
		}
	}
	return out
}

// applyTimeout is how long raft may take to accept an entry: the node's
// bound, or less when ctx ends sooner.
func (n *Node) applyTimeout(ctx context.Context) (time.Duration, error) {
	timeout := n.config.ApplyTimeout
	if dl, ok := ctx.Deadline(); ok {
		if d := time.Until(dl); d < timeout {
			timeout = d
		}
	}
	if timeout <= 0 {
		return 0, ctx.Err()
	}
	return timeout, nil
}

// applyLocal commits an encoded entry through this node's raft, which must
// lead.
func (n *Node) applyLocal(ctx context.Context, buf []byte) (*fsm.ApplyResult, error) {
	timeout, err := n.applyTimeout(ctx)
	if err != nil {
		return nil, err
	}
	return n.applyAnswer(ctx, n.raft.Apply(buf, timeout))
}

// applyAnswer waits for an applied entry and returns the state machine's
// answer.
func (n *Node) applyAnswer(ctx context.Context, f raft.ApplyFuture) (*fsm.ApplyResult, error) {
	if err := n.waitFuture(ctx, f); err != nil {
		return nil, mapRaftError(err)
	}
	return futureAnswer(f)
}

// futureAnswer is the answer of an applied entry's future, which must have
// its answer.
func futureAnswer(f raft.ApplyFuture) (*fsm.ApplyResult, error) {
	if err := f.Error(); err != nil {
		return nil, mapRaftError(err)
	}
	switch resp := f.Response().(type) {
	case error:
		return nil, resp
	case *fsm.ApplyResult:
		return resp, nil
	case nil:
		return &fsm.ApplyResult{Index: f.Index()}, nil
	default:
		return nil, fmt.Errorf("unexpected apply response %T", resp)
	}
}

// waitFuture waits for a raft future that travels through raft's apply
// channel (an apply or a barrier). Raft does not answer such a future when
// it shuts down before taking it from the channel, and Apply may even
// enqueue one after shutdown, so f.Error() alone can block forever; the
// node's own shutdown and the caller's context end the wait instead.
func (n *Node) waitFuture(ctx context.Context, f raft.Future) error {
	done := make(chan error, 1)
	go func() { done <- f.Error() }()
	select {
	case err := <-done:
		return err
	case <-n.shutdownCh:
		return raft.ErrRaftShutdown
	case <-ctx.Done():
		return ctx.Err()
	}
}

// mapRaftError turns raft's refusals into errors the API answers with 503.
func mapRaftError(err error) error {
	switch {
	case errors.Is(err, raft.ErrNotLeader), errors.Is(err, raft.ErrLeadershipLost),
		errors.Is(err, raft.ErrLeadershipTransferInProgress):
		return &transport.UnavailableError{Reason: "no raft leader to commit the write: " + err.Error(), RetryAfter: time.Second}
	case errors.Is(err, raft.ErrEnqueueTimeout):
		return &transport.UnavailableError{Reason: "raft is too busy to take the write", RetryAfter: time.Second}
	case errors.Is(err, raft.ErrRaftShutdown):
		return &transport.UnavailableError{Reason: "node is shutting down", RetryAfter: time.Second}
	}
	return err
}

// reporter records the runner's progress through raft.
type reporter struct {
	n *Node
}

// Transition records a runner's transition. Its token names the job, the
// target status and this node: a job reaches a status once on a node, so a
// retry after a lost answer is recognised as already done. It applies only
// while the job is this node's: not after the leader moved or ended it.
func (r *reporter) Transition(ctx context.Context, req fsm.JobTransitionRequest) error {
	req.Token = r.n.id + "/" + req.ID + "/" + string(req.To)
	req.Node = r.n.id
	// The runner reads nothing back from the state, so it goes on once the
	// leader has the transition, without waiting for this replica to learn
	// of the commit (up to raft's CommitTimeout on an idle cluster).
	_, err := r.n.applyNoWait(ctx, fsm.JobTransitionRequestType, &req)
	return err
}

// Record returns the job's record once this replica has it finished: the
// runner asks right after its end was committed through the leader.
func (r *reporter) Record(ctx context.Context, id string) (*fsm.Job, error) {
	for {
		j, changed := r.n.State().WatchJob(id)
		switch {
		case j == nil:
			return nil, fsm.Errorf(fsm.ErrCodeNotFound, "job %s not found", id)
		case j.Status.Terminal():
			return j, nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// Archived records where a job's output went. It waits for this replica
// to apply it: the runner removes the job's directory next, and this node
// must by then serve the output from the archive.
func (r *reporter) Archived(ctx context.Context, req fsm.JobArchiveRequest) error {
	_, err := r.n.Apply(ctx, fsm.JobArchiveRequestType, &req)
	return err
}
