package fsm

import (
	"sort"

	"github.com/hashicorp/go-memdb"
)

// Node statuses, as the leader sees them from gossip.
const (
	NodeAlive   = "alive"
	NodeSuspect = "suspect"
	NodeDead    = "dead"
	NodeLeft    = "left"
)

// Node is a member of the cluster as the replicated state knows it: where
// it is, what it offers jobs, and whether it may take more. The leader
// keeps the table in step with gossip; jobs placed on a node and its free
// room are derived from the jobs table (see usage.go).
type Node struct {
	ID        string
	Name      string
	API       string
	Raft      string
	Zone      string
	MaxJobs   int
	MaxMemory int // MB
	Draining  bool
	// DiskLow, when set, says why the node takes no new jobs: its disk is
	// below -min-free-disk.
	DiskLow string
	Status  string
	// Since is when the node entered Status (unix ms), as the leader saw it.
	Since       int64
	ModifyIndex uint64
}

// Eligible reports whether new jobs may be placed on the node.
func (n *Node) Eligible() bool {
	return n.Status == NodeAlive && !n.Draining && n.DiskLow == "" && n.MaxJobs > 0
}

// SameAs reports whether o describes the node as n does, ignoring the
// bookkeeping fields, so the leader writes only real changes.
func (n *Node) SameAs(o *Node) bool {
	return n.ID == o.ID && n.Name == o.Name && n.API == o.API && n.Raft == o.Raft && n.Zone == o.Zone &&
		n.MaxJobs == o.MaxJobs && n.MaxMemory == o.MaxMemory && n.Draining == o.Draining && n.DiskLow == o.DiskLow &&
		n.Status == o.Status
}

// NodeUpsertRequest records a node, or its change.
type NodeUpsertRequest struct {
	Node Node
}

// NodeDeleteRequest forgets a node that left the raft group.
type NodeDeleteRequest struct {
	ID string
}

func nodesTable() *memdb.TableSchema {
	return &memdb.TableSchema{
		Name: tableNodes,
		Indexes: map[string]*memdb.IndexSchema{
			indexID: {Name: indexID, Unique: true, Indexer: &memdb.StringFieldIndex{Field: "ID"}},
		},
	}
}

func firstNode(txn *memdb.Txn, id string) *Node {
	raw, err := txn.First(tableNodes, indexID, id)
	if err != nil || raw == nil {
		return nil
	}
	return raw.(*Node)
}

func applyNodeUpsert(txn *memdb.Txn, index uint64, req *NodeUpsertRequest) interface{} {
	n := req.Node
	if n.ID == "" {
		return Errorf(ErrCodeInvalid, "a node needs an id")
	}
	if n.MaxJobs < 0 || n.MaxMemory < 0 {
		return Errorf(ErrCodeInvalid, "node %s: negative capacity", n.ID)
	}
	if cur := firstNode(txn, n.ID); cur != nil && cur.SameAs(&n) {
		return &ApplyResult{Index: cur.ModifyIndex}
	}
	n.ModifyIndex = index
	if err := txn.Insert(tableNodes, &n); err != nil {
		return err
	}
	return &ApplyResult{Index: index}
}

func applyNodeDelete(txn *memdb.Txn, index uint64, req *NodeDeleteRequest) interface{} {
	cur := firstNode(txn, req.ID)
	if cur == nil {
		return &ApplyResult{Index: index}
	}
	if err := txn.Delete(tableNodes, cur); err != nil {
		return err
	}
	return &ApplyResult{Index: index}
}

// Node returns the node with id, or nil.
func (s *State) Node(id string) *Node {
	return firstNode(s.db.Txn(false), id)
}

// Nodes returns every node, by name.
func (s *State) Nodes() []*Node {
	return allNodes(s.db.Txn(false))
}

func allNodes(txn *memdb.Txn) []*Node {
	it, err := txn.Get(tableNodes, indexID)
	if err != nil {
		return nil
	}
	var out []*Node
	for raw := it.Next(); raw != nil; raw = it.Next() {
		out = append(out, raw.(*Node))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// LargestNodeMemory is the most memory any live node offers jobs: a job
// asking more can never run. Zero when no node is known yet.
func (s *State) LargestNodeMemory() int {
	largest := 0
	for _, n := range s.Nodes() {
		if n.Status != NodeLeft && n.MaxMemory > largest {
			largest = n.MaxMemory
		}
	}
	return largest
}

// WatchNode returns the node with id (nil when unknown) and a channel
// closed when its record next changes.
func (s *State) WatchNode(id string) (*Node, <-chan struct{}) {
	ch, raw, err := s.db.Txn(false).FirstWatch(tableNodes, indexID, id)
	if err != nil || raw == nil {
		return nil, ch
	}
	return raw.(*Node), ch
}
