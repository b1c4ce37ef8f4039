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

// usageKey is the usage row a job on node counts in.
func usageKey(node string) string {
	if node == "" {
		return queueUsage
	}
	return node
}

// Usage is what a node's unfinished jobs hold: slots and memory. The row
// keyed queueUsage counts the queue. Usage is derived from the jobs table
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

func addUsage(txn *memdb.Txn, node string, jobs, memory int) error {
	u := usageOf(txn, node)
	u.Jobs += jobs
	u.Memory += memory
	if u.Jobs == 0 && u.Memory == 0 {
		if err := txn.Delete(tableUsage, &u); err != nil && err != memdb.ErrNotFound {
			return err
		}
		return nil
	}
	return txn.Insert(tableUsage, &u)
}

// holdsSlot reports whether j counts against a node (or the queue).
func holdsSlot(j *Job) bool {
	return j != nil && !j.Status.Terminal()
}

// putJob writes j, which replaces prev (nil for a new job), and moves the
// slot and memory it holds between nodes and the queue.
func putJob(txn *memdb.Txn, j, prev *Job) error {
	if err := storeJob(txn, j, prev); err != nil {
		return err
	}
	if prev == nil {
		if err := addUsage(txn, allJobsUsage, 1, 0); err != nil {
			return err
		}
	}
	if holdsSlot(prev) {
		if err := addUsage(txn, usageKey(prev.Node), -1, -prev.Memory); err != nil {
			return err
		}
	}
	if holdsSlot(j) {
		return addUsage(txn, usageKey(j.Node), 1, j.Memory)
	}
	return nil
}

// recomputeUsage rebuilds the usage rows from the unfinished jobs, after a
// restore.
func recomputeUsage(txn *memdb.Txn, jobs int) error {
	if err := addUsage(txn, allJobsUsage, jobs, 0); err != nil {
		return err
	}
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
			if err := addUsage(txn, usageKey(j.Node), 1, j.Memory); err != nil {
				return err
			}
		}
	}
	return nil
}

// hasRoom reports whether node may take one more job needing memory MB.
func hasRoom(txn *memdb.Txn, node *Node, memory int) bool {
	if node == nil || !node.Eligible() {
		return false
	}
	u := usageOf(txn, node.ID)
	return u.Jobs < node.MaxJobs && u.Memory+memory <= node.MaxMemory
}

// leastLoadedWithRoom is the eligible node with room for a job needing
// memory MB whose share of slots in use is smallest (ties by id, so every
// replica picks the same), or nil.
func leastLoadedWithRoom(txn *memdb.Txn, memory int) *Node {
	var best *Node
	var bestJobs int
	for _, n := range allNodes(txn) {
		if !hasRoom(txn, n, memory) {
			continue
		}
		jobs := usageOf(txn, n.ID).Jobs
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
