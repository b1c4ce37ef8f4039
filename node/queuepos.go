package node

import (
	"sync"
	"time"

	"github.com/genie-cluster/genie/balance"
)

// queuePositionTTL is how long a computed order of the queue answers
// reads: working it out walks the whole queue, and a place in line a
// fraction of a second old is as good to a reader.
const queuePositionTTL = 250 * time.Millisecond

// queuePositions caches each queued job's place in line, worked out from
// the replicated queue when a job is read, never written through raft.
type queuePositions struct {
	mu    sync.Mutex
	index uint64
	at    time.Time
	pos   map[string]int
}

// QueuePosition returns the place in line (from 1) of the queued job id,
// or 0 when it does not wait.
func (n *Node) QueuePosition(id string) int {
	q := &n.positions
	index, _ := n.applied.current()
	q.mu.Lock()
	defer q.mu.Unlock()
	if p, ok := q.pos[id]; ok && (q.index == index || time.Since(q.at) < queuePositionTTL) {
		return p
	}
	if q.index != index || q.pos == nil {
		order := balance.NewFairQueue(n.State().QueueLines()).Order()
		q.pos = make(map[string]int, len(order))
		for i, j := range order {
			q.pos[j.ID] = i + 1
		}
		q.index, q.at = index, time.Now()
	}
	return q.pos[id]
}
