package node

import (
	"context"
	"sync"

	"github.com/hashicorp/raft"
)

// leaderWatch tells waiters when raft's leader changes: a write forwarded
// to a leader that was just cut off would otherwise wait out the whole
// leader hold before trying the new one.
type leaderWatch struct {
	mu      sync.Mutex
	changed chan struct{}
}

func newLeaderWatch() *leaderWatch {
	return &leaderWatch{changed: make(chan struct{})}
}

// current returns a channel closed at the next change of leader.
func (w *leaderWatch) current() <-chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.changed
}

func (w *leaderWatch) notify() {
	w.mu.Lock()
	close(w.changed)
	w.changed = make(chan struct{})
	w.mu.Unlock()
}

// watchLeader feeds the watch from raft's leader observations until the
// node shuts down.
func (n *Node) watchLeader() {
	defer n.wg.Done()
	ch := make(chan raft.Observation, 16)
	obs := raft.NewObserver(ch, false, func(o *raft.Observation) bool {
		_, ok := o.Data.(raft.LeaderObservation)
		return ok
	})
	n.raft.RegisterObserver(obs)
	defer n.raft.DeregisterObserver(obs)
	for {
		select {
		case <-ch:
			n.leaders.notify()
		case <-n.shutdownCh:
			return
		}
	}
}

// untilLeaderChanges returns ctx, also cancelled when the leader changes.
func (n *Node) untilLeaderChanges(ctx context.Context) (context.Context, context.CancelFunc) {
	changed := n.leaders.current()
	ctx, cancel := context.WithCancel(ctx)
	go func() {
		select {
		case <-changed:
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx, cancel
}
