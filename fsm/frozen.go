package fsm

import (
	"slices"
	"sort"

	"github.com/hashicorp/go-memdb"
)

// A finished job whose archive is settled (done, failed, disabled, or no
// files to keep) rarely changes again until it is retired, and such jobs
// are nearly all of a long-running state. As rows of the jobs table each
// would cost two radix-tree entries (by id and by submission order), about
// 800 bytes with their watch channels: more than the record. They are kept
// instead, packed (frozen_job.go), in frozen segments: immutable arrays
// sorted by submission order, each with a sorted array of id hashes for
// lookups, about 24 bytes a job. A new segment absorbs the one before it
// while that one is at most twice its size (as the retired ids do), so a
// job is copied O(log n) times over its life and a lookup searches
// O(log n) segments. The whole set is one row of its own table, replaced
// by every change, so memdb's transactions and snapshots cover it.
const (
	tableFrozen = "frozen"
	frozenRowID = "jobs"
)

// settled reports whether j belongs among the frozen jobs. A settled job
// may still change, rarely (a node back from the dead archives a job the
// leader had failed for it): the change copies the job's segment.
func settled(j *Job) bool {
	return j.Status.Terminal() && j.ArchiveStatus != ArchivePending
}

// frozenJobs is one version of the frozen segments. It is never changed:
// every change makes a new one, sharing what it did not touch.
type frozenJobs struct {
	ID   string // frozenRowID
	segs []*frozenSegment
}

// len is how many jobs are frozen.
func (f *frozenJobs) len() int {
	n := 0
	for _, seg := range f.segs {
		n += len(seg.jobs)
	}
	return n
}

// frozenSegment holds jobs by submission order and their ids' hashes.
type frozenSegment struct {
	jobs []*frozenJob // CreateIndex ascending
	ids  []frozenRef  // hash ascending, then CreateIndex
}

type frozenRef struct {
	hash   uint64
	create uint64
}

func frozenTable() *memdb.TableSchema {
	return &memdb.TableSchema{
		Name: tableFrozen,
		Indexes: map[string]*memdb.IndexSchema{
			indexID: {Name: indexID, Unique: true, Indexer: &memdb.StringFieldIndex{Field: "ID"}},
		},
	}
}

// frozenOf returns the frozen jobs txn sees, and the channel that closes
// when they next change.
func frozenOf(txn *memdb.Txn) (*frozenJobs, <-chan struct{}) {
	ch, raw, err := txn.FirstWatch(tableFrozen, indexID, frozenRowID)
	if err != nil || raw == nil {
		return &frozenJobs{ID: frozenRowID}, ch
	}
	return raw.(*frozenJobs), ch
}

// newFrozenSegment indexes jobs, which must be in submission order.
func newFrozenSegment(jobs []*frozenJob) *frozenSegment {
	s := &frozenSegment{jobs: jobs, ids: make([]frozenRef, len(jobs))}
	for i, j := range jobs {
		s.ids[i] = frozenRef{hash: retiredHash(j.ID), create: j.CreateIndex}
	}
	slices.SortFunc(s.ids, compareRefs)
	return s
}

func compareRefs(a, b frozenRef) int {
	switch {
	case a.hash != b.hash:
		return cmpUint(a.hash, b.hash)
	default:
		return cmpUint(a.create, b.create)
	}
}

func cmpUint(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// position returns where the job submitted at create is, or -1.
func (s *frozenSegment) position(create uint64) int {
	i := sort.Search(len(s.jobs), func(k int) bool { return s.jobs[k].CreateIndex >= create })
	if i < len(s.jobs) && s.jobs[i].CreateIndex == create {
		return i
	}
	return -1
}

// find returns the position of the job with id, or -1.
func (s *frozenSegment) find(id string, hash uint64) int {
	i := sort.Search(len(s.ids), func(k int) bool { return s.ids[k].hash >= hash })
	for ; i < len(s.ids) && s.ids[i].hash == hash; i++ {
		if p := s.position(s.ids[i].create); p >= 0 && s.jobs[p].ID == id {
			return p
		}
	}
	return -1
}

// mergeFrozen merges two segments into a new one.
func mergeFrozen(a, b *frozenSegment) *frozenSegment {
	out := &frozenSegment{
		jobs: make([]*frozenJob, 0, len(a.jobs)+len(b.jobs)),
		ids:  make([]frozenRef, 0, len(a.ids)+len(b.ids)),
	}
	i, k := 0, 0
	for i < len(a.jobs) || k < len(b.jobs) {
		if k == len(b.jobs) || (i < len(a.jobs) && a.jobs[i].CreateIndex < b.jobs[k].CreateIndex) {
			out.jobs = append(out.jobs, a.jobs[i])
			i++
		} else {
			out.jobs = append(out.jobs, b.jobs[k])
			k++
		}
	}
	i, k = 0, 0
	for i < len(a.ids) || k < len(b.ids) {
		if k == len(b.ids) || (i < len(a.ids) && compareRefs(a.ids[i], b.ids[k]) < 0) {
			out.ids = append(out.ids, a.ids[i])
			i++
		} else {
			out.ids = append(out.ids, b.ids[k])
			k++
		}
	}
	return out
}

// get returns the job with id and where it is, or nil.
func (f *frozenJobs) get(id string) (j *frozenJob, seg, pos int) {
	hash := retiredHash(id)
	for s := len(f.segs) - 1; s >= 0; s-- {
		if p := f.segs[s].find(id, hash); p >= 0 {
			return f.segs[s].jobs[p], s, p
		}
	}
	return nil, -1, -1
}

// with returns f and j.
func (f *frozenJobs) with(j *frozenJob) *frozenJobs {
	segs := make([]*frozenSegment, len(f.segs), len(f.segs)+1)
	copy(segs, f.segs)
	seg := newFrozenSegment([]*frozenJob{j})
	for len(segs) > 0 && len(segs[len(segs)-1].jobs) <= 2*len(seg.jobs) {
		seg = mergeFrozen(segs[len(segs)-1], seg)
		segs = segs[:len(segs)-1]
	}
	return &frozenJobs{ID: frozenRowID, segs: append(segs, seg)}
}

// replaced returns f with j in place of the job of the same id.
func (f *frozenJobs) replaced(j *frozenJob) *frozenJobs {
	_, s, p := f.get(j.ID)
	if s < 0 {
		return f.with(j)
	}
	old := f.segs[s]
	seg := &frozenSegment{jobs: slices.Clone(old.jobs), ids: old.ids}
	seg.jobs[p] = j // same id and submission index: the hashes stay
	segs := slices.Clone(f.segs)
	segs[s] = seg
	return &frozenJobs{ID: frozenRowID, segs: segs}
}

// without returns f less the jobs with the given ids.
func (f *frozenJobs) without(ids ...string) *frozenJobs {
	drop := map[int]map[uint64]bool{} // segment → submission indexes
	for _, id := range ids {
		if j, s, _ := f.get(id); j != nil {
			if drop[s] == nil {
				drop[s] = map[uint64]bool{}
			}
			drop[s][j.CreateIndex] = true
		}
	}
	if len(drop) == 0 {
		return f
	}
	segs := make([]*frozenSegment, 0, len(f.segs))
	for s, seg := range f.segs {
		gone := drop[s]
		if gone == nil {
			segs = append(segs, seg)
			continue
		}
		if len(gone) == len(seg.jobs) {
			continue
		}
		kept := &frozenSegment{
			jobs: make([]*frozenJob, 0, len(seg.jobs)-len(gone)),
			ids:  make([]frozenRef, 0, len(seg.ids)-len(gone)),
		}
		for _, j := range seg.jobs {
			if !gone[j.CreateIndex] {
				kept.jobs = append(kept.jobs, j)
			}
		}
		for _, r := range seg.ids {
			if !gone[r.create] {
				kept.ids = append(kept.ids, r)
			}
		}
		segs = append(segs, kept)
	}
	return &frozenJobs{ID: frozenRowID, segs: segs}
}

// restoreFrozen makes one segment of the settled jobs of a snapshot.
func restoreFrozen(txn *memdb.Txn, jobs []*frozenJob) error {
	if len(jobs) == 0 {
		return nil
	}
	// A snapshot lists jobs in submission order; sorting costs nothing then.
	slices.SortFunc(jobs, func(a, b *frozenJob) int { return cmpUint(a.CreateIndex, b.CreateIndex) })
	seg := newFrozenSegment(jobs)
	return txn.Insert(tableFrozen, &frozenJobs{ID: frozenRowID, segs: []*frozenSegment{seg}})
}
