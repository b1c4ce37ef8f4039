package balance

import (
	"container/heap"

	"github.com/genie-cluster/genie/fsm"
)

// FairQueue yields queued jobs in the order the cluster starts them: the
// user with the fewest jobs holding a slot goes first, and each user's jobs
// go oldest first. A user with a thousand queued jobs therefore does not
// starve one with a single job, and no user's jobs overtake each other.
// Ties go to the user whose next job was submitted first.
type FairQueue struct {
	h lineHeap
}

// NewFairQueue orders lines, as fsm.State.QueueLines returns them.
func NewFairQueue(lines []fsm.QueueLine) *FairQueue {
	q := &FairQueue{h: make(lineHeap, 0, len(lines))}
	for _, l := range lines {
		if len(l.Jobs) > 0 {
			q.h = append(q.h, &line{running: l.Running, jobs: l.Jobs})
		}
	}
	heap.Init(&q.h)
	return q
}

// Peek returns the job that goes next, or nil when none is left.
func (q *FairQueue) Peek() *fsm.Job {
	if len(q.h) == 0 {
		return nil
	}
	return q.h[0].jobs[0]
}

// Take removes the next job: it was placed, so its user now holds one more
// slot.
func (q *FairQueue) Take() {
	l := q.h[0]
	l.jobs = l.jobs[1:]
	l.running++
	if len(l.jobs) == 0 {
		heap.Pop(&q.h)
		return
	}
	heap.Fix(&q.h, 0)
}

// Skip removes the next job's user: the job cannot be placed now, and the
// user's later jobs must not overtake it.
func (q *FairQueue) Skip() {
	heap.Pop(&q.h)
}

// Order returns every job in the order a cluster with room for all of them
// would start them.
func (q *FairQueue) Order() []*fsm.Job {
	var out []*fsm.Job
	for j := q.Peek(); j != nil; j = q.Peek() {
		out = append(out, j)
		q.Take()
	}
	return out
}

type line struct {
	running int
	jobs    []*fsm.Job
}

type lineHeap []*line

func (h lineHeap) Len() int { return len(h) }
func (h lineHeap) Less(i, j int) bool {
	if h[i].running != h[j].running {
		return h[i].running < h[j].running
	}
	return h[i].jobs[0].CreateIndex < h[j].jobs[0].CreateIndex
}
func (h lineHeap) Swap(i, j int)       { h[i], h[j] = h[j], h[i] }
func (h *lineHeap) Push(x interface{}) { *h = append(*h, x.(*line)) }
func (h *lineHeap) Pop() interface{} {
	old := *h
	l := old[len(old)-1]
	*h = old[:len(old)-1]
	return l
}
