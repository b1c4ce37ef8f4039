package node

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"
	wal "github.com/hashicorp/raft-wal"
	"go.etcd.io/bbolt"
)

// The raft log stores a node can keep its log in.
const (
	// LogStoreBolt is raft-boltdb: one bbolt file, raft/raft.db.
	LogStoreBolt = "bolt"
	// LogStoreWAL is raft-wal, the segment-file log Consul added for
	// throughput: raft/wal/, 64 MiB segments written ahead.
	LogStoreWAL = "wal"
	// DefaultLogStore is what a new data dir gets: on the same machine in
	// one run, the raw raft group applies about twice as much on it as on
	// bolt (one fsync per append, no B-tree pages) and genie's cluster
	// takes 30-45% more submissions (README, Benchmarks).
	DefaultLogStore = LogStoreWAL
)

const (
	boltFileName = "raft.db"
	walDirName   = "wal"
)

// logStore is raft's log and stable store in one, as both kinds are.
type logStore interface {
	raft.LogStore
	raft.StableStore
	io.Closer
}

// detectLogStore names the store the raft dir holds: "" for none yet. A
// dir holding both was written by hand, never by a node: it is refused.
func detectLogStore(dir string) (string, error) {
	bolt := exists(filepath.Join(dir, boltFileName))
	w := exists(filepath.Join(dir, walDirName))
	switch {
	case bolt && w:
		return "", fmt.Errorf("%s holds both a %s and a %s log store: move one away", dir, LogStoreBolt, LogStoreWAL)
	case bolt:
		return LogStoreBolt, nil
	case w:
		return LogStoreWAL, nil
	}
	return "", nil
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return !errors.Is(err, os.ErrNotExist)
}

// chooseLogStore picks the store to open: the one the dir holds, which a
// request for the other cannot override (a log is never split over two
// stores), else the requested one, else the default.
func chooseLogStore(dir, requested string) (string, error) {
	found, err := detectLogStore(dir)
	if err != nil {
		return "", err
	}
	switch {
	case found != "" && requested != "" && found != requested:
		return "", fmt.Errorf("the data dir holds a %s raft log store, not %s: start the node without -raft-log-store (it opens what the data dir holds), or on an empty data dir",
			found, requested)
	case found != "":
		return found, nil
	case requested != "":
		return requested, nil
	}
	return DefaultLogStore, nil
}

// openLogStore opens the log store kind in the raft dir. walSegmentSize,
// when set, replaces the wal's 64 MiB segments (tests fill a disk with
// fewer entries).
func openLogStore(dir, kind string, logger hclog.Logger, walSegmentSize int) (logStore, error) {
	switch kind {
	case LogStoreBolt:
		// NoFreelistSync: bolt rebuilds its freelist on open instead of
		// writing it on every commit, which halves the bytes each batch of
		// entries syncs (Consul offers the same).
		return raftboltdb.New(raftboltdb.Options{
			Path:        filepath.Join(dir, boltFileName),
			BoltOptions: &bbolt.Options{Timeout: time.Second, NoFreelistSync: true},
		})
	case LogStoreWAL:
		walDir := filepath.Join(dir, walDirName)
		if err := os.MkdirAll(walDir, 0o700); err != nil {
			return nil, err
		}
		if walSegmentSize > 0 {
			return wal.Open(walDir, wal.WithLogger(logger), wal.WithSegmentSize(walSegmentSize))
		}
		return wal.Open(walDir, wal.WithLogger(logger))
	}
	return nil, fmt.Errorf("unknown raft log store %q", kind)
}
