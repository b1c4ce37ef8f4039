package node

import (
	"context"
	"time"

	"github.com/genie-cluster/genie/balance"
	"github.com/genie-cluster/genie/fsm"
)

const (
	// scheduleInterval is how often the leader looks at the queue when
	// nothing prompts it: node liveness and drains change room too.
	scheduleInterval = time.Second
	// scheduleCoalesce is the least time between two rounds, so that a
	// stream of finishing jobs is answered by a few assignment entries
	// rather than one each.
	scheduleCoalesce = 10 * time.Millisecond
	// maxAssignBatch bounds the assignments one raft entry carries.
	maxAssignBatch = 1000
)

// kickScheduler tells the leader's scheduler that the queue or the room
// changed. It never blocks: a pending kick covers any number of changes.
func (n *Node) kickScheduler() {
	select {
	case n.scheduleCh <- struct{}{}:
	default:
	}
}

// scheduleLoop is the leader's scheduler: whenever room frees or a job is
// queued, it assigns queued jobs to nodes with room, in the fair order,
// through raft. It keeps no state of its own, so a new leader carries on
// from the replicated queue at once.
func (n *Node) scheduleLoop(ctx context.Context) {
	defer n.wg.Done()
	ticker := time.NewTicker(scheduleInterval)
	defer ticker.Stop()
	for {
		n.assignQueued(ctx)
		select {
		case <-ctx.Done():
			return
		case <-n.shutdownCh:
			return
		case <-ticker.C:
		case <-n.scheduleCh:
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(scheduleCoalesce):
		}
	}
}

// assignQueued places as many queued jobs as the nodes have room for.
func (n *Node) assignQueued(ctx context.Context) {
	for ctx.Err() == nil {
		state := n.State()
		if state.QueueLength() == 0 {
			return
		}
		batch := planAssignments(state, maxAssignBatch)
		if len(batch) == 0 {
			return
		}
		res, err := n.applyLocal(ctx, mustEncode(fsm.JobAssignRequestType, &fsm.JobAssignRequest{
			Assignments: batch, Time: time.Now().UnixMilli(),
		}))
		if err != nil {
			if ctx.Err() == nil {
				n.logger.Warn("cannot assign queued jobs", "jobs", len(batch), "error", err)
			}
			return
		}
		n.metrics.jobsAssigned.Add(float64(res.Assigned))
		n.logger.Debug("assigned queued jobs", "assigned", res.Assigned, "planned", len(batch))
		if res.Assigned == 0 {
			return
		}
	}
}

// planAssignments picks up to limit queued jobs, in the fair order, and
// the node each goes to: the least loaded eligible node with room (its
// pinned node for a pinned job). A user whose next job fits nowhere now
// waits, so its later jobs do not overtake it; the others go on.
func planAssignments(state *fsm.State, limit int) []fsm.Assignment {
	var nodes []*balance.Candidate
	free := 0
	for _, l := range state.NodeLoads() {
		if !l.Eligible() {
			continue
		}
		nodes = append(nodes, &balance.Candidate{ID: l.ID, Jobs: l.Jobs, MaxJobs: l.MaxJobs, Memory: l.Memory, MaxMemory: l.MaxMemory})
		free += max(0, l.MaxJobs-l.Jobs)
	}
	if free == 0 {
		return nil
	}
	var out []fsm.Assignment
	q := balance.NewFairQueue(state.QueueLines())
	for j := q.Peek(); j != nil && free > 0 && len(out) < limit; j = q.Peek() {
		target := bestFit(nodes, j)
		if target == nil {
			q.Skip()
			continue
		}
		target.Jobs++
		target.Memory += j.Memory
		free--
		out = append(out, fsm.Assignment{ID: j.ID, Node: target.ID})
		q.Take()
	}
	return out
}

// bestFit is the least loaded node with room for j, or nil.
func bestFit(nodes []*balance.Candidate, j *fsm.Job) *balance.Candidate {
	var best *balance.Candidate
	for _, c := range nodes {
		if !c.HasRoom(j.Memory) || (j.PinnedNode != "" && c.ID != j.PinnedNode) {
			continue
		}
		if best == nil || int64(c.Jobs)*int64(best.MaxJobs) < int64(best.Jobs)*int64(c.MaxJobs) {
			best = c
		}
	}
	return best
}

// mustEncode encodes an entry of a type this package builds itself.
func mustEncode(t fsm.MessageType, msg interface{}) []byte {
	buf, err := fsm.Encode(t, msg)
	if err != nil {
		panic(err)
	}
	return buf
}
