package node

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"

	"github.com/genie-cluster/genie/tlsutil"
)

const (
	raftDirName       = "raft"
	raftLogCacheSize  = 1024
	raftSnapshotsKept = 2
	raftMaxPool       = 3
	raftTCPTimeout    = 10 * time.Second
	raftCommitTimeout = 500 * time.Millisecond
)

// raftConfig tunes raft for genie's load: many small entries from many
// goroutines, so applies are batched (BatchApplyCh) into large appends.
func (n *Node) raftConfig() *raft.Config {
	conf := raft.DefaultConfig()
	conf.LocalID = raft.ServerID(n.id)
	conf.Logger = n.config.Logger.Named("raft")
	conf.HeartbeatTimeout = n.config.RaftTimeout
	conf.ElectionTimeout = n.config.RaftTimeout
	conf.LeaderLeaseTimeout = n.config.RaftTimeout / 2
	// Followers learn the commit index from the next append; when writes
	// pause, the leader sends one after CommitTimeout. The nudge loop sends
	// a barrier after each pause in writes instead (see nudge.go), so this
	// is only a backstop, long enough that an idle leader sends nothing
	// but heartbeats.
	conf.CommitTimeout = raftCommitTimeout
	if n.config.raftCommitTimeout > 0 {
		conf.CommitTimeout = n.config.raftCommitTimeout
	}
	conf.BatchApplyCh = true
	// Raft allocates a slice of MaxAppendEntries for every batch it applies
	// and every append it sends, whatever their size: at raft's ceiling of
	// 1024 that was a sixth of all the bytes a cluster allocated per
	// submission. 256 is what a forwarded batch carries at most.
	conf.MaxAppendEntries = forwardBatchEntries
	// A snapshot every 4096 entries and as many kept behind it bound the
	// log, and so the memory-mapped bolt file, to a few MB; a follower
	// further behind gets a snapshot, which for genie's state is small.
	conf.SnapshotThreshold = 4096
	conf.TrailingLogs = 4096
	conf.ShutdownOnRemove = false
	conf.NotifyCh = n.leaderCh
	return conf
}

// setupRaft opens the log, stable and snapshot stores in the data dir,
// starts the TCP transport and, when this node is to bootstrap alone and has
// no state yet, bootstraps a single-server configuration.
func (n *Node) setupRaft() error {
	dir := filepath.Join(n.config.DataDir, raftDirName)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("raft dir: %w", err)
	}
	kind, err := chooseLogStore(dir, n.config.RaftLogStore)
	if err != nil {
		return fmt.Errorf("raft log store: %w", err)
	}
	opened, err := openLogStore(dir, kind, n.logger.Named("raft-log"), n.config.walSegmentSize)
	if err != nil {
		return fmt.Errorf("raft %s log store: %w", kind, err)
	}
	store := newWatchedStore(opened, n.logger.Named("raft-log"))
	n.raftStore = store
	n.logger.Info("raft log store", "store", kind)
	logs, err := raft.NewLogCache(raftLogCacheSize, store)
	if err != nil {
		return err
	}
	snaps, err := raft.NewFileSnapshotStoreWithLogger(dir, raftSnapshotsKept, n.logger.Named("snapshot"))
	if err != nil {
		return fmt.Errorf("snapshot store: %w", err)
	}

	advertise, err := n.raftAdvertise()
	if err != nil {
		return err
	}
	trans, err := n.raftNetwork(advertise)
	if err != nil {
		return fmt.Errorf("raft transport on %s: %w", n.config.RaftAddr, err)
	}
	n.raftTransport = trans

	conf := n.raftConfig()
	// Alone means alone: a node told to join others never bootstraps a
	// group of one beside theirs.
	if n.config.BootstrapExpect == 1 && len(n.config.Join) == 0 {
		has, err := raft.HasExistingState(logs, store, snaps)
		if err != nil {
			return err
		}
		if !has {
			cfg := raft.Configuration{Servers: []raft.Server{{
				ID: conf.LocalID, Address: trans.LocalAddr(), Suffrage: raft.Voter,
			}}}
			if err := raft.BootstrapCluster(conf, logs, store, snaps, trans, cfg); err != nil {
				return fmt.Errorf("bootstrap: %w", err)
			}
			n.logger.Info("bootstrapped a single-server raft group", "id", n.id)
		}
	}
	r, err := raft.NewRaft(conf, n.fsm, logs, store, snaps, trans)
	if err != nil {
		return fmt.Errorf("start raft: %w", err)
	}
	n.raft = r
	return nil
}

// raftAdvertise resolves the address raft tells peers (see advertised). A
// zero port is left to the listener, which then binds a specific address.
func (n *Node) raftAdvertise() (net.Addr, error) {
	_, port, err := net.SplitHostPort(n.config.RaftAddr)
	if err != nil {
		return nil, err
	}
	if port == "0" {
		return nil, nil
	}
	addr, err := n.config.advertised(n.config.RaftAddr)
	if err != nil {
		return nil, fmt.Errorf("raft: %w", err)
	}
	return net.ResolveTCPAddr("tcp", addr)
}

// raftNetwork is raft's transport: mutual TLS between servers of the
// cluster when TLS is on, plain TCP otherwise.
func (n *Node) raftNetwork(advertise net.Addr) (*raft.NetworkTransport, error) {
	conf := raftTransportConfig(n.logger.Named("raft-net"))
	if n.tls == nil {
		return raft.NewTCPTransportWithConfig(n.config.RaftAddr, advertise, conf)
	}
	layer, err := tlsutil.NewRaftStreamLayer(n.config.RaftAddr, advertise, n.tls)
	if err != nil {
		return nil, err
	}
	conf.Stream = layer
	return raft.NewNetworkTransportWithConfig(conf), nil
}

// raftTransportConfig configures raft's transport. Pipelined replication is
// off (MaxRPCsInFlight 1): in raft 1.7.3 a follower answering an append with
// failure (its log store out of disk, a log that does not match after a
// restart) can wedge the leader's pipeline to it, after which the leader
// sends it heartbeats but never another entry, until leadership changes
// (hashicorp/raft#612). TestDiskFullNodeStopsLeadingAndRecovers hit it.
// Each follower then gets one append at a time, batched, which raft's own
// measurements found costs little once appends are batched.
func raftTransportConfig(logger hclog.Logger) *raft.NetworkTransportConfig {
	return &raft.NetworkTransportConfig{
		MaxPool:         raftMaxPool,
		Timeout:         raftTCPTimeout,
		Logger:          logger,
		MaxRPCsInFlight: 1,
	}
}
