package node

import "sync"

// capacity tracks the slots and memory this node's unfinished jobs hold. A
// slot is reserved before the submission is committed, so the limit holds
// even while many submissions are in flight.
type capacity struct {
	maxJobs   int
	maxMemory int

	// changed is told after every change, to gossip the new load.
	changed func()

	mu       sync.Mutex
	reserved map[string]int // job id → memory MB
	memory   int
}

func newCapacity(maxJobs, maxMemory int, changed func()) *capacity {
	return &capacity{maxJobs: maxJobs, maxMemory: maxMemory, reserved: make(map[string]int), changed: changed}
}

// reserve takes a slot and memory for job id; false when they are not free.
func (c *capacity) reserve(id string, memory int) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.reserved[id]; ok {
		return true
	}
	if len(c.reserved) >= c.maxJobs || c.memory+memory > c.maxMemory {
		return false
	}
	c.reserved[id] = memory
	c.memory += memory
	c.changed()
	return true
}

// hold counts job id even past the limits: the leader gave it to this node
// (moved from a lost one) after choosing it for its room, which a
// submission since may have taken.
func (c *capacity) hold(id string, memory int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.reserved[id]; ok {
		return
	}
	c.reserved[id] = memory
	c.memory += memory
	c.changed()
}

// release frees what job id held; releasing twice is harmless.
func (c *capacity) release(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if m, ok := c.reserved[id]; ok {
		delete(c.reserved, id)
		c.memory -= m
		c.changed()
	}
}

// reset replaces every reservation, from the replicated state.
func (c *capacity) reset(jobs map[string]int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.reserved = make(map[string]int, len(jobs))
	c.memory = 0
	for id, m := range jobs {
		c.reserved[id] = m
		c.memory += m
	}
	c.changed()
}

// usage returns the slots and memory in use.
func (c *capacity) usage() (jobs, memory int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.reserved), c.memory
}
