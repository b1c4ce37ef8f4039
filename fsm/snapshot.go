package fsm

import (
	"bufio"
	"fmt"
	"io"

	"github.com/hashicorp/go-memdb"
	"github.com/hashicorp/go-msgpack/v2/codec"
	"github.com/hashicorp/raft"
)

// snapshotVersion is written first so a future format can be told apart.
// Version 2 added retired job ids (recordRetired); a version 1 snapshot,
// which has none, still restores.
const snapshotVersion = 2

// oldestSnapshotVersion is the oldest format Restore reads.
const oldestSnapshotVersion = 1

// Record kinds: a snapshot is the version, then records of a kind followed by
// the object, all msgpack, closed by recordEnd so truncation is detected.
const (
	recordEnd byte = iota
	recordCluster
	recordCommand
	recordApplication
	recordJob
	recordTombstone
	recordACLToken
	recordACLBootstrap
	recordLimits
	recordNode
	recordRetired
)

// snapshot is a point-in-time view of the state; memdb snapshots are cheap
// (immutable radix trees), so Persist runs without blocking Apply.
type snapshot struct {
	db *memdb.MemDB
}

// Snapshot implements raft.FSM.
func (f *FSM) Snapshot() (raft.FSMSnapshot, error) {
	return &snapshot{db: f.State().db.Snapshot()}, nil
}

// Persist writes every table to sink.
func (s *snapshot) Persist(sink raft.SnapshotSink) error {
	w := bufio.NewWriterSize(sink, 1<<20)
	err := func() error {
		if err := encodeValue(w, snapshotVersion); err != nil {
			return err
		}
		txn := s.db.Txn(false)
		tables := []struct {
			name string
			kind byte
		}{
			{tableClusters, recordCluster},
			{tableCommands, recordCommand},
			{tableApplications, recordApplication},
			{tableJobs, recordJob},
			{tableTombstones, recordTombstone},
			{tableACLTokens, recordACLToken},
			{tableACLBootstrap, recordACLBootstrap},
			{tableSettings, recordLimits},
			{tableNodes, recordNode},
			{tableRetired, recordRetired},
		}
		for _, t := range tables {
			var it memdb.ResultIterator
			var err error
			if t.name == tableJobs {
				var jobs *mergedRows
				jobs, err = allJobs(txn, true)
				it = jobRecords{jobs}
			} else {
				it, err = txn.Get(t.name, indexID)
			}
			if err != nil {
				return err
			}
			if err := encodeRecords(w, t.kind, it); err != nil {
				return err
			}
		}
		if err := encodeValue(w, recordEnd); err != nil {
			return err
		}
		return w.Flush()
	}()
	if err != nil {
		sink.Cancel()
		return fmt.Errorf("persist snapshot: %w", err)
	}
	return sink.Close()
}

// Release implements raft.FSMSnapshot.
func (s *snapshot) Release() {}

// Restore replaces the whole state with the snapshot in r.
func (f *FSM) Restore(r io.ReadCloser) error {
	defer r.Close()
	state, err := NewState()
	if err != nil {
		return err
	}
	dec := codec.NewDecoder(bufio.NewReader(r), msgpackHandle)
	var version int
	if err := dec.Decode(&version); err != nil {
		return fmt.Errorf("restore: read version: %w", err)
	}
	if version < oldestSnapshotVersion || version > snapshotVersion {
		return fmt.Errorf("restore: unsupported snapshot version %d", version)
	}
	txn := state.db.Txn(true)
	var latest uint64
	jobs := 0
	var frozen []*frozenJob
	err = decodeRecords(dec, func(table string, obj interface{}) error {
		latest = maxIndex(latest, objectIndex(obj))
		if table == tableJobs {
			jobs++
			if f, ok := obj.(*frozenJob); ok {
				frozen = append(frozen, f)
				return nil
			}
		}
		return txn.Insert(table, obj)
	})
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	if err := restoreFrozen(txn, frozen); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	if err := recomputeUsage(txn, jobs); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	if err := restoreIndexes(txn, latest); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	txn.Commit()

	f.stateLock.Lock()
	old := f.state
	f.state = state
	f.stateLock.Unlock()
	old.abandon()
	if f.onRestore != nil {
		f.onRestore()
	}
	return nil
}
