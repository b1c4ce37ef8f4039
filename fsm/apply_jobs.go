package fsm

import (
	"github.com/hashicorp/go-memdb"
)

// existingJob is the job a change applies to, or the error that answers
// for it: a lookup failure, or ErrCodeNotFound.
func existingJob(txn *memdb.Txn, id string) (*Job, error) {
	j, err := firstJob(txn, id)
	if err == nil && j == nil {
		err = Errorf(ErrCodeNotFound, "no job with id %s", id)
	}
	return j, err
}

func applyJobSubmit(w *writeTxn, index uint64, req *JobSubmitRequest) (interface{}, jobChange) {
	txn := w.Txn
	existing, err := firstJob(txn, req.Job.ID)
	if err != nil {
		return err, jobChange{}
	}
	if existing != nil {
		if existing.RequestHash != "" && existing.RequestHash == req.Job.RequestHash {
			return &ApplyResult{Index: existing.ModifyIndex, Job: existing, Existing: true}, jobChange{}
		}
		return Errorf(ErrCodeConflict, "a different job with id %s already exists", req.Job.ID), jobChange{}
	}
	if _, retired, err := retiredHolder(txn, req.Job.ID); err != nil {
		return err, jobChange{}
	} else if retired {
		return Errorf(ErrCodeConflict, "job id %s belongs to a job that finished and was retired from the state: "+
			"its record is kept in the archive, and the id stays taken", req.Job.ID), jobChange{}
	}
	j := req.Job
	switch j.Status {
	case JobAccepted, JobInvalid:
	default:
		return Errorf(ErrCodeInvalid, "a job cannot be submitted in status %s", j.Status), jobChange{}
	}
	if j.Status == JobAccepted {
		if err := checkUserLimit(w, j.Request.User); err != nil {
			return err, jobChange{}
		}
		if req.Place {
			if err := place(w, &j, req.MaxQueued); err != nil {
				return err, jobChange{}
			}
		}
	}
	j.CreateIndex = index
	j.ModifyIndex = index
	if j.Status.Terminal() {
		j.Finished = j.Created
	}
	internJob(&j)
	if err := putJob(w, &j, nil); err != nil {
		return err, jobChange{}
	}
	return &ApplyResult{Index: index, Job: &j}, jobChange{job: &j}
}

// place decides where a new job goes, in the state it commits to: the node
// the receiving node chose if it still has room, else the least loaded
// node with room, else the queue. A job never passes one already waiting,
// so while the queue holds jobs new ones join it, and the leader assigns
// them in the fair order. A pinned job goes to its node or waits for it.
func place(w *writeTxn, j *Job, maxQueued int) error {
	txn := w.Txn
	queued := w.usageOf(queueUsage).Jobs
	var node *Node
	if queued == 0 {
		switch chosen := firstNode(txn, j.Node); {
		case j.PinnedNode != "":
			if pinned := firstNode(txn, j.PinnedNode); hasRoom(w, pinned, j.Memory) {
				node = pinned
			}
		case hasRoom(w, chosen, j.Memory):
			node = chosen
		default:
			node = leastLoadedWithRoom(w, j.Memory)
		}
	}
	if node != nil {
		j.Node, j.NodeName, j.StatusMsg = node.ID, node.Name, PlacedMsg(node.Name)
		return nil
	}
	if maxQueued > 0 && queued >= maxQueued {
		return Errorf(ErrCodeQueueFull, "the queue is full: %d jobs wait for capacity", queued)
	}
	j.Node, j.NodeName, j.StatusMsg = "", "", MsgQueued
	return nil
}

func applyJobTransition(w *writeTxn, index uint64, req *JobTransitionRequest) (interface{}, jobChange) {
	txn := w.Txn
	existing, err := existingJob(txn, req.ID)
	if err != nil {
		return err, jobChange{}
	}
	if req.Token != "" && existing.LastToken == req.Token && existing.Status == req.To {
		// A retry of the transition that brought the job here.
		return &ApplyResult{Index: existing.ModifyIndex, Job: existing, Existing: true}, jobChange{}
	}
	if existing.Status.Terminal() {
		return Errorf(ErrCodeStatus, "job %s is %s: its status is final", req.ID, existing.Status), jobChange{}
	}
	if !statusIn(existing.Status, req.From) {
		return Errorf(ErrCodeStatus, "job %s is %s, not %v", req.ID, existing.Status, req.From), jobChange{}
	}
	if req.Node != "" && existing.Node != req.Node {
		return Errorf(ErrCodeStatus, "job %s runs on node %s, not %s", req.ID, existing.Node, req.Node), jobChange{}
	}
	j := *existing
	j.Status = req.To
	if req.StatusMsg != "" {
		j.StatusMsg = intern(req.StatusMsg)
	}
	if req.ProcessID != 0 {
		j.ProcessID = req.ProcessID
	}
	if req.ExitCode != nil {
		code := *req.ExitCode
		j.ExitCode = &code
	}
	if req.ArchiveStatus != "" {
		j.ArchiveStatus, j.ArchiveMsg = req.ArchiveStatus, req.ArchiveMsg
	}
	j.LastToken = req.Token
	if req.Started != 0 && j.Started == 0 {
		j.Started = req.Started
	}
	if req.Time != 0 {
		j.Updated = req.Time
		if req.To == JobRunning && j.Started == 0 {
			j.Started = req.Time
		}
		if req.To.Terminal() {
			j.Finished = req.Time
		}
	}
	j.ModifyIndex = index
	if err := putJob(w, &j, existing); err != nil {
		return err, jobChange{}
	}
	return &ApplyResult{Index: index, Job: &j}, jobChange{job: &j, prev: existing}
}

func applyJobArchive(w *writeTxn, index uint64, req *JobArchiveRequest) (interface{}, jobChange) {
	txn := w.Txn
	existing, err := existingJob(txn, req.ID)
	if err != nil {
		return err, jobChange{}
	}
	if !existing.Status.Terminal() {
		return Errorf(ErrCodeStatus, "job %s is %s: only finished jobs are archived", req.ID, existing.Status), jobChange{}
	}
	if existing.ArchiveStatus == ArchiveArchived && req.ArchiveStatus != ArchiveArchived {
		// A late failure report must not hide an archive that exists.
		return Errorf(ErrCodeStatus, "job %s is already archived", req.ID), jobChange{}
	}
	j := *existing
	j.ArchiveStatus, j.ArchiveMsg = req.ArchiveStatus, req.ArchiveMsg
	j.RecordArchived = req.RecordArchived
	if req.RecordArchived {
		// The runner archives only once its end was recorded, so no retry
		// of a transition can follow: the token need not be kept. (Entries
		// of versions before records were archived keep it, so a replayed
		// old log gives the state it gave then.)
		j.LastToken = ""
	}
	if req.ArchiveLocation != "" {
		j.ArchiveLocation = req.ArchiveLocation
	}
	if req.StdoutSize != 0 {
		j.StdoutSize = req.StdoutSize
	}
	if req.StderrSize != 0 {
		j.StderrSize = req.StderrSize
	}
	if req.Time != 0 {
		j.Updated = req.Time
	}
	j.ModifyIndex = index
	if err := putJob(w, &j, existing); err != nil {
		return err, jobChange{}
	}
	return &ApplyResult{Index: index, Job: &j}, jobChange{job: &j, prev: existing}
}

func applyJobReassign(w *writeTxn, index uint64, req *JobReassignRequest) (interface{}, jobChange) {
	txn := w.Txn
	existing, err := existingJob(txn, req.ID)
	if err != nil {
		return err, jobChange{}
	}
	if existing.Status == JobAccepted && existing.Node == req.ToNode && req.ToNode != req.FromNode {
		// A retry of the move that was committed.
		return &ApplyResult{Index: existing.ModifyIndex, Job: existing, Existing: true}, jobChange{}
	}
	if existing.Status != JobAccepted || existing.Node != req.FromNode || req.FromNode == "" {
		return Errorf(ErrCodeStatus, "job %s is %s on node %s, not ACCEPTED on %s", req.ID, existing.Status, existing.Node, req.FromNode), jobChange{}
	}
	j := *existing
	// An empty ToNode sends the job back to the queue, where its
	// submission order puts it ahead of everything its user sent since.
	j.Node, j.NodeName = req.ToNode, req.ToNodeName
	if req.ToNode == "" {
		j.NodeName = ""
	}
	if req.StatusMsg != "" {
		j.StatusMsg = req.StatusMsg
	}
	if req.Time != 0 {
		j.Updated = req.Time
	}
	j.ModifyIndex = index
	if err := putJob(w, &j, existing); err != nil {
		return err, jobChange{}
	}
	return &ApplyResult{Index: index, Job: &j}, jobChange{job: &j, prev: existing}
}

func statusIn(s JobStatus, set []JobStatus) bool {
	for _, x := range set {
		if x == s {
			return true
		}
	}
	return false
}

// applyJobRetire removes finished jobs and keeps their ids as retired.
func applyJobRetire(w *writeTxn, index uint64, req *JobRetireRequest) interface{} {
	txn := w.Txn
	if len(req.Holders) != len(req.IDs) {
		return Errorf(ErrCodeInvalid, "a retire entry has %d ids and %d holders", len(req.IDs), len(req.Holders))
	}
	entries := make([]retiredEntry, 0, len(req.IDs))
	var retired []jobRow
	seen := make(map[string]bool, len(req.IDs))
	for i, id := range req.IDs {
		row, _, err := watchRow(txn, id)
		if err != nil {
			return err
		}
		if row == nil || !row.rowKey().Status.Terminal() || seen[id] {
			continue
		}
		seen[id] = true
		retired = append(retired, row)
		entries = append(entries, retiredEntry{hash: retiredHash(id), holder: req.Holders[i]})
	}
	if err := deleteJobs(txn, retired); err != nil {
		return err
	}
	if err := addRetired(txn, index, entries); err != nil {
		return err
	}
	w.addUsage(allJobsUsage, -len(entries), 0)
	return &ApplyResult{Index: index, Assigned: len(entries)}
}
