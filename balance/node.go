package balance

import (
	"math/rand/v2"
	"sync"
)

// Candidate is a node a job could be placed on, with its load as the
// replicated state has it plus the placements in flight to it.
type Candidate struct {
	ID        string
	Jobs      int
	MaxJobs   int
	Memory    int // MB in use
	MaxMemory int // MB
}

// HasRoom reports whether c can take a job needing memory MB.
func (c *Candidate) HasRoom(memory int) bool {
	return c.Jobs < c.MaxJobs && c.Memory+memory <= c.MaxMemory
}

// NodeChooser picks the node a submission is placed on by the power of two
// choices: the less loaded of two random nodes with room. It spreads load
// nearly as well as scanning every node, while many receiving nodes that
// choose at once do not all pile onto the single least loaded one. The
// state machine checks the choice against the state it commits to, so a
// stale view costs balance, never an over-committed node. Safe for
// concurrent use.
type NodeChooser struct {
	mu  sync.Mutex
	rng *rand.Rand
}

// NewNodeChooser returns a chooser with its own random source.
func NewNodeChooser() *NodeChooser {
	return newNodeChooser(rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64())))
}

func newNodeChooser(rng *rand.Rand) *NodeChooser {
	return &NodeChooser{rng: rng}
}

// Choose returns the id of the node for a job needing memory MB, or ""
// when no candidate has room.
func (c *NodeChooser) Choose(cands []Candidate, memory int) string {
	var room []*Candidate
	for i := range cands {
		if cands[i].HasRoom(memory) {
			room = append(room, &cands[i])
		}
	}
	switch n := len(room); n {
	case 0:
		return ""
	case 1:
		return room[0].ID
	default:
		c.mu.Lock()
		i := c.rng.IntN(n)
		j := c.rng.IntN(n - 1)
		c.mu.Unlock()
		if j >= i {
			j++
		}
		a, b := room[i], room[j]
		if lessLoaded(b.Jobs, b.MaxJobs, a.Jobs, a.MaxJobs) {
			return b.ID
		}
		return a.ID
	}
}

// lessLoaded reports whether aJobs/aMax < bJobs/bMax. It cross-multiplies
// so that equal loads on nodes of different sizes compare exactly.
func lessLoaded(aJobs, aMax, bJobs, bMax int) bool {
	return int64(aJobs)*int64(bMax) < int64(bJobs)*int64(aMax)
}
