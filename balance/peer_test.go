package balance

import (
	"math/rand/v2"
	"sync"
	"testing"
	"time"
)

// fakeClock is a settable clock for the chooser's now field.
type fakeClock struct{ t time.Time }

func (f *fakeClock) now() time.Time          { return f.t }
func (f *fakeClock) advance(d time.Duration) { f.t = f.t.Add(d) }
func newFakeClock() *fakeClock               { return &fakeClock{t: time.Unix(1_700_000_000, 0)} }
func seeded(seed uint64) *rand.Rand          { return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)) }
func testChooser(seed uint64) *PeerChooser {
	return newPeerChooser(0, seeded(seed), newFakeClock().now)
}
func node(id string, jobs, maxJobs int) Peer {
	return Peer{ID: id, RunningJobs: jobs, MaxJobs: maxJobs, MaxMemory: 1 << 20}
}
func localNode(id string, jobs, maxJobs int) Peer {
	p := node(id, jobs, maxJobs)
	p.Local = true
	return p
}

func TestChooseNeverDrainingOrFull(t *testing.T) {
	local := localNode("a", 90, 100)
	drainingIdle := node("b", 0, 100)
	drainingIdle.Draining = true
	full := node("c", 10, 10)
	open := node("d", 50, 100)
	peers := []Peer{local, drainingIdle, full, open}
	for seed := uint64(0); seed < 200; seed++ {
		if got := testChooser(seed).Choose(peers, 1); got != "d" {
			t.Fatalf("seed %d: chose %q, want d", seed, got)
		}
	}

	// A draining local node must hand off even to a busier peer.
	local.Draining = true
	busy := node("e", 99, 100)
	for seed := uint64(0); seed < 50; seed++ {
		if got := testChooser(seed).Choose([]Peer{local, drainingIdle, full, busy}, 1); got != "e" {
			t.Fatalf("seed %d: draining local: chose %q, want e", seed, got)
		}
	}
}

func TestChoosePrefersLocalWhenEqual(t *testing.T) {
	peers := []Peer{localNode("a", 10, 100), node("b", 10, 100), node("c", 10, 100), node("d", 1, 10)}
	for seed := uint64(0); seed < 200; seed++ {
		if got := testChooser(seed).Choose(peers, 1); got != "a" {
			t.Fatalf("seed %d: chose %q, want local a", seed, got)
		}
	}
	// One job lighter is not clearly lighter: taking the job would only
	// make the peer as loaded as the local node.
	peers = []Peer{localNode("a", 10, 100), node("b", 9, 100)}
	if got := testChooser(1).Choose(peers, 1); got != "a" {
		t.Fatalf("one job lighter: chose %q, want local a", got)
	}
	peers = []Peer{localNode("a", 10, 100), node("b", 8, 100)}
	if got := testChooser(1).Choose(peers, 1); got != "b" {
		t.Fatalf("two jobs lighter: chose %q, want b", got)
	}
	// Alone, the local node takes everything it has room for.
	if got := testChooser(1).Choose([]Peer{localNode("a", 99, 100)}, 1); got != "a" {
		t.Fatalf("alone: chose %q, want a", got)
	}
}

func TestChooseClearlyIdlePeer(t *testing.T) {
	peers := []Peer{localNode("a", 50, 100), node("b", 50, 100), node("c", 0, 100)}
	for seed := uint64(0); seed < 200; seed++ {
		if got := testChooser(seed).Choose(peers, 1); got != "c" {
			t.Fatalf("seed %d: chose %q, want idle c", seed, got)
		}
	}
	// Load is a fraction: 20 of 100 is lighter than 5 of 10.
	peers = []Peer{localNode("a", 5, 10), node("b", 20, 100)}
	if got := testChooser(1).Choose(peers, 1); got != "b" {
		t.Fatalf("different sizes: chose %q, want b", got)
	}
	// And 5 of 10 is heavier than 20 of 100, so the small peer is not taken.
	peers = []Peer{localNode("a", 20, 100), node("b", 5, 10)}
	if got := testChooser(1).Choose(peers, 1); got != "a" {
		t.Fatalf("different sizes: chose %q, want local a", got)
	}
}

func TestChooseRespectsMemory(t *testing.T) {
	local := localNode("a", 50, 100)
	local.UsedMemory, local.MaxMemory = 3000, 4000
	idleSmall := node("b", 0, 100)
	idleSmall.UsedMemory, idleSmall.MaxMemory = 7500, 8000
	busyBig := node("c", 60, 100)
	busyBig.UsedMemory, busyBig.MaxMemory = 1000, 8000
	peers := []Peer{local, idleSmall, busyBig}

	for seed := uint64(0); seed < 100; seed++ {
		// Small enough for b, which is clearly the lightest.
		if got := testChooser(seed).Choose(peers, 500); got != "b" {
			t.Fatalf("seed %d: 500 MB: chose %q, want b", seed, got)
		}
		// Exactly a's free memory: b is out, c is busier, so stay.
		if got := testChooser(seed).Choose(peers, 1000); got != "a" {
			t.Fatalf("seed %d: 1000 MB: chose %q, want a", seed, got)
		}
		// Too big for a and b; c has room despite its load.
		if got := testChooser(seed).Choose(peers, 2000); got != "c" {
			t.Fatalf("seed %d: 2000 MB: chose %q, want c", seed, got)
		}
	}
	// Too big for anyone.
	if got := testChooser(1).Choose(peers, 7001); got != "" {
		t.Fatalf("7001 MB: chose %q, want none", got)
	}
}

func TestChooseNoRoom(t *testing.T) {
	draining := node("c", 0, 100)
	draining.Draining = true
	peers := []Peer{localNode("a", 100, 100), node("b", 4, 4), draining, node("d", 0, 0)}
	if got := testChooser(1).Choose(peers, 1); got != "" {
		t.Fatalf("chose %q, want none", got)
	}
	if got := testChooser(1).Choose(nil, 1); got != "" {
		t.Fatalf("no peers: chose %q, want none", got)
	}
	// No local node in the list: an eligible peer is still usable.
	if got := testChooser(1).Choose([]Peer{node("b", 3, 4)}, 1); got != "b" {
		t.Fatalf("no local: chose %q, want b", got)
	}
}

func TestForwardsCountUntilWindowPasses(t *testing.T) {
	clock := newFakeClock()
	c := newPeerChooser(time.Second, seeded(1), clock.now)
	peers := []Peer{localNode("a", 1, 1), node("b", 0, 1)}

	if got := c.Choose(peers, 1); got != "b" {
		t.Fatalf("before forward: chose %q, want b", got)
	}
	c.Forwarded("b", 0)
	if got := c.Choose(peers, 1); got != "" {
		t.Fatalf("right after forward: chose %q, want none (b's slot is taken)", got)
	}
	clock.advance(time.Second - time.Nanosecond)
	if got := c.Choose(peers, 1); got != "" {
		t.Fatalf("just inside window: chose %q, want none", got)
	}
	clock.advance(time.Nanosecond)
	if got := c.Choose(peers, 1); got != "b" {
		t.Fatalf("after window: chose %q, want b", got)
	}
	if len(c.forwards) != 0 {
		t.Fatalf("aged-out forwards kept: %v", c.forwards)
	}

	// Forwards to a peer add to its load, not just its slot count.
	peers = []Peer{localNode("a", 5, 100), node("b", 0, 100)}
	for range 4 {
		c.Forwarded("b", 0)
	}
	if got := c.Choose(peers, 1); got != "a" {
		t.Fatalf("four forwards pending: chose %q, want a", got)
	}
	clock.advance(time.Second)
	if got := c.Choose(peers, 1); got != "b" {
		t.Fatalf("forwards aged out: chose %q, want b", got)
	}
}

func TestDefaultWindow(t *testing.T) {
	if w := NewPeerChooser(0).window; w != DefaultForwardWindow {
		t.Fatalf("window %v, want %v", w, DefaultForwardWindow)
	}
	if w := NewPeerChooser(-time.Second).window; w != DefaultForwardWindow {
		t.Fatalf("window %v, want %v", w, DefaultForwardWindow)
	}
	if w := NewPeerChooser(5 * time.Second).window; w != 5*time.Second {
		t.Fatalf("window %v, want 5s", w)
	}
}

// simulateBurst sends n submissions to node a of three 100-slot nodes that
// start with the given job counts. a's own count is exact; b and c report
// their starting load for the whole burst, so the chooser's own forwards are
// its only news of them. Submissions arrive 1 ms apart, well inside the
// window, and no job ends. after, if set, sees the counts after each one.
func simulateBurst(t *testing.T, seed uint64, start map[string]int, n int, after func(i int, jobs map[string]int)) map[string]int {
	t.Helper()
	clock := newFakeClock()
	c := newPeerChooser(0, seeded(seed), clock.now)
	jobs := map[string]int{"a": start["a"], "b": start["b"], "c": start["c"]}
	for i := range n {
		peers := []Peer{localNode("a", jobs["a"], 100), node("b", start["b"], 100), node("c", start["c"], 100)}
		id := c.Choose(peers, 1)
		if id == "" {
			t.Fatalf("seed %d: submission %d found no room; jobs %v", seed, i, jobs)
		}
		jobs[id]++
		if id != "a" {
			c.Forwarded(id, 0)
		}
		if after != nil {
			after(i, jobs)
		}
		clock.advance(time.Millisecond)
	}
	return jobs
}

func spread(jobs map[string]int) (lo, hi int) {
	lo = -1
	for _, n := range jobs {
		if lo < 0 || n < lo {
			lo = n
		}
		hi = max(hi, n)
	}
	return lo, hi
}

func TestBurstOf300StaysBalanced(t *testing.T) {
	for seed := uint64(0); seed < 50; seed++ {
		// 300 fills all three nodes, so also hold the spread to two jobs
		// all the way through, not just at the end.
		jobs := simulateBurst(t, seed, nil, 300, func(i int, jobs map[string]int) {
			if lo, hi := spread(jobs); hi-lo > 2 {
				t.Fatalf("seed %d: after %d submissions: unbalanced %v", seed, i+1, jobs)
			}
		})
		lo, hi := spread(jobs)
		if lo == 0 || float64(hi)/float64(lo) > 1.2 {
			t.Fatalf("seed %d: unbalanced %v", seed, jobs)
		}
	}
}

func TestBurstOf60ReachesEveryNode(t *testing.T) {
	for seed := uint64(0); seed < 50; seed++ {
		jobs := simulateBurst(t, seed, nil, 60, nil)
		lo, hi := spread(jobs)
		if lo == 0 || float64(hi)/float64(lo) > 1.5 {
			t.Fatalf("seed %d: unbalanced %v", seed, jobs)
		}
	}
}

func TestBurstEvensOutUnevenStart(t *testing.T) {
	start := map[string]int{"a": 25, "b": 40, "c": 10}
	for seed := uint64(0); seed < 50; seed++ {
		jobs := simulateBurst(t, seed, start, 120, nil)
		if lo, hi := spread(jobs); hi-lo > 2 {
			t.Fatalf("seed %d: unbalanced %v", seed, jobs)
		}
	}
}

func TestChooseConcurrentUse(t *testing.T) {
	c := NewPeerChooser(time.Second)
	peers := []Peer{localNode("a", 50, 100), node("b", 0, 100), node("c", 0, 100)}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 200 {
				if id := c.Choose(peers, 1); id != "a" {
					c.Forwarded(id, 0)
				}
			}
		})
	}
	wg.Wait()
}

// TestForwardsStopCountingOnceReported checks a forward is not counted on
// top of a gossip report that already includes it.
func TestForwardsStopCountingOnceReported(t *testing.T) {
	c := testChooser(1)
	peer := Peer{ID: "b", MaxJobs: 100, MaxMemory: 1000, RunningJobs: 10}
	c.Forwarded("b", 7)
	c.Forwarded("b", 8)
	if got := c.pending(&peer); got != 2 {
		t.Fatalf("pending before the report: %d", got)
	}
	peer.RunningJobs, peer.Accepted = 11, 7
	if got := c.pending(&peer); got != 1 {
		t.Fatalf("pending once forward 7 is reported: %d", got)
	}
	peer.RunningJobs, peer.Accepted = 12, 8
	if got := c.pending(&peer); got != 0 {
		t.Fatalf("pending once both are reported: %d", got)
	}
}
