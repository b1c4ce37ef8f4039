package node

import (
	"context"
	"errors"
	"time"

	"github.com/genie-cluster/genie/balance"
	"github.com/genie-cluster/genie/fsm"
	"github.com/genie-cluster/genie/transport"
)

// placeJob decides where a client's job runs and has that node record it.
// A repeated client id is answered from the record wherever the job runs.
func (n *Node) placeJob(ctx context.Context, sub *transport.Submission) (*fsm.ApplyResult, error) {
	if id := sub.Request.ID; id != "" {
		if existing := n.State().Job(id); existing != nil {
			if existing.RequestHash == sub.RequestHash {
				return &fsm.ApplyResult{Index: existing.ModifyIndex, Job: existing, Existing: true}, nil
			}
			return nil, fsm.Errorf(fsm.ErrCodeConflict, "a different job with id %s already exists", id)
		}
	}
	if sub.Pinned {
		return n.submitJob(ctx, sub)
	}
	target := n.chooser.Choose(n.peers(), n.requestMemory(&sub.Request))
	if target == "" || target == n.id {
		return n.submitJob(ctx, sub)
	}
	m, ok := n.members.get(target)
	if !ok {
		return n.submitJob(ctx, sub)
	}
	res, err := n.forwardSubmit(ctx, m.Meta.API, sub)
	if err == nil {
		n.chooser.Forwarded(target, res.Seq)
	}
	var unavailable *transport.UnavailableError
	if err != nil && (errors.Is(err, errLeaderUnreachable) || errors.As(err, &unavailable)) {
		// The peer is gone or full after all: run it here if there is room.
		n.logger.Warn("forwarded submission failed, placing it here", "peer", m.Name, "error", err)
		return n.submitJob(ctx, sub)
	}
	return res, err
}

// forwardSubmit has the node at addr record the job as its own.
func (n *Node) forwardSubmit(ctx context.Context, addr string, sub *transport.Submission) (*fsm.ApplyResult, error) {
	body, err := fsm.Marshal(sub)
	if err != nil {
		return nil, err
	}
	n.metrics.forwardsSent.Inc()
	// The peer may wait up to its own leader hold; a peer that does not
	// answer by then is as good as gone (cut off, paused), and the job is
	// placed here instead.
	ctx, cancel := context.WithTimeout(ctx, n.config.LeaderHold+time.Second)
	defer cancel()
	resp, err := transport.CallInternal(ctx, n.internal, n.peerURL(addr, transport.InternalSubmitPath), n.config.NodeName, body)
	if err != nil {
		return nil, errors.Join(errLeaderUnreachable, err)
	}
	return resp.Result()
}

// peers describes every live node for the chooser: this one exactly, the
// others as gossip last reported them.
func (n *Node) peers() []balance.Peer {
	jobs, mem := n.capacity.usage()
	out := []balance.Peer{{
		ID: n.id, Local: true, RunningJobs: jobs, MaxJobs: n.config.MaxJobs,
		UsedMemory: mem, MaxMemory: n.config.MaxMemory, Draining: n.draining.Load(),
	}}
	for _, m := range n.members.list() {
		if m.Meta.ID == n.id || m.Status != "alive" {
			continue
		}
		out = append(out, balance.Peer{
			ID: m.Meta.ID, RunningJobs: m.Meta.Running, MaxJobs: m.Meta.MaxJobs,
			UsedMemory: m.Meta.UsedMem, MaxMemory: m.Meta.MaxMem, Draining: m.Meta.Draining,
			Accepted: m.Meta.Accepted,
		})
	}
	return out
}

// requestMemory is the memory a request will reserve, as far as it can be
// told before resolution (a command's default is known only after).
func (n *Node) requestMemory(req *fsm.JobRequest) int {
	if req.Memory > 0 {
		return req.Memory
	}
	return n.config.DefaultJobMemory
}

// largestNodeMemory is the most memory any live node offers jobs: a job
// asking more can never run.
func (n *Node) largestNodeMemory() int {
	largest := n.config.MaxMemory
	for _, m := range n.members.list() {
		if m.Status == "alive" && m.Meta.MaxMem > largest {
			largest = m.Meta.MaxMem
		}
	}
	return largest
}
