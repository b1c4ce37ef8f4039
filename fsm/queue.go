package fsm

import (
	"encoding/binary"
	"fmt"
)

// MsgQueued is a queued job's message as stored. Its place in line changes
// with every job that starts, so it is never written through raft: the
// API adds it when the job is read (see QueuedMsg).
const MsgQueued = "Job queued: waiting for capacity."

// MsgRequeuedLost is the stored message of a job sent back to the queue
// because the node it waited on was lost.
const MsgRequeuedLost = "Job queued: waiting for capacity, after its node was lost."

// QueuedMsg is the message of a queued job at position in line (from 1).
func QueuedMsg(position int) string {
	return fmt.Sprintf("Job queued: waiting for capacity (position %d).", position)
}

// Queued reports whether j waits in the queue: accepted, on no node yet.
func (j *Job) Queued() bool {
	return j.Status == JobAccepted && j.Node == ""
}

// JobAssignRequest places queued jobs on nodes, as the leader decided.
// Each assignment is checked against the state it applies to: one whose job
// left the queue meanwhile, or whose node has no room for it any more, is
// skipped and the job stays queued.
type JobAssignRequest struct {
	Assignments []Assignment
	Time        int64
}

// Assignment is one queued job and the node it goes to.
type Assignment struct {
	ID   string
	Node string
}

func applyJobAssign(w *writeTxn, index uint64, req *JobAssignRequest) (interface{}, []jobChange) {
	txn := w.Txn
	res := &ApplyResult{Index: index}
	var changes []jobChange
	for _, a := range req.Assignments {
		j, err := firstJob(txn, a.ID)
		if err != nil {
			return err, changes
		}
		node := firstNode(txn, a.Node)
		if j == nil || !j.Queued() || !hasRoom(w, node, j.Memory) ||
			(j.PinnedNode != "" && j.PinnedNode != node.ID) {
			continue
		}
		next := *j
		next.Node, next.NodeName = node.ID, node.Name
		next.StatusMsg = PlacedMsg(node.Name)
		if req.Time != 0 {
			next.Updated = req.Time
		}
		next.ModifyIndex = index
		if err := putJob(w, &next, j); err != nil {
			return err, changes
		}
		changes = append(changes, jobChange{job: &next, prev: j})
		res.Assigned++
	}
	return res, changes
}

// QueueLine is one user's queued jobs, oldest first, and how many of the
// user's jobs hold a slot on a node.
type QueueLine struct {
	User    string
	Running int
	Jobs    []*Job
}

// QueueLines returns the queue as one line per user, with each user's
// placed unfinished jobs counted, for the fair order the leader assigns in.
func (s *State) QueueLines() []QueueLine {
	txn := s.db.Txn(false)
	it, err := txn.Get(tableJobs, indexQueued)
	if err != nil {
		return nil
	}
	var lines []QueueLine
	byUser := map[string]int{}
	for raw := it.Next(); raw != nil; raw = it.Next() {
		j := raw.(*Job)
		u := j.Request.User
		i, ok := byUser[u]
		if !ok {
			i = len(lines)
			byUser[u] = i
			lines = append(lines, QueueLine{User: u})
		}
		lines[i].Jobs = append(lines[i].Jobs, j)
	}
	if len(lines) == 0 {
		return nil
	}
	for _, st := range ActiveJobStatuses {
		it, err := txn.Get(tableJobs, indexActive, string(st))
		if err != nil {
			continue
		}
		for raw := it.Next(); raw != nil; raw = it.Next() {
			j := raw.(*Job)
			if j.Node == "" {
				continue
			}
			if i, ok := byUser[j.Request.User]; ok {
				lines[i].Running++
			}
		}
	}
	return lines
}

// queuedIndex indexes queued jobs by user, then submission order, so a walk
// yields each user's line oldest first.
type queuedIndex struct{}

func (queuedIndex) FromObject(obj interface{}) (bool, []byte, error) {
	j, ok := obj.(*Job)
	if !ok {
		return false, nil, fmt.Errorf("queuedIndex: unexpected %T", obj)
	}
	if !j.Queued() {
		return false, nil, nil
	}
	key := make([]byte, 0, len(j.Request.User)+9)
	key = append(key, j.Request.User...)
	key = append(key, 0)
	key = binary.BigEndian.AppendUint64(key, j.CreateIndex)
	return true, key, nil
}

// FromArgs takes a user: the jobs of that user's line.
func (queuedIndex) FromArgs(args ...interface{}) ([]byte, error) {
	return activeStatusIndex{}.FromArgs(args...)
}

func (queuedIndex) PrefixFromArgs(args ...interface{}) ([]byte, error) {
	return activeStatusIndex{}.FromArgs(args...)
}

// OldestQueued is when the longest-waiting queued job was submitted (unix
// ms), zero when none waits.
func (s *State) OldestQueued() int64 {
	it, err := s.db.Txn(false).Get(tableJobs, indexQueued)
	if err != nil {
		return 0
	}
	var oldest int64
	for raw := it.Next(); raw != nil; raw = it.Next() {
		if c := raw.(*Job).Created; oldest == 0 || c < oldest {
			oldest = c
		}
	}
	return oldest
}
