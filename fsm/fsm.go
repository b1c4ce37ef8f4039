// Package fsm owns genie's replicated state: the registry of clusters,
// commands and applications and every job record, applied from the raft log.
package fsm

import (
	"fmt"
	"sync"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
)

// Config configures an FSM.
type Config struct {
	Logger hclog.Logger

	// OnJobChange, when set, is called after each committed change to a job,
	// from the apply goroutine, with the job before the change (nil for a
	// new job): it must not block. Neither job may be modified.
	OnJobChange func(j, prev *Job)

	// OnRestore, when set, is called after the state was replaced by a
	// snapshot, from the restoring goroutine.
	OnRestore func()

	// OnApplied, when set, is called with the index of the last entry of
	// each applied batch, from the apply goroutine: it must not block.
	OnApplied func(index uint64)
}

// FSM applies raft log entries to the state store. It implements
// raft.BatchingFSM so a batch of entries commits one memdb transaction.
type FSM struct {
	logger      hclog.Logger
	onJobChange func(j, prev *Job)
	onRestore   func()
	onApplied   func(uint64)

	// stateLock guards the state pointer, swapped whole by Restore.
	stateLock sync.RWMutex
	state     *State
}

var _ raft.BatchingFSM = (*FSM)(nil)

// New returns an FSM over an empty state.
func New(cfg *Config) (*FSM, error) {
	state, err := NewState()
	if err != nil {
		return nil, err
	}
	logger := cfg.Logger
	if logger == nil {
		logger = hclog.NewNullLogger()
	}
	return &FSM{
		logger:      logger.Named("fsm"),
		onJobChange: cfg.OnJobChange,
		onRestore:   cfg.OnRestore,
		onApplied:   cfg.OnApplied,
		state:       state,
	}, nil
}

// State returns the current state store. Hold on to it only briefly: a
// restore replaces it.
func (f *FSM) State() *State {
	f.stateLock.RLock()
	defer f.stateLock.RUnlock()
	return f.state
}

// Apply applies one log entry.
func (f *FSM) Apply(l *raft.Log) interface{} {
	return f.ApplyBatch([]*raft.Log{l})[0]
}

// ApplyBatch applies a batch of entries in one transaction. Every entry
// either applies whole or returns an error and changes nothing: each
// handler validates before it writes.
func (f *FSM) ApplyBatch(logs []*raft.Log) []interface{} {
	results := make([]interface{}, len(logs))
	state := f.State()
	txn := newWriteTxn(state.db.Txn(true))
	var changed []jobChange
	indexes := batchIndexes{}
	for i, l := range logs {
		if l.Type == raft.LogCommand {
			res, changes := f.applyOne(txn, l)
			results[i] = res
			changed = append(changed, changes...)
		}
		indexes.note(l, results[i])
	}
	if err := txn.flushUsage(); err != nil {
		panic(fmt.Errorf("record usage: %w", err))
	}
	if err := indexes.write(txn.Txn); err != nil {
		panic(fmt.Errorf("record table indexes: %w", err))
	}
	txn.Commit()
	if f.onJobChange != nil {
		for _, c := range changed {
			f.onJobChange(c.job, c.prev)
		}
	}
	if f.onApplied != nil && len(logs) > 0 {
		f.onApplied(logs[len(logs)-1].Index)
	}
	return results
}

// jobChange is a committed change to a job and the job before it.
type jobChange struct {
	job  *Job
	prev *Job
}

// one wraps a handler's answer and its change to at most one job.
func one(res interface{}, c jobChange) (interface{}, []jobChange) {
	if c.job == nil {
		return res, nil
	}
	return res, []jobChange{c}
}

func (f *FSM) applyOne(w *writeTxn, l *raft.Log) (interface{}, []jobChange) {
	if len(l.Data) == 0 {
		panic(fmt.Errorf("empty log entry at index %d", l.Index))
	}
	msgType, buf := MessageType(l.Data[0]), l.Data[1:]
	msg, ok := newMessage(msgType)
	if !ok {
		// An entry this version cannot read would make replicas diverge:
		// stop rather than skip it.
		panic(fmt.Errorf("unknown log entry type %d at index %d", msgType, l.Index))
	}
	f.decode(buf, msg, msgType, l.Index)
	txn := w.Txn
	switch req := msg.(type) {
	case *ClusterRequest:
		return applyCluster(txn, l.Index, req), nil
	case *CommandRequest:
		return applyCommand(txn, l.Index, req), nil
	case *ApplicationRequest:
		return applyApplication(txn, l.Index, req), nil
	case *JobSubmitRequest:
		return one(applyJobSubmit(w, l.Index, req))
	case *JobTransitionRequest:
		return one(applyJobTransition(w, l.Index, req))
	case *JobArchiveRequest:
		return one(applyJobArchive(w, l.Index, req))
	case *JobReassignRequest:
		return one(applyJobReassign(w, l.Index, req))
	case *JobAssignRequest:
		return applyJobAssign(w, l.Index, req)
	case *JobRetireRequest:
		return applyJobRetire(w, l.Index, req), nil
	case *ACLTokenRequest:
		return applyACLToken(txn, l.Index, req), nil
	case *ACLBootstrapRequest:
		return applyACLBootstrap(txn, l.Index, req), nil
	case *LimitsRequest:
		return applyLimits(txn, l.Index, req), nil
	case *NodeUpsertRequest:
		return applyNodeUpsert(txn, l.Index, req), nil
	case *NodeDeleteRequest:
		return applyNodeDelete(txn, l.Index, req), nil
	}
	panic(fmt.Errorf("no apply for %s entry at index %d", msgType, l.Index))
}

func (f *FSM) decode(buf []byte, out interface{}, t MessageType, index uint64) {
	if err := Decode(buf, out); err != nil {
		panic(fmt.Errorf("decode %s entry at index %d: %w", t, index, err))
	}
}

// ApplyResult is what Apply returns for a successful job submission.
type ApplyResult struct {
	Index uint64
	Job   *Job
	// Existing is true when the submission repeated an existing job's id and
	// request, so nothing new was recorded.
	Existing bool
	// Assigned counts the queued jobs an assignment entry placed, or the
	// jobs a retire entry retired.
	Assigned int
}
