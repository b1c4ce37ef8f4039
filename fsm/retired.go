package fsm

import (
	"hash/fnv"
	"slices"
	"sort"

	"github.com/hashicorp/go-memdb"
)

// Retired job ids are kept compactly, not as records: a 64-bit hash of the
// id and a reference to the node whose archive holds the job's record, ten
// bytes a job. They keep a retired id taken (a resubmission is refused, so
// the archived job is never overwritten) and tell a reader where to look.
//
// They live in segments, each sorted by hash and never changed once
// written (memdb rows are immutable, so a snapshot shares them): a retire
// entry adds one, and merging keeps each segment more than twice the size
// of the one after it, so a lookup binary-searches O(log n) of them. Merges
// stop at maxRetiredMerge ids, so no apply copies more than a few MB.
type RetiredSegment struct {
	// Seq orders the segments: the raft index of the newest entry merged in.
	Seq uint64
	// Hashes are the ids' hashes, ascending.
	Hashes []uint64
	// Holders[i] indexes HolderIDs: the node holding Hashes[i]'s record.
	Holders   []uint16
	HolderIDs []string
}

// maxRetiredMerge bounds the size a merge makes: 1M ids, 10 MB copied.
const maxRetiredMerge = 1 << 20

const tableRetired = "retired"

func retiredTable() *memdb.TableSchema {
	return &memdb.TableSchema{
		Name: tableRetired,
		Indexes: map[string]*memdb.IndexSchema{
			indexID: {Name: indexID, Unique: true, Indexer: &memdb.UintFieldIndex{Field: "Seq"}},
		},
	}
}

// retiredHash is the hash a retired id is kept as. FNV-1a is fixed across
// versions and machines, as every replica must compute the same.
func retiredHash(id string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(id))
	return h.Sum64()
}

// lookup returns the holder of hash h and whether the segment has it.
func (s *RetiredSegment) lookup(h uint64) (string, bool) {
	i, ok := slices.BinarySearch(s.Hashes, h)
	if !ok {
		return "", false
	}
	return s.HolderIDs[s.Holders[i]], true
}

// retiredHolder finds a retired id: the node whose archive holds its record
// ("" when none does) and whether the id was retired at all.
func retiredHolder(txn *memdb.Txn, id string) (string, bool, error) {
	it, err := txn.Get(tableRetired, indexID)
	if err != nil {
		return "", false, err
	}
	h := retiredHash(id)
	for raw := it.Next(); raw != nil; raw = it.Next() {
		if holder, ok := raw.(*RetiredSegment).lookup(h); ok {
			return holder, true, nil
		}
	}
	return "", false, nil
}

// retiredEntry is one id being retired.
type retiredEntry struct {
	hash   uint64
	holder string
}

// addRetired writes the ids retired by the entry at index as a segment and
// merges it into the ones before it while they are not more than twice its
// size.
func addRetired(txn *memdb.Txn, index uint64, entries []retiredEntry) error {
	if len(entries) == 0 {
		return nil
	}
	seg := newSegment(index, entries)
	for {
		raw, err := txn.Last(tableRetired, indexID)
		if err != nil {
			return err
		}
		if raw == nil {
			break
		}
		last := raw.(*RetiredSegment)
		if len(last.Hashes) > 2*len(seg.Hashes) || len(last.Hashes)+len(seg.Hashes) > maxRetiredMerge {
			break
		}
		if err := txn.Delete(tableRetired, last); err != nil {
			return err
		}
		seg = mergeSegments(index, last, seg)
	}
	return txn.Insert(tableRetired, seg)
}

func newSegment(seq uint64, entries []retiredEntry) *RetiredSegment {
	sort.Slice(entries, func(i, j int) bool { return entries[i].hash < entries[j].hash })
	seg := &RetiredSegment{Seq: seq, Hashes: make([]uint64, 0, len(entries)), Holders: make([]uint16, 0, len(entries))}
	refs := map[string]uint16{}
	for i, e := range entries {
		if i > 0 && e.hash == entries[i-1].hash {
			continue
		}
		seg.Hashes = append(seg.Hashes, e.hash)
		seg.Holders = append(seg.Holders, seg.holderRef(refs, e.holder))
	}
	return seg
}

// holderRef returns the index of holder in HolderIDs, adding it if new.
func (s *RetiredSegment) holderRef(refs map[string]uint16, holder string) uint16 {
	ref, ok := refs[holder]
	if !ok {
		ref = uint16(len(s.HolderIDs))
		refs[holder] = ref
		s.HolderIDs = append(s.HolderIDs, holder)
	}
	return ref
}

// mergeSegments merges two sorted segments into a new one; for a hash in
// both (which a retired id cannot be, as it is never a job again) the
// newer wins.
func mergeSegments(seq uint64, older, newer *RetiredSegment) *RetiredSegment {
	n := len(older.Hashes) + len(newer.Hashes)
	out := &RetiredSegment{Seq: seq, Hashes: make([]uint64, 0, n), Holders: make([]uint16, 0, n)}
	refs := map[string]uint16{}
	i, j := 0, 0
	for i < len(older.Hashes) || j < len(newer.Hashes) {
		var h uint64
		var holder string
		switch {
		case j == len(newer.Hashes) || (i < len(older.Hashes) && older.Hashes[i] < newer.Hashes[j]):
			h, holder = older.Hashes[i], older.HolderIDs[older.Holders[i]]
			i++
		default:
			h, holder = newer.Hashes[j], newer.HolderIDs[newer.Holders[j]]
			if i < len(older.Hashes) && older.Hashes[i] == h {
				i++
			}
			j++
		}
		out.Hashes = append(out.Hashes, h)
		out.Holders = append(out.Holders, out.holderRef(refs, holder))
	}
	return out
}

// RetiredHolder reports whether the job id was retired from the state and
// the node whose archive holds its record ("" when none does).
func (s *State) RetiredHolder(id string) (holder string, retired bool) {
	holder, retired, err := retiredHolder(s.db.Txn(false), id)
	if err != nil {
		return "", false
	}
	return holder, retired
}

// RetiredCount is how many job ids were retired.
func (s *State) RetiredCount() int {
	it, err := s.db.Txn(false).Get(tableRetired, indexID)
	if err != nil {
		return 0
	}
	n := 0
	for raw := it.Next(); raw != nil; raw = it.Next() {
		n += len(raw.(*RetiredSegment).Hashes)
	}
	return n
}

// RetirableJobs returns up to max jobs, oldest first, that finished before
// cutoff (unix ms) and whose archive is settled: recorded, or pending on a
// node that is gone and so will never settle it (nodeKnown says which are
// not). The walk stops at the first job created after cutoff: none after it
// can have finished before.
func (s *State) RetirableJobs(cutoff int64, max int, nodeKnown func(id string) bool) []*Job {
	jobs, err := allJobs(s.db.Txn(false), true)
	if err != nil {
		return nil
	}
	var out []*Job
	for row := jobs.next(); row != nil && len(out) < max; row = jobs.next() {
		k := row.rowKey()
		if k.Created >= cutoff {
			break
		}
		if !k.Status.Terminal() || k.Finished >= cutoff {
			continue
		}
		j := row.record()
		if j.ArchiveStatus == ArchivePending && j.Node != "" && nodeKnown(j.Node) {
			continue
		}
		out = append(out, j)
	}
	return out
}
