package runner

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/user"
	"strconv"
	"strings"
	"sync"
	"time"
)

// maxUID is the highest uid a process can have: (uid_t)-1 means "no
// change" to the kernel.
const maxUID = 1<<32 - 2

// UIDRange is a block of uids, First to First+Count-1, that the runner
// gives jobs one each, so no job can reach another's files or processes.
type UIDRange struct {
	First int
	Count int
}

// DefaultJobUIDs is the block systemd keeps for its dynamic users,
// 61184–65519: no distribution gives accounts from it.
func DefaultJobUIDs() UIDRange {
	return UIDRange{First: 61184, Count: 65519 - 61184 + 1}
}

// ParseUIDRange reads "first-last", both included, as in "61184-65519".
func ParseUIDRange(s string) (UIDRange, error) {
	a, b, ok := strings.Cut(s, "-")
	if !ok {
		return UIDRange{}, fmt.Errorf("%q is not first-last", s)
	}
	first, err := strconv.Atoi(strings.TrimSpace(a))
	if err != nil {
		return UIDRange{}, fmt.Errorf("%q: first uid: %w", s, err)
	}
	last, err := strconv.Atoi(strings.TrimSpace(b))
	if err != nil {
		return UIDRange{}, fmt.Errorf("%q: last uid: %w", s, err)
	}
	if last < first {
		return UIDRange{}, fmt.Errorf("%q: the last uid is below the first", s)
	}
	u := UIDRange{First: first, Count: last - first + 1}
	return u, u.Validate()
}

// Last is the range's highest uid.
func (u UIDRange) Last() int { return u.First + u.Count - 1 }

func (u UIDRange) String() string { return fmt.Sprintf("%d-%d", u.First, u.Last()) }

// Contains reports whether uid is in the range.
func (u UIDRange) Contains(uid int) bool { return uid >= u.First && uid <= u.Last() }

// Validate refuses a range that is empty, holds root or goes past the
// highest uid.
func (u UIDRange) Validate() error {
	switch {
	case u.Count < 1:
		return errors.New("the range holds no uid")
	case u.First < 1:
		return errors.New("the range must not hold uid 0 (root)")
	case u.Last() > maxUID:
		return fmt.Errorf("the range goes past uid %d", maxUID)
	}
	return nil
}

// uidPool hands out the uids of a range, one per job. It rotates: a job
// gets the first free uid after the one handed out last, so a uid comes
// back as late as possible (what a job leaves outside its directory, in
// /tmp say, stays that uid's). A uid is free when no job of the runner
// holds it, no process runs with it and no account has it. A restarted
// node starts at a random place in the range.
//
// Which uids processes have is a walk of /proc, too dear for every job (a
// third of a node's CPU at a few hundred jobs a second, and still a
// twentieth walking four times a second), so the pool keeps the last walk
// for uidRescanEvery. A process can take a uid of the range after the walk
// only as a job of this runner (held until its release) or one of another
// node on the same machine, which no walk can rule out (two pools may pick
// the same uid between walks): nodes sharing a machine need ranges of
// their own. A uid released since the walk may still be a left-behind
// process's, so handing it out takes a new walk first. With the rotation
// that is rare: a released uid comes round again only after the rest of
// the range.
type uidPool struct {
	rng UIDRange
	// running lists the uids processes have now; tests replace it.
	running func() (map[int]bool, error)
	// account reports whether the user database names uid.
	account func(uid int) bool
	now     func() time.Time

	mu   sync.Mutex
	next int         // offset in rng of the next uid to try
	held map[int]int // uid → jobs holding it
	// scanned holds the uids processes had at the walk of scannedAt, and
	// accounts what the user database said of uids since.
	scanned   map[int]bool
	scannedAt time.Time
	accounts  map[int]bool
	// released holds the uids released since that walk.
	released map[int]bool
}

// uidRescanEvery bounds how old the walk of /proc a uid is handed out on
// may be.
const uidRescanEvery = time.Second

func newUIDPool(rng UIDRange) *uidPool {
	return &uidPool{
		rng:      rng,
		running:  processUIDs,
		account:  hasAccount,
		now:      time.Now,
		next:     rand.IntN(rng.Count),
		held:     map[int]int{},
		released: map[int]bool{},
	}
}

// take hands out a free uid, held until release.
func (p *uidPool) take() (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.scanned == nil || p.now().Sub(p.scannedAt) > uidRescanEvery {
		if err := p.rescan(); err != nil {
			return 0, err
		}
	}
	for i := range p.rng.Count {
		off := (p.next + i) % p.rng.Count
		uid := p.rng.First + off
		if p.held[uid] > 0 || p.hasAccount(uid) {
			continue
		}
		if p.released[uid] {
			if err := p.rescan(); err != nil {
				return 0, err
			}
		}
		if p.scanned[uid] {
			continue
		}
		p.next = (off + 1) % p.rng.Count
		p.held[uid]++
		return uid, nil
	}
	return 0, fmt.Errorf("no free uid in %s: each is a job's, a process's or an account's", p.rng)
}

// rescan walks the processes again; p.mu must be held.
func (p *uidPool) rescan() error {
	running, err := p.running()
	if err != nil {
		return fmt.Errorf("pick a uid: %w", err)
	}
	p.scanned, p.scannedAt = running, p.now()
	if p.scanned == nil {
		p.scanned = map[int]bool{}
	}
	p.accounts = map[int]bool{}
	clear(p.released)
	return nil
}

// hasAccount is p.account, remembered until the next walk; p.mu must be
// held.
func (p *uidPool) hasAccount(uid int) bool {
	has, ok := p.accounts[uid]
	if !ok {
		has = p.account(uid)
		p.accounts[uid] = has
	}
	return has
}

// hold marks uid, a recovered job's, as taken; false when it is not from
// the range.
func (p *uidPool) hold(uid int) bool {
	if !p.rng.Contains(uid) {
		return false
	}
	p.mu.Lock()
	p.held[uid]++
	p.mu.Unlock()
	return true
}

func (p *uidPool) release(uid int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.held[uid]--; p.held[uid] <= 0 {
		delete(p.held, uid)
		p.released[uid] = true
	}
}

// processUIDs collects the real, effective, saved and file-system uids of
// every process. It reads /proc/<pid>/status: the owner of /proc/<pid> is
// root for a process that made itself non-dumpable.
func processUIDs() (map[int]bool, error) {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil, fmt.Errorf("list processes: %w", err)
	}
	uids := map[int]bool{}
	for _, e := range ents {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/status")
		if err != nil {
			continue // gone since the listing
		}
		_, rest, ok := strings.Cut(string(b), "\nUid:")
		if !ok {
			continue
		}
		line, _, _ := strings.Cut(rest, "\n")
		for _, f := range strings.Fields(line) {
			if uid, err := strconv.Atoi(f); err == nil {
				uids[uid] = true
			}
		}
	}
	return uids, nil
}

// hasAccount reports whether the user database names uid; a lookup that
// fails for another reason counts as yes, so the uid is passed over.
func hasAccount(uid int) bool {
	_, err := user.LookupId(strconv.Itoa(uid))
	return err == nil || !errors.As(err, new(user.UnknownUserIdError))
}
