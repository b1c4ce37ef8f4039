// Package node runs one genie node: raft and the replicated state, the job
// runner, the REST API, and the duties that tie them together.
package node

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/memberlist"
	"github.com/hashicorp/raft"

	"github.com/genie-cluster/genie/archive"
	"github.com/genie-cluster/genie/balance"
	"github.com/genie-cluster/genie/fsm"
	"github.com/genie-cluster/genie/runner"
	"github.com/genie-cluster/genie/tlsutil"
	"github.com/genie-cluster/genie/transport"
	"github.com/genie-cluster/genie/ui"
)

// Node is one genie server. Every node is identical: it holds a replica of
// the registry and job records, runs the jobs assigned to it and answers
// the API for every job.
type Node struct {
	config *Config
	logger hclog.Logger
	id     string

	fsm       *fsm.FSM
	raft      *raft.Raft
	raftStore *watchedStore
	// stepDownPending is set while a leadership transfer for lack of
	// disk is under way.
	stepDownPending atomic.Bool
	raftTransport   *raft.NetworkTransport

	gossip     *memberlist.Memberlist
	keyring    *gossipKeyring // nil when gossip is not encrypted
	members    *members
	announceCh chan struct{}
	leaderCh   chan bool
	leaders    *leaderWatch
	// s3 reaches the store behind s3:// URIs: dependencies and archives.
	s3          *s3.Client
	reconcileCh chan struct{}
	bootstrapCh chan struct{}
	// scheduleCh wakes the leader's scheduler.
	scheduleCh chan struct{}
	// nudgeCh tells the leader's nudge loop of every applied write.
	nudgeCh   chan struct{}
	chooser   *balance.NodeChooser
	inflight  *inflight
	positions queuePositions
	internal  *http.Client
	forwarder *forwarder
	// tls holds the node's certificates; nil without TLS.
	tls *tlsutil.Configurator
	// draining: the node takes no new jobs (it is leaving).
	draining     atomic.Bool
	leaving      atomic.Bool
	bootstrapped atomic.Bool

	runner  *runner.Runner
	applied *appliedIndex
	queue   *jobQueue
	// dispatched holds the ids of unfinished jobs handed to the runner.
	dispatched sync.Map
	// holdRunner keeps ACCEPTED jobs from starting; benchmarks of the
	// submission path alone set it.
	holdRunner atomic.Bool
	selector   balance.ClusterSelector
	metrics    *metrics
	// waitingQueries counts the API's blocking queries waiting for a change.
	waitingQueries atomic.Int64
	// diskLow holds why the node takes no new jobs for lack of disk ("":
	// it has room).
	diskLow atomic.Value
	// localArchive is the node's archive when it is a local directory,
	// which -archive-retention prunes.
	localArchive *archive.Local
	// archive is where finished jobs and their records go, nil when the
	// node archives nothing.
	archive archive.Store

	httpServer   *http.Server
	apiHandler   http.Handler
	httpListener net.Listener
	httpAddr     string

	// ready is closed once the node has caught up with the log and taken
	// charge of its jobs.
	ready chan struct{}

	shutdownCh   chan struct{}
	shutdownOnce sync.Once
	wg           sync.WaitGroup
}

// New starts a node with cfg, which it validates. The node serves the API
// at once; Ready tells when it has taken charge of its jobs.
func New(cfg *Config) (*Node, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("invalid configuration: %w", err)
	}
	n := &Node{
		config:      cfg,
		logger:      cfg.Logger.Named("node"),
		queue:       newJobQueue(),
		selector:    balance.NewClusterSelector(cfg.ClusterSelector),
		announceCh:  make(chan struct{}, 1),
		leaderCh:    make(chan bool, 16),
		leaders:     newLeaderWatch(),
		reconcileCh: make(chan struct{}, 1),
		bootstrapCh: make(chan struct{}, 1),
		scheduleCh:  make(chan struct{}, 1),
		nudgeCh:     make(chan struct{}, 1),
		chooser:     balance.NewNodeChooser(),
		inflight:    newInflight(),
		ready:       make(chan struct{}),
		shutdownCh:  make(chan struct{}),
	}
	n.members = newMembers(n.membersChanged)
	n.applied = newAppliedIndex()
	n.forwarder = newForwarder(n)
	if err := n.setup(); err != nil {
		n.Shutdown()
		return nil, err
	}
	return n, nil
}

func (n *Node) setup() error {
	// Job users pass through the data dir to their job directories but
	// cannot list it; what lies in it (raft, keys, keyring, archive) is the
	// node's alone.
	if err := os.MkdirAll(n.config.DataDir, 0o711); err != nil {
		return fmt.Errorf("data dir: %w", err)
	}
	if err := os.Chmod(n.config.DataDir, 0o711); err != nil {
		return fmt.Errorf("data dir: %w", err)
	}
	id, err := loadOrCreateNodeID(n.config.DataDir)
	if err != nil {
		return err
	}
	n.id = id
	n.logger = n.logger.With("node", n.config.NodeName)
	n.metrics = newMetrics(n)

	machine, err := fsm.New(&fsm.Config{
		Logger:      n.config.Logger,
		OnJobChange: n.onJobChange,
		OnRestore:   n.onRestore,
		OnApplied: func(index uint64) {
			n.applied.advance(index)
			n.noteApplied()
		},
	})
	if err != nil {
		return err
	}
	n.fsm = machine

	if err := n.setupTLS(); err != nil {
		return err
	}
	if err := n.setupRunner(); err != nil {
		return err
	}
	if err := n.setupRaft(); err != nil {
		return err
	}
	if err := n.setupHTTP(); err != nil {
		return err
	}
	if err := n.setupGossip(); err != nil {
		return err
	}
	n.forwarder.start()
	n.wg.Add(10)
	go n.pruneArchiveLoop()
	go n.diskLoop()
	go n.sweepJobDirsLoop()
	go n.watchLeader()
	go n.takeCharge()
	go n.bootstrapLoop()
	go n.dispatchLoop()
	go n.announceLoop()
	go n.monitorLeadership()
	go n.reconnectLoop()
	if len(n.config.Join) > 0 {
		n.wg.Add(1)
		go n.joinLoop(n.config.Join)
	}
	n.logger.Info("node started", "id", n.id, "http", n.httpAddr, "raft", n.raftTransport.LocalAddr(), "gossip", n.config.GossipAddr, "data_dir", n.config.DataDir)
	return nil
}

func (n *Node) setupRunner() error {
	rc := runner.DefaultConfig()
	rc.JobsDir = n.config.JobsDir
	rc.JobUser = n.config.JobUser
	jobUIDs, err := runner.ParseUIDRange(n.config.JobUIDRange)
	if err != nil {
		return fmt.Errorf("JobUIDRange: %w", err)
	}
	rc.JobUIDs = jobUIDs
	rc.RunAsJobUser = n.config.RunAsUser
	rc.AttachmentsDir = filepath.Join(n.config.DataDir, attachmentsDirName)
	if err := prepareAttachmentsDir(n.config.DataDir); err != nil {
		return err
	}
	rc.ArchiveS3 = n.config.ArchiveS3
	rc.NodeName = n.config.NodeName
	rc.Shell = n.config.Shell
	rc.KillGrace = n.config.KillGrace
	rc.MaxJobOutput = n.config.MaxJobOutput
	rc.Logger = n.config.Logger.Named("runner")
	if err := n.setupS3(rc); err != nil {
		return err
	}
	switch {
	case n.config.ArchiveS3 != "":
		store, err := archive.NewS3(n.s3, n.config.ArchiveS3)
		if err != nil {
			return fmt.Errorf("archive: %w", err)
		}
		rc.Archive = store
		n.archive = store
	case n.config.ArchiveDir != "":
		store, err := archive.NewLocal(n.config.ArchiveDir)
		if err != nil {
			return fmt.Errorf("archive: %w", err)
		}
		if err := os.Chmod(n.config.ArchiveDir, 0o700); err != nil {
			return fmt.Errorf("archive: %w", err)
		}
		rc.Archive = store
		n.archive = store
		n.localArchive = store
	}
	r, err := runner.New(rc, &reporter{n: n})
	if err != nil {
		return err
	}
	n.runner = r
	return nil
}

func (n *Node) setupHTTP() error {
	ln, err := net.Listen("tcp", n.config.HTTPAddr)
	if err != nil {
		return fmt.Errorf("http listen on %s: %w", n.config.HTTPAddr, err)
	}
	n.httpAddr = n.config.AdvertiseHTTP
	if n.httpAddr == "" {
		if n.httpAddr, err = n.config.advertised(ln.Addr().String()); err != nil {
			ln.Close()
			return fmt.Errorf("http: %w", err)
		}
	}
	if n.tls != nil {
		ln = tls.NewListener(ln, n.tls.IncomingHTTPS())
	}
	n.httpListener = ln
	handler := transport.NewHandler(&transport.HandlerConfig{
		Backend:         n,
		Logger:          n.config.Logger.Named("http"),
		MaxRequestBytes: n.config.MaxRequestBytes,
		ACLEnabled:      n.config.ACLEnabled,
		ACLResetIndex:   n.aclResetIndex,
		IsServer:        n.isServerPeer(),
		PeerScheme:      n.scheme(),
		PeerTransport:   n.internal.Transport,
		Waiting:         &n.waitingQueries,
	})
	pages, err := ui.New(&ui.Config{API: handler, ACLEnabled: n.config.ACLEnabled, Logger: n.config.Logger.Named("ui")})
	if err != nil {
		ln.Close()
		return err
	}
	n.apiHandler = handler
	n.httpServer = &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if pages.Handles(r) {
				pages.ServeHTTP(w, r)
				return
			}
			handler.ServeHTTP(w, r)
		}),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          n.config.Logger.Named("http").StandardLogger(&hclog.StandardLoggerOptions{InferLevels: true}),
	}
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		if err := n.httpServer.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			n.logger.Error("http server stopped", "error", err)
		}
	}()
	return nil
}

// ID is the node's stable id, kept in the data dir.
func (n *Node) ID() string { return n.id }

// Name is the node's name.
func (n *Node) Name() string { return n.config.NodeName }

// HTTPAddr is the host:port the API is served on.
func (n *Node) HTTPAddr() string { return n.httpAddr }

// Raft exposes the raft instance to operators' endpoints and tests.
func (n *Node) Raft() *raft.Raft { return n.raft }

// State returns the local replica of the state.
func (n *Node) State() *fsm.State { return n.fsm.State() }

// Ready is closed when the node has caught up and taken charge of its jobs.
func (n *Node) Ready() <-chan struct{} { return n.ready }

// membersChanged runs on every gossip event: the raft group may bootstrap
// or need reconciling.
func (n *Node) membersChanged() {
	select {
	case n.reconcileCh <- struct{}{}:
	default:
	}
	select {
	case n.bootstrapCh <- struct{}{}:
	default:
	}
}

// running reports whether the node has not been shut down.
func (n *Node) running() bool {
	select {
	case <-n.shutdownCh:
		return false
	default:
		return true
	}
}

// Shutdown stops the node. Jobs it runs keep running: the next start on the
// same data dir re-attaches to them.
func (n *Node) Shutdown() error {
	var err error
	n.shutdownOnce.Do(func() {
		close(n.shutdownCh)
		n.logger.Info("shutting down")
		if n.httpServer != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			_ = n.httpServer.Shutdown(ctx)
			cancel()
		} else if n.httpListener != nil {
			n.httpListener.Close()
		}
		if n.runner != nil {
			n.runner.Close()
		}
		if n.gossip != nil {
			n.gossip.Shutdown()
		}
		if n.raft != nil {
			if e := n.raft.Shutdown().Error(); e != nil {
				err = e
			}
		}
		if n.raftTransport != nil {
			n.raftTransport.Close()
		}
		if n.raftStore != nil {
			n.raftStore.Close()
		}
		n.wg.Wait()
	})
	return err
}

// loadOrCreateNodeID keeps the node's id stable across restarts.
func loadOrCreateNodeID(dataDir string) (string, error) {
	path := filepath.Join(dataDir, "node-id")
	if buf, err := os.ReadFile(path); err == nil {
		id := strings.TrimSpace(string(buf))
		if _, err := uuid.Parse(id); err != nil {
			return "", fmt.Errorf("node id in %s is not a UUID: %q", path, id)
		}
		return id, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("read node id: %w", err)
	}
	id := uuid.NewString()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(id+"\n"), 0o644); err != nil {
		return "", fmt.Errorf("write node id: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return "", fmt.Errorf("write node id: %w", err)
	}
	return id, nil
}
