package fsm

import "github.com/hashicorp/go-memdb"

// Jobs are kept in two places: the jobs table, which holds every job that
// may still change and indexes the unfinished ones, and the frozen
// segments, which hold the settled ones packed. The functions here are the
// only ones that know it.

// firstJob returns the job with id, or nil.
func firstJob(txn *memdb.Txn, id string) (*Job, error) {
	j, _, err := watchJob(txn, id)
	return j, err
}

// watchJob is firstJob with a channel that closes when the job may have
// changed.
func watchJob(txn *memdb.Txn, id string) (*Job, <-chan struct{}, error) {
	row, ch, err := watchRow(txn, id)
	if row == nil {
		return nil, ch, err
	}
	return row.record(), ch, nil
}

// watchRow returns the row of the job with id, or nil, and a channel that
// closes when it may have changed: the frozen jobs' for a frozen job,
// which change only as a whole.
func watchRow(txn *memdb.Txn, id string) (jobRow, <-chan struct{}, error) {
	ch, raw, err := txn.FirstWatch(tableJobs, indexID, id)
	if err != nil {
		return nil, nil, err
	}
	if raw != nil {
		return raw.(*Job), ch, nil
	}
	frozen, frozenCh := frozenOf(txn)
	if f, _, _ := frozen.get(id); f != nil {
		return f, frozenCh, nil
	}
	return nil, ch, nil
}

// storeJob writes j in place of prev (nil for a new job): in the jobs
// table, or among the frozen jobs once it is settled.
func storeJob(txn *memdb.Txn, j, prev *Job) error {
	wasFrozen := prev != nil && settled(prev)
	if !wasFrozen && !settled(j) {
		return txn.Insert(tableJobs, j)
	}
	frozen, _ := frozenOf(txn)
	if !settled(j) {
		if err := txn.Insert(tableFrozen, frozen.without(prev.ID)); err != nil {
			return err
		}
		return txn.Insert(tableJobs, j)
	}
	f, err := freeze(j)
	if err != nil {
		return err
	}
	if wasFrozen {
		return txn.Insert(tableFrozen, frozen.replaced(f))
	}
	if prev != nil {
		if err := txn.Delete(tableJobs, prev); err != nil {
			return err
		}
	}
	return txn.Insert(tableFrozen, frozen.with(f))
}

// deleteJobs removes the jobs of rows from the state.
func deleteJobs(txn *memdb.Txn, rows []jobRow) error {
	var frozenIDs []string
	for _, row := range rows {
		switch r := row.(type) {
		case *frozenJob:
			frozenIDs = append(frozenIDs, r.ID)
		case *Job:
			if err := txn.Delete(tableJobs, r); err != nil {
				return err
			}
		}
	}
	if len(frozenIDs) == 0 {
		return nil
	}
	frozen, _ := frozenOf(txn)
	return txn.Insert(tableFrozen, frozen.without(frozenIDs...))
}

// rowIterator yields jobs in an order of submission, then nil.
type rowIterator interface {
	next() jobRow
}

type tableRows struct{ it memdb.ResultIterator }

func (t tableRows) next() jobRow {
	if raw := t.it.Next(); raw != nil {
		return raw.(*Job)
	}
	return nil
}

// sliceRows yields rows of a slice, forwards or backwards.
type sliceRows[T jobRow] struct {
	rows []T
	i    int
	step int
}

func newSliceRows[T jobRow](rows []T, backwards bool) *sliceRows[T] {
	if backwards {
		return &sliceRows[T]{rows: rows, i: len(rows) - 1, step: -1}
	}
	return &sliceRows[T]{rows: rows, step: 1}
}

func (s *sliceRows[T]) next() jobRow {
	if s.i < 0 || s.i >= len(s.rows) {
		return nil
	}
	r := s.rows[s.i]
	s.i += s.step
	return r
}

// jobSources returns an iterator for each place jobs are kept, each in
// submission order: newest first, or oldest first.
func jobSources(txn *memdb.Txn, oldestFirst bool) ([]rowIterator, error) {
	get := txn.GetReverse
	if oldestFirst {
		get = txn.Get
	}
	it, err := get(tableJobs, indexCreate)
	if err != nil {
		return nil, err
	}
	frozen, _ := frozenOf(txn)
	srcs := make([]rowIterator, 0, len(frozen.segs)+1)
	srcs = append(srcs, tableRows{it})
	for _, seg := range frozen.segs {
		srcs = append(srcs, newSliceRows(seg.jobs, !oldestFirst))
	}
	return srcs, nil
}

// mergedRows yields the rows of several iterators, each in the same order
// of submission, in that order.
type mergedRows struct {
	srcs        []rowIterator
	heads       []jobRow
	oldestFirst bool
}

func mergeRows(srcs []rowIterator, oldestFirst bool) *mergedRows {
	m := &mergedRows{srcs: srcs, heads: make([]jobRow, len(srcs)), oldestFirst: oldestFirst}
	for i, src := range srcs {
		m.heads[i] = src.next()
	}
	return m
}

func (m *mergedRows) next() jobRow {
	best := -1
	var bestOrder uint64
	for i, r := range m.heads {
		if r == nil {
			continue
		}
		if o := r.order(); best < 0 || (o < bestOrder) == m.oldestFirst {
			best, bestOrder = i, o
		}
	}
	if best < 0 {
		return nil
	}
	r := m.heads[best]
	m.heads[best] = m.srcs[best].next()
	return r
}

// allJobs yields every job in an order of submission.
func allJobs(txn *memdb.Txn, oldestFirst bool) (*mergedRows, error) {
	srcs, err := jobSources(txn, oldestFirst)
	if err != nil {
		return nil, err
	}
	return mergeRows(srcs, oldestFirst), nil
}

// jobRecords is a memdb.ResultIterator over rows, for the snapshot, which
// unpacks each with record().
type jobRecords struct{ rows rowIterator }

func (r jobRecords) WatchCh() <-chan struct{} { return nil }

func (r jobRecords) Next() interface{} {
	if row := r.rows.next(); row != nil {
		return row
	}
	return nil
}

// jobsInOrder returns one page of the jobs f selects in submission order,
// and how many match in all.
func jobsInOrder(txn *memdb.Txn, f JobFilter, offset, limit int) ([]*Job, int) {
	srcs, err := jobSources(txn, f.OldestFirst)
	if err != nil {
		return nil, 0
	}
	if f.selectsAll() {
		// A page of all jobs: walk only to its end, the total is kept.
		return pageOf(mergeRows(srcs, f.OldestFirst), offset, limit), usageOf(txn, allJobsUsage).Jobs
	}
	// Every source is walked whole for the count, and only the first
	// offset+limit matches of each can be on the page: those are merged.
	total := 0
	firsts := make([]rowIterator, 0, len(srcs))
	for _, src := range srcs {
		var first []jobRow
		for r := src.next(); r != nil; r = src.next() {
			if !f.matchKey(r.rowKey()) {
				continue
			}
			total++
			if limit <= 0 || len(first) < offset+limit {
				first = append(first, r)
			}
		}
		firsts = append(firsts, newSliceRows(first, false))
	}
	return pageOf(mergeRows(firsts, f.OldestFirst), offset, limit), total
}

// pageOf skips offset rows and returns up to limit (all when limit <= 0).
func pageOf(rows rowIterator, offset, limit int) []*Job {
	var page []*Job
	for i, r := 0, rows.next(); r != nil && (limit <= 0 || i < offset+limit); i, r = i+1, rows.next() {
		if i >= offset {
			page = append(page, r.record())
		}
	}
	return page
}
