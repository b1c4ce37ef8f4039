package node

import (
	"context"
	"time"
)

// commitNudgeDelay is how long the leader waits after applying an entry
// for another write to carry the commit index to the followers before it
// sends one itself.
const commitNudgeDelay = 5 * time.Millisecond

// A follower learns that an entry committed only from the leader's next
// append: raft's heartbeats do not carry the commit index, and when writes
// pause the leader sends an append only after CommitTimeout. A short
// CommitTimeout keeps followers fresh at the price of hundreds of empty
// appends a second, forever, on an idle cluster; a long one leaves a job
// placed on a follower unstarted, and a follower's reads behind, until the
// timeout. The nudge gets both: after a write that no later write follows
// within commitNudgeDelay, the leader appends a barrier, whose append tells
// the followers the commit index at once. Under load the next write does
// that anyway and no barrier is sent; when idle nothing is sent at all.

// noteApplied tells the leader's nudge loop that this replica applied a
// write. It must not block: it runs on the FSM's apply goroutine.
func (n *Node) noteApplied() {
	select {
	case n.nudgeCh <- struct{}{}:
	default:
	}
}

// nudgeLoop runs on the leader while it leads.
func (n *Node) nudgeLoop(ctx context.Context) {
	defer n.wg.Done()
	timer := time.NewTimer(commitNudgeDelay)
	timer.Stop()
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-n.shutdownCh:
			return
		case <-n.nudgeCh:
			// Each write pushes the nudge back: while writes follow each
			// other closely, their own appends carry the commit index.
			timer.Reset(commitNudgeDelay)
		case <-timer.C:
			// A barrier's commit is not applied by the FSM, so it does not
			// nudge again. A failure only means leadership moved on.
			_ = n.waitFuture(ctx, n.raft.Barrier(n.config.ApplyTimeout))
		}
	}
}
