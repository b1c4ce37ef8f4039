package node

import "sync"

// jobQueue hands job ids from the FSM's apply goroutine, which must never
// block, to the dispatcher: push appends and signals, pop takes everything.
type jobQueue struct {
	mu     sync.Mutex
	ids    []string
	signal chan struct{}
}

func newJobQueue() *jobQueue {
	return &jobQueue{signal: make(chan struct{}, 1)}
}

func (q *jobQueue) push(id string) {
	q.mu.Lock()
	q.ids = append(q.ids, id)
	q.mu.Unlock()
	select {
	case q.signal <- struct{}{}:
	default:
	}
}

// pop waits for ids and returns all of them; false once done is closed.
func (q *jobQueue) pop(done <-chan struct{}) ([]string, bool) {
	for {
		q.mu.Lock()
		ids := q.ids
		q.ids = nil
		q.mu.Unlock()
		if len(ids) > 0 {
			return ids, true
		}
		select {
		case <-q.signal:
		case <-done:
			return nil, false
		}
	}
}
