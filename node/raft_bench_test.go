package node

import (
	"encoding/binary"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
)

// raftBenchEntryBytes is about the size of the log entry a job submission
// commits.
const raftBenchEntryBytes = 200

// BenchmarkRaftApply measures the raw apply rate of a 3-node raft group on
// 127.0.0.1 with genie's raft configuration and a log store per
// sub-benchmark, but no HTTP and an FSM that only counts entries: the
// ceiling for BenchmarkClusterSubmit. W writers apply b.N entries of
// raftBenchEntryBytes on the leader.
func BenchmarkRaftApply(b *testing.B) {
	for _, store := range []string{LogStoreBolt, LogStoreWAL} {
		b.Run(store, func(b *testing.B) {
			for _, writers := range []int{16, 64} {
				b.Run(fmt.Sprintf("writers-%d", writers), func(b *testing.B) {
					leader, _ := raftBenchGroup(b, 3, store)
					b.ResetTimer()
					lat, elapsed := raftApplyFrom(b, leader, writers, b.N)
					b.StopTimer()
					b.ReportMetric(float64(b.N)/elapsed.Seconds(), "applies/s")
					b.ReportMetric(float64(percentile(lat, 0.50).Microseconds())/1000, "p50-ms")
					b.ReportMetric(float64(percentile(lat, 0.99).Microseconds())/1000, "p99-ms")
				})
			}
		})
	}
}

// raftApplyFrom applies total entries to leader from writers goroutines
// and returns the sorted latencies and the elapsed time.
func raftApplyFrom(b *testing.B, leader *raft.Raft, writers, total int) ([]time.Duration, time.Duration) {
	buf := make([]byte, raftBenchEntryBytes)
	for i := range buf {
		buf[i] = byte('a' + i%26)
	}
	return runConcurrently(b, writers, total, "applies", func(int) error {
		return leader.Apply(buf, 10*time.Second).Error()
	})
}

// raftBenchGroup starts n raft servers over TCP on 127.0.0.1, each with its
// own data dir and a log store of kind, opened as a node opens it,
// bootstraps them as one group and returns its leader and a function that
// shuts them all down (Cleanup calls it too).
func raftBenchGroup(b *testing.B, n int, kind string) (*raft.Raft, func()) {
	b.Helper()
	logger := hclog.New(&hclog.LoggerOptions{Level: hclog.Warn, Output: io.Discard})
	dirs := make([]string, n)
	trans := make([]*raft.NetworkTransport, n)
	stores := make([]logStore, n)
	rafts := make([]*raft.Raft, n)
	// Registered after the temp dirs are made, so run before they go.
	for i := range dirs {
		dirs[i] = b.TempDir()
	}
	var stopOnce sync.Once
	stop := func() {
		stopOnce.Do(func() {
			for _, r := range rafts {
				if r != nil {
					r.Shutdown().Error()
				}
			}
			for _, t := range trans {
				if t != nil {
					t.Close()
				}
			}
			for _, s := range stores {
				if s != nil {
					s.Close()
				}
			}
		})
	}
	b.Cleanup(stop)

	var servers []raft.Server
	for i := range trans {
		t, err := raft.NewTCPTransportWithConfig("127.0.0.1:0", nil, raftTransportConfig(logger))
		if err != nil {
			b.Fatalf("transport %d: %v", i, err)
		}
		trans[i] = t
		servers = append(servers, raft.Server{
			ID: raftBenchID(i), Address: t.LocalAddr(), Suffrage: raft.Voter,
		})
	}
	cfg := raft.Configuration{Servers: servers}

	for i := range rafts {
		store, err := openLogStore(dirs[i], kind, logger, 0)
		if err != nil {
			b.Fatalf("store %d: %v", i, err)
		}
		stores[i] = store
		logs, err := raft.NewLogCache(raftLogCacheSize, store)
		if err != nil {
			b.Fatal(err)
		}
		snaps, err := raft.NewFileSnapshotStoreWithLogger(dirs[i], raftSnapshotsKept, logger)
		if err != nil {
			b.Fatalf("snapshot store %d: %v", i, err)
		}
		conf := raftBenchConfig(raftBenchID(i), logger)
		if err := raft.BootstrapCluster(conf, logs, store, snaps, trans[i], cfg); err != nil {
			b.Fatalf("bootstrap %d: %v", i, err)
		}
		r, err := raft.NewRaft(conf, &countingFSM{}, logs, store, snaps, trans[i])
		if err != nil {
			b.Fatalf("start raft %d: %v", i, err)
		}
		rafts[i] = r
	}

	var leader *raft.Raft
	waitFor(b, 10*time.Second, "a raft leader", func() bool {
		for _, r := range rafts {
			if r.State() == raft.Leader {
				leader = r
				return true
			}
		}
		return false
	})
	return leader, stop
}

func raftBenchID(i int) raft.ServerID {
	return raft.ServerID(fmt.Sprintf("raft-bench-%d", i))
}

// raftBenchConfig is the raft configuration a genie node with the default
// RaftTimeout runs, taken from raftConfig itself, without its leadership
// channel.
func raftBenchConfig(id raft.ServerID, logger hclog.Logger) *raft.Config {
	cfg := DefaultConfig()
	cfg.Logger = logger
	n := &Node{id: string(id), config: cfg}
	conf := n.raftConfig()
	conf.NotifyCh = nil
	return conf
}

// countingFSM counts the commands applied to it, a batch at a time.
type countingFSM struct {
	applied atomic.Uint64
}

var _ raft.BatchingFSM = (*countingFSM)(nil)

func (f *countingFSM) Apply(l *raft.Log) interface{} {
	return f.ApplyBatch([]*raft.Log{l})[0]
}

func (f *countingFSM) ApplyBatch(logs []*raft.Log) []interface{} {
	var commands uint64
	for _, l := range logs {
		if l.Type == raft.LogCommand {
			commands++
		}
	}
	f.applied.Add(commands)
	return make([]interface{}, len(logs))
}

func (f *countingFSM) Snapshot() (raft.FSMSnapshot, error) {
	return countSnapshot(f.applied.Load()), nil
}

func (f *countingFSM) Restore(rc io.ReadCloser) error {
	defer rc.Close()
	var count uint64
	if err := binary.Read(rc, binary.BigEndian, &count); err != nil {
		return fmt.Errorf("restore count: %w", err)
	}
	f.applied.Store(count)
	return nil
}

// countSnapshot is a countingFSM's state: its count.
type countSnapshot uint64

func (s countSnapshot) Persist(sink raft.SnapshotSink) error {
	if err := binary.Write(sink, binary.BigEndian, uint64(s)); err != nil {
		sink.Cancel()
		return err
	}
	return sink.Close()
}

func (countSnapshot) Release() {}
