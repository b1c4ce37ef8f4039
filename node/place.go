package node

import (
	"sync"

	"github.com/genie-cluster/genie/balance"
	"github.com/genie-cluster/genie/fsm"
)

// inflight counts, per node, the submissions this node has sent to the
// leader for it and not yet seen answered: the replicated load does not
// include them yet, and without them a burst through one node would see
// every node as idle as when it began.
type inflight struct {
	mu     sync.Mutex
	byNode map[string]int
}

func newInflight() *inflight {
	return &inflight{byNode: make(map[string]int)}
}

func (f *inflight) add(node string, d int) {
	if node == "" {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.byNode[node] += d
	if f.byNode[node] <= 0 {
		delete(f.byNode, node)
	}
}

func (f *inflight) get(node string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.byNode[node]
}

// chooseNode picks the node a new job needing memory MB is placed on, by
// the power of two choices over the replicated load, or "" when no node
// has room (the job then waits in the queue). While jobs wait, a new one
// joins them rather than overtaking, so no node is chosen.
func (n *Node) chooseNode(state *fsm.State, memory int) string {
	if state.QueueLength() > 0 {
		return ""
	}
	loads := state.NodeLoads()
	cands := make([]balance.Candidate, 0, len(loads))
	for _, l := range loads {
		if !l.Eligible() || (l.ID == n.id && n.draining.Load()) {
			continue
		}
		cands = append(cands, balance.Candidate{
			ID: l.ID, Jobs: l.Jobs + n.inflight.get(l.ID), MaxJobs: l.MaxJobs,
			Memory: l.Memory, MaxMemory: l.MaxMemory,
		})
	}
	return n.chooser.Choose(cands, memory)
}

// largestNodeMemory is the most memory any node offers jobs: a job asking
// more can never run. Before the leader has recorded any node, this
// node's own budget stands in.
func (n *Node) largestNodeMemory(state *fsm.State) int {
	if largest := state.LargestNodeMemory(); largest > 0 {
		return largest
	}
	return n.config.MaxMemory
}
