package fsm

import (
	"github.com/hashicorp/go-memdb"
)

// queueUsage keys the usage row of the jobs placed on no node yet: the
// queue. memdb keys cannot be empty, and no node id starts with '~'.
const queueUsage = "~queue"

// allJobsUsage keys the row counting every job in the state, so a search
// that selects them all knows its total without walking them.
const allJobsUsage = "~all"

// userUsage keys the row counting a user's unfinished jobs, for per-user
// limits. A row per user costs less than an index over the jobs by user,
// which every change to an unfinished job would rewrite.
func userUsage(user string) string {
	return "~user:" + user
}

// usageKey is the usage row a job on node counts in.
func usageKey(node string) string {
	if node == "" {
		return queueUsage
	}
	return node
}

// Usage is what a node's unfinished jobs hold: slots and memory. The row
// keyed queueUsage counts the queue, those keyed userUsage a user's
// unfinished jobs. Usage is derived from the jobs table
// inside every transaction that changes a job, so a placement is checked
// against exactly the state it commits to; it is not in snapshots but
// recomputed when one is restored.
type Usage struct {
	Node   string
	Jobs   int
	Memory int // MB
}

func usageTable() *memdb.TableSchema {
	return &memdb.TableSchema{
		Name: tableUsage,
		Indexes: map[string]*memdb.IndexSchema{
			indexID: {Name: indexID, Unique: true, Indexer: &memdb.StringFieldIndex{Field: "Node"}},
		},
	}
}

func usageOf(txn *memdb.Txn, node string) Usage {
	raw, err := txn.First(tableUsage, indexID, node)
	if err != nil || raw == nil {
		return Usage{Node: node}
	}
	return *raw.(*Usage)
}

// holdsSlot reports whether j counts against a node (or the queue).
func holdsSlot(j *Job) bool {
	return j != nil && !j.Status.Terminal()
}

// putJob writes j, which replaces prev (nil for a new job), and moves the
// slot and memory it holds between nodes and the queue.
func putJob(w *writeTxn, j, prev *Job) error {
	if err := storeJob(w.Txn, j, prev); err != nil {
		return err
	}
	if prev == nil {
		w.addUsage(allJobsUsage, 1, 0)
	}
	was, is := holdsSlot(prev), holdsSlot(j)
	if was && is && prev.Node == j.Node && prev.Memory == j.Memory {
		// Most changes (a claim, a start) leave the slot where it was.
		return nil
	}
	if was {
		w.addUsage(usageKey(prev.Node), -1, -prev.Memory)
	}
	if is {
		w.addUsage(usageKey(j.Node), 1, j.Memory)
	}
	switch {
	case is && !was:
		w.addUsage(userUsage(j.Request.User), 1, 0)
	case was && !is:
		w.addUsage(userUsage(prev.Request.User), -1, 0)
	}
	return nil
}

// recomputeUsage rebuilds the usage rows from the unfinished jobs, after a
// restore.
func recomputeUsage(txn *memdb.Txn, jobs int) error {
	w := newWriteTxn(txn)
	w.addUsage(allJobsUsage, jobs, 0)
	for _, st := range ActiveJobStatuses {
		it, err := txn.Get(tableJobs, indexActive, string(st))
		if err != nil {
			return err
		}
		var jobs []*Job
		for raw := it.Next(); raw != nil; raw = it.Next() {
			jobs = append(jobs, raw.(*Job))
		}
		for _, j := range jobs {
			w.addUsage(usageKey(j.Node), 1, j.Memory)
			w.addUsage(userUsage(j.Request.User), 1, 0)
		}
	}
	return w.flushUsage()
}

// hasRoom reports whether node may take one more job needing memory MB.
func hasRoom(w *writeTxn, node *Node, memory int) bool {
	if node == nil || !node.Eligible() {
		return false
	}
	u := w.usageOf(node.ID)
	return u.Jobs < node.MaxJobs && u.Memory+memory <= node.MaxMemory
}

// leastLoadedWithRoom is the eligible node with room for a job needing
// memory MB whose share of slots in use is smallest (ties by id, so every
// replica picks the same), or nil.
func leastLoadedWithRoom(w *writeTxn, memory int) *Node {
	var best *Node
	var bestJobs int
	for _, n := range allNodes(w.Txn) {
		if !hasRoom(w, n, memory) {
			continue
		}
		jobs := w.usageOf(n.ID).Jobs
		if best == nil || lessLoaded(jobs, n.MaxJobs, bestJobs, best.MaxJobs) ||
			(!lessLoaded(bestJobs, best.MaxJobs, jobs, n.MaxJobs) && n.ID < best.ID) {
			best, bestJobs = n, jobs
		}
	}
	return best
}

// lessLoaded reports whether aJobs/aMax < bJobs/bMax, exactly.
func lessLoaded(aJobs, aMax, bJobs, bMax int) bool {
	return int64(aJobs)*int64(bMax) < int64(bJobs)*int64(aMax)
}

// NodeLoad is a node with what its unfinished jobs hold.
type NodeLoad struct {
	*Node
	Jobs   int
	Memory int
}

// NodeLoads returns every node with its load, by name.
func (s *State) NodeLoads() []NodeLoad {
	txn := s.db.Txn(false)
	nodes := allNodes(txn)
	out := make([]NodeLoad, len(nodes))
	for i, n := range nodes {
		u := usageOf(txn, n.ID)
		out[i] = NodeLoad{Node: n, Jobs: u.Jobs, Memory: u.Memory}
	}
	return out
}

// NodeUsage returns the slots and memory node's unfinished jobs hold.
func (s *State) NodeUsage(node string) (jobs, memory int) {
	u := usageOf(s.db.Txn(false), node)
	return u.Jobs, u.Memory
}

// QueueLength is the number of jobs waiting for a node.
func (s *State) QueueLength() int {
	return usageOf(s.db.Txn(false), queueUsage).Jobs
}
