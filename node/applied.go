package node

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// appliedIndex follows the last log index the FSM applied, so callers can
// wait for their write to reach this replica without polling, and the
// highest index of a write this node acknowledged to a client before its
// replica applied it.
type appliedIndex struct {
	mu      sync.Mutex
	index   uint64
	changed chan struct{} // closed and replaced on every advance

	acked atomic.Uint64
}

// raft's own AppliedIndex is no substitute: it advances when entries are
// handed to the FSM, before the FSM has applied them.
func newAppliedIndex() *appliedIndex {
	return &appliedIndex{changed: make(chan struct{})}
}

// advance records that index was applied; called from the apply goroutine.
func (a *appliedIndex) advance(index uint64) {
	a.mu.Lock()
	if index > a.index {
		a.index = index
		close(a.changed)
		a.changed = make(chan struct{})
	}
	a.mu.Unlock()
}

func (a *appliedIndex) current() (uint64, <-chan struct{}) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.index, a.changed
}

// wait blocks until index is applied, ctx ends or timeout passes; it reports
// whether index was applied.
func (a *appliedIndex) wait(ctx context.Context, index uint64, timeout time.Duration) bool {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		cur, changed := a.current()
		if cur >= index {
			return true
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return false
		case <-timer.C:
			return false
		}
	}
}

// ack records that a write committed at index was acknowledged to a client
// before this replica applied it.
func (a *appliedIndex) ack(index uint64) {
	for {
		cur := a.acked.Load()
		if index <= cur || a.acked.CompareAndSwap(cur, index) {
			return
		}
	}
}

// waitAcked blocks until every write acknowledged so far is applied here,
// ctx ends or timeout passes. A replica that cannot apply them in time is
// cut off from the leader: later reads do not wait for them again, so a
// cut-off node stalls one read, not all of them.
func (a *appliedIndex) waitAcked(ctx context.Context, timeout time.Duration) {
	acked := a.acked.Load()
	if acked == 0 {
		return
	}
	if cur, _ := a.current(); cur >= acked {
		return
	}
	if !a.wait(ctx, acked, timeout) && ctx.Err() == nil {
		cur, _ := a.current()
		a.acked.CompareAndSwap(acked, cur)
	}
}
