package node

import (
	"fmt"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
)

// watchedStore is the raft log store with its write failures kept: a
// store that cannot write (a full disk) makes raft step down from leading
// and a follower refuse entries, which the node reports in its health
// until a write succeeds again. Every write either lands whole or fails
// whole in both stores (a bolt transaction, a wal append), so a failure
// leaves nothing half-written to recover from.
type watchedStore struct {
	logStore
	logger hclog.Logger

	mu      sync.Mutex
	failing error
	since   time.Time
}

var _ raft.MonotonicLogStore = (*watchedStore)(nil)

func newWatchedStore(s logStore, logger hclog.Logger) *watchedStore {
	return &watchedStore{logStore: s, logger: logger}
}

// note records a write's outcome, logging when the store starts or stops
// failing. Only an append of entries, the writes that need room, says the
// store writes again: a small metadata write can land in a page the store
// already has while appends still fail.
func (w *watchedStore) note(err error, append bool) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	switch {
	case err != nil && w.failing == nil:
		w.failing, w.since = err, time.Now()
		w.logger.Error("raft log store cannot write: this node stops leading and falls behind until it can", "error", err)
	case err != nil:
		w.failing = err
	case w.failing != nil && append:
		w.logger.Info("raft log store writes again", "failed_for", time.Since(w.since).Round(time.Millisecond))
		w.failing = nil
	}
	return err
}

// writeFailure says why the store cannot write, "" while it can.
func (w *watchedStore) writeFailure() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.failing == nil {
		return ""
	}
	return fmt.Sprintf("raft log store cannot write since %s: %v", w.since.UTC().Format(time.RFC3339), w.failing)
}

func (w *watchedStore) StoreLog(l *raft.Log) error {
	return w.note(w.logStore.StoreLog(l), true)
}
func (w *watchedStore) StoreLogs(l []*raft.Log) error {
	return w.note(w.logStore.StoreLogs(l), true)
}
func (w *watchedStore) DeleteRange(lo, hi uint64) error {
	return w.note(w.logStore.DeleteRange(lo, hi), false)
}
func (w *watchedStore) Set(k, v []byte) error { return w.note(w.logStore.Set(k, v), false) }
func (w *watchedStore) SetUint64(k []byte, v uint64) error {
	return w.note(w.logStore.SetUint64(k, v), false)
}

// IsMonotonic passes on what the store says: raft treats a monotonic
// store (wal) differently when it restores a snapshot.
func (w *watchedStore) IsMonotonic() bool {
	m, ok := w.logStore.(raft.MonotonicLogStore)
	return ok && m.IsMonotonic()
}
