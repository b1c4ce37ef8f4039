package node

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/genie-cluster/genie/fsm"
	"github.com/genie-cluster/genie/transport"
)

// Entries a follower sends the leader at the same moment travel together:
// one call carries them all and the leader hands them to raft together,
// which puts them in one append. An entry that finds a caller free goes at
// once and alone; while every caller is out, entries wait, and the next
// caller to come back takes all that waited. An idle node adds no delay
// and a busy one makes fewer, fuller calls: one HTTP exchange per batch
// instead of per entry.
const (
	// forwardCallers is how many calls to the leader a node has out at
	// once.
	forwardCallers = 2
	// forwardBatchEntries and forwardBatchBytes bound one call; an entry
	// bigger than that goes alone.
	forwardBatchEntries = 256
	forwardBatchBytes   = 1 << 20
)

// forwarder gathers the entries this node forwards to the leader into
// batches.
type forwarder struct {
	n *Node
	// pending is unbuffered: an entry waits in its sender until a caller
	// takes it, so the waiting entries are exactly the blocked senders.
	pending chan *forwardedEntry
}

type forwardedEntry struct {
	ctx  context.Context
	addr string
	buf  []byte
	done chan forwardAnswer // buffered: a caller never waits on a sender
}

type forwardAnswer struct {
	res *fsm.ApplyResult
	err error
}

func newForwarder(n *Node) *forwarder {
	return &forwarder{n: n, pending: make(chan *forwardedEntry)}
}

// start runs the callers until the node shuts down.
func (f *forwarder) start() {
	f.n.wg.Add(forwardCallers)
	for i := 0; i < forwardCallers; i++ {
		go f.callLoop()
	}
}

// forward sends buf to the leader at addr with the entries sent at the same
// moment and returns the leader's answer for it. A failure to reach the
// leader, or ctx ending first, wraps errLeaderUnreachable: the caller may
// try again, and since every entry carries its id or token, an entry that
// did commit is recognised.
func (f *forwarder) forward(ctx context.Context, addr string, buf []byte) (*fsm.ApplyResult, error) {
	e := &forwardedEntry{ctx: ctx, addr: addr, buf: buf, done: make(chan forwardAnswer, 1)}
	select {
	case f.pending <- e:
	case <-ctx.Done():
		return nil, fmt.Errorf("%w: %v", errLeaderUnreachable, ctx.Err())
	case <-f.n.shutdownCh:
		return nil, errShuttingDown
	}
	select {
	case a := <-e.done:
		return a.res, a.err
	case <-ctx.Done():
		return nil, fmt.Errorf("%w: %v", errLeaderUnreachable, ctx.Err())
	case <-f.n.shutdownCh:
		return nil, errShuttingDown
	}
}

func (f *forwarder) callLoop() {
	defer f.n.wg.Done()
	// A batch's body must pass the leader's bound on request bodies, which
	// is this node's too in a cluster configured alike.
	maxBytes := min(forwardBatchBytes, int(f.n.config.MaxRequestBytes/2))
	var next *forwardedEntry
	for {
		first := next
		next = nil
		if first == nil {
			select {
			case first = <-f.pending:
			case <-f.n.shutdownCh:
				return
			}
		}
		batch, size := []*forwardedEntry{first}, len(first.buf)
	gather:
		for len(batch) < forwardBatchEntries {
			select {
			case e := <-f.pending:
				if size+len(e.buf) > maxBytes {
					// It leads the next batch (alone, if it is that big).
					next = e
					break gather
				}
				batch = append(batch, e)
				size += len(e.buf)
			default:
				break gather
			}
		}
		// Entries gathered around a change of leader may name two.
		for len(batch) > 0 {
			var same, rest []*forwardedEntry
			for _, e := range batch {
				if e.addr == batch[0].addr {
					same = append(same, e)
				} else {
					rest = append(rest, e)
				}
			}
			f.call(same)
			batch = rest
		}
	}
}

// call sends one batch, all to the same leader, and answers each entry.
func (f *forwarder) call(batch []*forwardedEntry) {
	live := batch[:0]
	for _, e := range batch {
		if e.ctx.Err() == nil {
			live = append(live, e)
		}
	}
	if len(live) == 0 {
		return
	}
	ctx, cancel := f.callContext(live)
	defer cancel()
	f.n.metrics.forwardCalls.Inc()
	f.n.metrics.forwarded.Add(float64(len(live)))
	addr := live[0].addr
	if len(live) == 1 {
		res, err := f.n.forwardOne(ctx, addr, live[0].buf)
		if errors.Is(err, errLeaderUnreachable) {
			f.n.metrics.forwardFailed.Inc()
		}
		live[0].done <- forwardAnswer{res, err}
		return
	}
	bufs := make([][]byte, len(live))
	for i, e := range live {
		bufs[i] = e.buf
	}
	resps, err := transport.CallInternalBatch(ctx, f.n.internal, f.n.peerURL(addr, transport.InternalApplyBatchPath), f.n.config.NodeName, bufs)
	var callErr *transport.CallError
	if errors.As(err, &callErr) && callErr.Status == http.StatusNotFound {
		// A leader of a version before batches (a rolling upgrade): each
		// entry goes on its own, all at once.
		f.callEach(ctx, addr, live)
		return
	}
	if err != nil {
		f.n.metrics.forwardFailed.Inc()
		err = fmt.Errorf("%w: %v", errLeaderUnreachable, err)
	}
	for i, e := range live {
		if err != nil {
			e.done <- forwardAnswer{err: err}
			continue
		}
		res, rerr := resps[i].Result()
		e.done <- forwardAnswer{res, rerr}
	}
}

// callEach sends each entry of batch in a call of its own, at once.
func (f *forwarder) callEach(ctx context.Context, addr string, batch []*forwardedEntry) {
	var wg sync.WaitGroup
	for _, e := range batch {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := f.n.forwardOne(ctx, addr, e.buf)
			e.done <- forwardAnswer{res, err}
		}()
	}
	wg.Wait()
}

// callContext bounds a call by the latest of its entries' deadlines (an
// entry whose own deadline passes stops waiting for it), and ends it when
// another node becomes leader or this one shuts down.
func (f *forwarder) callContext(batch []*forwardedEntry) (context.Context, context.CancelFunc) {
	deadline := time.Now().Add(f.n.config.ApplyTimeout)
	latest := time.Time{}
	for _, e := range batch {
		dl, ok := e.ctx.Deadline()
		if !ok {
			latest = deadline
			break
		}
		if dl.After(latest) {
			latest = dl
		}
	}
	ctx, cancel := context.WithDeadline(context.Background(), latest)
	changed := f.n.leaders.current()
	go func() {
		select {
		case <-changed:
		case <-f.n.shutdownCh:
		case <-ctx.Done():
		}
		cancel()
	}()
	return ctx, cancel
}
