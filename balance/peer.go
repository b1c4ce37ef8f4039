package balance

import (
	"math/rand/v2"
	"sync"
	"time"
)

// DefaultForwardWindow is how long a forward counts against a peer when
// NewPeerChooser is given no window: gossip reports a peer's load within
// about a second, so two seconds covers it with margin.
const DefaultForwardWindow = 2 * time.Second

// Peer is a node that could run a job, as the choosing node sees it.
type Peer struct {
	ID          string
	RunningJobs int // jobs holding a slot there (from gossip, up to ~1 s old; exact for the local node)
	MaxJobs     int
	UsedMemory  int // MB
	MaxMemory   int // MB
	Draining    bool
	Local       bool // the choosing node itself
	// Accepted counts the forwarded submissions the peer had taken when it
	// reported RunningJobs; forwards it answered with a higher sequence
	// number are not in that load yet.
	Accepted uint64
}

// PeerChooser picks the node a submission runs on. It is safe for concurrent
// use.
//
// The choosing node keeps a job unless a peer is clearly less loaded, so that
// a quiet cluster does not bounce jobs around on noise. Candidate peers are
// found by the power of two choices (the less loaded of two random eligible
// peers), which spreads load nearly as well as scanning every peer while
// keeping many choosing nodes from piling onto the single least-loaded one.
//
// Gossip lags by up to a second, so during a burst every node would look as
// idle as it did when the burst began. The chooser therefore remembers its
// own recent forwards (see Forwarded) and adds them to a peer's reported
// job count until the peer's report includes them (its Accepted count has
// reached the forward's sequence number) or, failing that, they are older
// than the window. Counting a forward twice would keep work local during a
// burst, counting it never would pile the burst on one peer. Only counts are
// tracked, not memory: Forwarded does not know a job's size, and the slot
// count is what load is measured in.
type PeerChooser struct {
	window time.Duration
	now    func() time.Time

	mu       sync.Mutex
	rng      *rand.Rand
	forwards map[string][]forward // per peer, oldest first
}

// forward is one submission sent to a peer: when, and the sequence number
// the peer answered with (0 when unknown).
type forward struct {
	at  time.Time
	seq uint64
}

// NewPeerChooser returns a chooser. window is how long a forward to a peer
// counts against that peer's load; zero or less means DefaultForwardWindow.
func NewPeerChooser(window time.Duration) *PeerChooser {
	return newPeerChooser(window, rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64())), time.Now)
}

// newPeerChooser lets tests fix the random source and the clock.
func newPeerChooser(window time.Duration, rng *rand.Rand, now func() time.Time) *PeerChooser {
	if window <= 0 {
		window = DefaultForwardWindow
	}
	return &PeerChooser{
		window:   window,
		now:      now,
		rng:      rng,
		forwards: make(map[string][]forward),
	}
}

// Forwarded records that a job was just sent to peer id, which numbered it
// seq among the forwarded submissions it took (0 when unknown), so that a
// burst does not all land on one peer before gossip reports its new load.
func (c *PeerChooser) Forwarded(id string, seq uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	c.prune(now)
	c.forwards[id] = append(c.forwards[id], forward{at: now, seq: seq})
}

// pending counts the forwards to p its reported load does not include yet.
func (c *PeerChooser) pending(p *Peer) int {
	n := 0
	for _, f := range c.forwards[p.ID] {
		if f.seq == 0 || f.seq > p.Accepted {
			n++
		}
	}
	return n
}

// Choose returns the ID of the node that should run a job needing memory MB,
// or "" when no node has room. peers includes the local node (Local: true);
// if several are marked local the first one is taken and the rest ignored.
//
// A node is eligible when it is not draining, has a free slot counting
// recent forwards, and has memory MB free. The local node runs the job
// unless it is ineligible or the better of two random eligible peers is
// clearly less loaded, meaning its load plus one job's share is still below
// the local load:
//
//	(peerJobs+1)/peer.MaxJobs < localJobs/local.MaxJobs
//
// The extra job's share is what the peer's load would become by taking this
// job, so a forward happens only when it leaves the peer still lighter than
// the local node is now. That keeps equal nodes from trading jobs back and
// forth, while the local node never runs more than about two jobs' share
// ahead of its peers during a burst.
func (c *PeerChooser) Choose(peers []Peer, memory int) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.prune(c.now())

	var local *Peer
	localJobs := 0
	type candidate struct {
		peer *Peer
		jobs int // reported plus recent forwards
	}
	var eligible []candidate
	for i := range peers {
		p := &peers[i]
		if p.Local {
			if local == nil {
				local, localJobs = p, p.RunningJobs // exact: no forwards to add
			}
			continue
		}
		jobs := p.RunningJobs + c.pending(p)
		if hasRoom(p, jobs, memory) {
			eligible = append(eligible, candidate{p, jobs})
		}
	}

	var best *candidate
	switch n := len(eligible); n {
	case 0:
	case 1:
		best = &eligible[0]
	default:
		i := c.rng.IntN(n)
		j := c.rng.IntN(n - 1)
		if j >= i {
			j++
		}
		best = &eligible[i]
		if lessLoaded(eligible[j].jobs, eligible[j].peer.MaxJobs, best.jobs, best.peer.MaxJobs) {
			best = &eligible[j]
		}
	}

	localOK := local != nil && hasRoom(local, localJobs, memory)
	switch {
	case best == nil && localOK:
		return local.ID
	case best == nil:
		return ""
	case !localOK:
		return best.peer.ID
	case lessLoaded(best.jobs+1, best.peer.MaxJobs, localJobs, local.MaxJobs):
		return best.peer.ID
	default:
		return local.ID
	}
}

// hasRoom reports whether p can take a job needing memory MB when jobs slots
// are already taken there.
func hasRoom(p *Peer, jobs, memory int) bool {
	return !p.Draining && jobs < p.MaxJobs && p.UsedMemory+memory <= p.MaxMemory
}

// lessLoaded reports whether aJobs/aMax < bJobs/bMax. It cross-multiplies
// so that equal loads on nodes of different sizes compare exactly. Both
// maxima are positive for any node that passed hasRoom.
func lessLoaded(aJobs, aMax, bJobs, bMax int) bool {
	return int64(aJobs)*int64(bMax) < int64(bJobs)*int64(aMax)
}

// prune drops forwards that have aged out of the window, and peers left with
// none so departed peers do not linger. It runs on every call rather than on
// a timer so the chooser needs no goroutine.
func (c *PeerChooser) prune(now time.Time) {
	cutoff := now.Add(-c.window)
	for id, fs := range c.forwards {
		k := 0
		for k < len(fs) && !fs[k].at.After(cutoff) {
			k++
		}
		switch {
		case k == len(fs):
			delete(c.forwards, id)
		case k > 0:
			c.forwards[id] = append(fs[:0], fs[k:]...)
		}
	}
}
