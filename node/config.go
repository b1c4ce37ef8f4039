package node

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"time"

	"github.com/hashicorp/go-sockaddr/template"

	"github.com/genie-cluster/genie/blob"
	"github.com/genie-cluster/genie/runner"
	"github.com/genie-cluster/genie/tlsutil"

	"github.com/hashicorp/go-hclog"
)

// maxClusterName keeps the name within a gossip label's 255 bytes.
const maxClusterName = 200

// Config configures a node. Start from DefaultConfig and call Validate.
type Config struct {
	// NodeName is how operators and job records name this node; it defaults
	// to the host name.
	NodeName string

	// DataDir holds the node id, the raft log and snapshots, the job working
	// directories and, by default, the local archive.
	DataDir string

	// HTTPAddr is the host:port the REST API listens on. AdvertiseHTTP is
	// the address peers and clients are told (defaults to HTTPAddr, or the
	// listener's address when the port is 0).
	HTTPAddr      string
	AdvertiseHTTP string

	// AdvertiseAddr is the IP peers and clients reach this node at, for
	// every listener bound to an unspecified address (0.0.0.0); by default
	// the host's private IP. A go-sockaddr template, as Consul takes, picks
	// it by network or interface, e.g.
	// {{ GetAllInterfaces | include "network" "172.28.0.0/16" | attr "address" }}.
	AdvertiseAddr string

	// RaftAddr is the host:port of the raft transport.
	RaftAddr string
	// RaftLogStore is the raft log store of a new data dir: LogStoreBolt or
	// LogStoreWAL. Empty opens what the data dir holds, else the default.
	// A data dir keeps the store it was made with.
	RaftLogStore string
	// RaftTimeout is raft's heartbeat and election timeout: how long
	// followers wait to hear from a leader before they elect another (the
	// leader's lease is half of it). Lower fails over faster; too low
	// for the network and the load elects leaders needlessly.
	RaftTimeout time.Duration
	// raftCommitTimeout, when set, replaces raftCommitTimeout (tests).
	raftCommitTimeout time.Duration

	// GossipAddr is the host:port memberlist binds (TCP and UDP).
	GossipAddr string
	// GossipPreset tunes failure detection: "lan" (memberlist's LAN
	// defaults) or "local" (faster, for nodes on one host, as in tests).
	GossipPreset string
	// EncryptKey (base64 of 16, 24 or 32 bytes) encrypts gossip. It seeds
	// <DataDir>/local.keyring; once that file exists it holds the keys.
	EncryptKey string
	// ClusterName goes on every gossip packet and stream, and a node drops
	// those of another name: clusters that share a network stay apart even
	// when an address of one is reused by a node of the other (a node
	// retries the addresses of dead members). Every node of a cluster needs
	// the same; empty (the default) sends none, as nodes before it did.
	ClusterName string
	// Join lists gossip addresses of existing members; the node retries
	// them until one answers or JoinTimeout passes.
	Join        []string
	JoinTimeout time.Duration
	// Zone is the failure domain the node is in; voters are spread over
	// zones when nodes name them.
	Zone string

	// DeadServerGrace is how long a node may stay dead in gossip before
	// the leader removes it from the raft configuration.
	DeadServerGrace time.Duration
	// NodeLostGrace is how long a node holding jobs may stay dead in gossip
	// before the leader gives its jobs up: those not started move to live
	// nodes, started ones end FAILED ("node lost").
	NodeLostGrace time.Duration
	// DrainTimeout is how long a leaving node waits for its jobs before it
	// kills them.
	DrainTimeout time.Duration
	// LeaderHold is how long a write waits for a leader before it is
	// answered 503.
	LeaderHold time.Duration

	// BootstrapExpect is the number of servers to wait for before
	// bootstrapping the raft group; 1 bootstraps a single node at once,
	// unless it is told to Join others; 0 never bootstraps.
	BootstrapExpect int

	// MaxJobs bounds the jobs placed on this node at once (ACCEPTED on it,
	// INIT and RUNNING all hold a slot); past it, jobs go to other nodes or
	// wait in the cluster's queue.
	MaxJobs int
	// MaxMemory is the node's memory budget for jobs in MB; a job asking
	// more than any node's is INVALID, one that does not fit now waits.
	MaxMemory int
	// MaxQueued bounds the cluster's queue when this node receives the
	// submission: a job that would wait behind that many gets 503. Zero is
	// no bound.
	MaxQueued int
	// DefaultJobMemory is what a job reserves when neither it nor its
	// command says, in MB.
	DefaultJobMemory int
	// DefaultTimeout applies to jobs that set none.
	DefaultTimeout time.Duration
	// KillGrace is how long a killed job has between SIGTERM and SIGKILL.
	KillGrace time.Duration
	// MaxJobOutput is the most bytes a job's stdout or stderr may hold on
	// this node: past it the job is KILLED. 0 means no limit.
	MaxJobOutput int64
	// JobDirRetention is how long after its job ended a working directory
	// left on the node (archiving disabled or failed) stays. 0 keeps them.
	JobDirRetention time.Duration
	// JobRetention is how long after it ended a job's record stays in the
	// replicated state; the leader then retires it, and its record is read
	// from the archive. 0 keeps every record in the state.
	JobRetention time.Duration
	// retireInterval overrides how often the leader looks for jobs to
	// retire; tests shorten it.
	retireInterval time.Duration
	// walSegmentSize shrinks the wal's segments, so that a test fills a
	// disk with a few entries; 0 keeps raft-wal's 64 MiB.
	walSegmentSize int
	// ArchiveRetention is how long a local archive keeps a job's directory;
	// 0 (the default) keeps them. An S3 archive is pruned by the bucket's
	// lifecycle rules.
	ArchiveRetention time.Duration
	// jobDirSweepInterval overrides how often left directories and old
	// archives are looked for; tests shorten it.
	jobDirSweepInterval time.Duration
	// MinFreeDisk is the free space the data dir's file system keeps: below
	// it the node takes no new jobs (its raft log and records need the room)
	// until space returns.
	MinFreeDisk FreeSpace
	// diskCheckInterval and statfs override how and how often the disk is
	// measured; tests fake a full disk with them.
	diskCheckInterval time.Duration
	statfs            func(path string) (free, total uint64, err error)

	// JobsDir holds the jobs' working directories; default <DataDir>/jobs.
	// Working directories are scratch (what lasts is archived when a job
	// ends), so a tmpfs here makes per-job set-up much cheaper.
	JobsDir string

	// ArchiveDir is the local archive for finished job directories;
	// default <DataDir>/archive. Empty after Validate only when archiving
	// is disabled with NoArchive.
	ArchiveDir string
	NoArchive  bool
	// ArchiveS3, when set (s3://bucket/prefix), archives finished job
	// directories to S3 under <prefix>/<job id>/ instead of ArchiveDir.
	ArchiveS3 string

	// S3 reaches the store behind s3:// URIs (credentials from the SDK's
	// standard chain); S3CacheDir (default <DataDir>/cache/s3) keeps
	// downloaded objects up to S3CacheMB.
	S3         blob.Config
	S3CacheDir string
	S3CacheMB  int

	// Shell runs the generated job scripts.
	Shell string

	// JobUser is the OS account jobs run as; empty runs them as the node's
	// own account. Any other account needs the node to run as root.
	JobUser string
	// JobUIDRange ("first-last") is where jobs of JobUser get their uids,
	// one each, so that no job reaches another's files or processes; with
	// JobUser's group and name. No account or other service may use them:
	// the default is the block systemd keeps for dynamic users.
	JobUIDRange string
	// RunAsUser runs each job as the OS account named like its user, when
	// it exists (Genie's runAsUser); a job whose account is missing fails
	// at INIT. Needs root.
	RunAsUser bool

	// ApplyTimeout bounds one raft apply.
	ApplyTimeout time.Duration

	// MaxRequestBytes bounds a request body; larger ones get 413.
	MaxRequestBytes int64

	// ClusterSelector picks among several matching clusters: "random"
	// (Genie's default) or "least-running".
	ClusterSelector string

	// Dev seeds a demo cluster and commands so a first job runs at once.
	Dev bool

	// ACLEnabled makes the API ask every request for a token (see the acl
	// package for the roles).
	ACLEnabled bool

	// TLS, when it names a certificate and key, serves the API over HTTPS
	// and makes every node-to-node call and raft connection mutual TLS.
	TLS tlsutil.Config

	Logger hclog.Logger
}

// DefaultConfig returns a configuration for a single node listening on
// loopback with the standard ports.
func DefaultConfig() *Config {
	host, _ := os.Hostname()
	return &Config{
		NodeName:         host,
		DataDir:          "data",
		HTTPAddr:         "127.0.0.1:8080",
		RaftAddr:         "127.0.0.1:8300",
		RaftTimeout:      500 * time.Millisecond,
		GossipAddr:       "127.0.0.1:8301",
		GossipPreset:     "lan",
		JoinTimeout:      5 * time.Minute,
		DeadServerGrace:  2 * time.Minute,
		NodeLostGrace:    30 * time.Second,
		LeaderHold:       5 * time.Second,
		DrainTimeout:     5 * time.Minute,
		BootstrapExpect:  1,
		MaxJobs:          64,
		MaxMemory:        30720,
		MaxQueued:        10000,
		DefaultJobMemory: 512,
		DefaultTimeout:   7 * 24 * time.Hour,
		KillGrace:        10 * time.Second,
		MaxJobOutput:     runner.DefaultConfig().MaxJobOutput,
		// Genie's disk clean-up keeps them three days.
		JobDirRetention: 72 * time.Hour,
		JobRetention:    7 * 24 * time.Hour,
		MinFreeDisk:     FreeSpace{Bytes: 2 << 30, Percent: 5},
		Shell:           "/bin/sh",
		ApplyTimeout:    10 * time.Second,
		MaxRequestBytes: 10 << 20,
		ClusterSelector: "random",
		S3CacheMB:       10240,
		JobUIDRange:     runner.DefaultJobUIDs().String(),
		TLS:             tlsutil.DefaultConfig(),
	}
}

// Validate checks the configuration and fills in what derives from other
// fields. The error names the field at fault.
func (c *Config) Validate() error {
	var errs []error
	if c.NodeName == "" {
		errs = append(errs, errors.New("NodeName: must not be empty"))
	}
	if c.DataDir == "" {
		errs = append(errs, errors.New("DataDir: must not be empty"))
	} else if abs, err := filepath.Abs(c.DataDir); err == nil {
		c.DataDir = abs
	}
	for name, addr := range map[string]string{"HTTPAddr": c.HTTPAddr, "RaftAddr": c.RaftAddr, "GossipAddr": c.GossipAddr} {
		if _, _, err := net.SplitHostPort(addr); err != nil {
			errs = append(errs, fmt.Errorf("%s: %q is not host:port: %w", name, addr, err))
		}
	}
	if strings.Contains(c.AdvertiseAddr, "{{") {
		ip, err := template.Parse(c.AdvertiseAddr)
		if err != nil {
			errs = append(errs, fmt.Errorf("AdvertiseAddr: %w", err))
		} else if ip == "" {
			errs = append(errs, fmt.Errorf("AdvertiseAddr: %q matches no address", c.AdvertiseAddr))
		}
		c.AdvertiseAddr = ip
	}
	if c.AdvertiseAddr != "" && net.ParseIP(c.AdvertiseAddr) == nil {
		errs = append(errs, fmt.Errorf("AdvertiseAddr: %q is not one IP address", c.AdvertiseAddr))
	}
	if c.BootstrapExpect < 0 {
		errs = append(errs, errors.New("BootstrapExpect: must not be negative"))
	}
	switch c.RaftLogStore {
	case "", LogStoreBolt, LogStoreWAL:
	default:
		errs = append(errs, fmt.Errorf("RaftLogStore: %q is not %s or %s", c.RaftLogStore, LogStoreBolt, LogStoreWAL))
	}
	switch c.GossipPreset {
	case "lan", "local":
	default:
		errs = append(errs, fmt.Errorf("GossipPreset: %q is not lan or local", c.GossipPreset))
	}
	if c.EncryptKey != "" {
		if _, err := decodeGossipKey(c.EncryptKey); err != nil {
			errs = append(errs, fmt.Errorf("EncryptKey: %w", err))
		}
	}
	if c.JoinTimeout <= 0 {
		errs = append(errs, errors.New("JoinTimeout: must be positive"))
	}
	if c.DeadServerGrace <= 0 {
		errs = append(errs, errors.New("DeadServerGrace: must be positive"))
	}
	if c.NodeLostGrace <= 0 {
		errs = append(errs, errors.New("NodeLostGrace: must be positive"))
	}
	if c.RaftTimeout < 50*time.Millisecond {
		errs = append(errs, errors.New("RaftTimeout: must be at least 50ms"))
	}
	if c.DrainTimeout < 0 {
		errs = append(errs, errors.New("DrainTimeout: must not be negative"))
	}
	if len(c.ClusterName) > maxClusterName {
		errs = append(errs, fmt.Errorf("ClusterName: at most %d bytes", maxClusterName))
	}
	if c.LeaderHold <= 0 {
		errs = append(errs, errors.New("LeaderHold: must be positive"))
	}
	if c.MaxJobs < 1 {
		errs = append(errs, errors.New("MaxJobs: must be at least 1"))
	}
	if c.MaxMemory < 1 {
		errs = append(errs, errors.New("MaxMemory: must be at least 1 MB"))
	}
	if c.MaxQueued < 0 {
		errs = append(errs, errors.New("MaxQueued: must not be negative"))
	}
	if c.DefaultJobMemory < 0 || c.DefaultJobMemory > c.MaxMemory {
		errs = append(errs, fmt.Errorf("DefaultJobMemory: must be between 0 and MaxMemory (%d)", c.MaxMemory))
	}
	if c.DefaultTimeout <= 0 {
		errs = append(errs, errors.New("DefaultTimeout: must be positive"))
	}
	if c.MaxJobOutput < 0 {
		errs = append(errs, errors.New("MaxJobOutput: must be 0 (no limit) or more"))
	}
	if c.MinFreeDisk.Bytes < 0 || c.MinFreeDisk.Percent < 0 || c.MinFreeDisk.Percent >= 100 {
		errs = append(errs, errors.New("MinFreeDisk: a size of 0 or more, or a percentage from 0 to under 100"))
	}
	if c.ArchiveRetention < 0 {
		errs = append(errs, errors.New("ArchiveRetention: must be 0 (keep them) or more"))
	}
	if c.JobRetention < 0 {
		errs = append(errs, errors.New("JobRetention: must be 0 (keep every record) or more"))
	}
	if c.JobDirRetention < 0 {
		errs = append(errs, errors.New("JobDirRetention: must be 0 (keep them) or more"))
	}
	if c.KillGrace <= 0 {
		errs = append(errs, errors.New("KillGrace: must be positive"))
	}
	if c.ApplyTimeout <= 0 {
		errs = append(errs, errors.New("ApplyTimeout: must be positive"))
	}
	if c.MaxRequestBytes < 1024 {
		errs = append(errs, errors.New("MaxRequestBytes: must be at least 1024"))
	}
	if c.S3CacheMB < 1 {
		errs = append(errs, errors.New("S3CacheMB: must be at least 1"))
	}
	if c.S3CacheDir == "" && c.DataDir != "" {
		c.S3CacheDir = filepath.Join(c.DataDir, "cache", "s3")
	}
	if (c.RunAsUser || c.JobUser != "") && !runner.CanSwitchUsers() {
		if cur, err := user.Current(); err != nil || (c.RunAsUser || cur.Username != c.JobUser) {
			errs = append(errs, errors.New("JobUser, RunAsUser: running jobs as another OS account needs the node to run as root"))
		}
	}
	if _, err := runner.ParseUIDRange(c.JobUIDRange); err != nil {
		errs = append(errs, fmt.Errorf("JobUIDRange: %w", err))
	}
	if c.Shell == "" {
		errs = append(errs, errors.New("Shell: must not be empty"))
	}
	switch c.ClusterSelector {
	case "random", "least-running":
	default:
		errs = append(errs, fmt.Errorf("ClusterSelector: %q is not random or least-running", c.ClusterSelector))
	}
	if c.JobsDir == "" && c.DataDir != "" {
		c.JobsDir = filepath.Join(c.DataDir, "jobs")
	} else if abs, err := filepath.Abs(c.JobsDir); err == nil {
		c.JobsDir = abs
	}
	if c.ArchiveS3 != "" {
		if loc, err := blob.ParseURI(c.ArchiveS3); err != nil {
			errs = append(errs, fmt.Errorf("ArchiveS3: %w", err))
		} else if loc.Bucket == "" {
			errs = append(errs, errors.New("ArchiveS3: no bucket"))
		}
	}
	if c.NoArchive {
		c.ArchiveDir, c.ArchiveS3 = "", ""
	} else if c.ArchiveDir == "" && c.DataDir != "" {
		c.ArchiveDir = filepath.Join(c.DataDir, "archive")
	}
	if err := c.TLS.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("TLS: %w", err))
	}
	if c.ACLEnabled && !c.TLS.Enabled() && (c.BootstrapExpect != 1 || len(c.Join) > 0) {
		// Nodes call each other's internal endpoints; only a server
		// certificate can prove a caller is a node, and without one those
		// endpoints would let anyone past the tokens.
		errs = append(errs, errors.New("ACLEnabled: ACLs across several nodes need TLS (TLS.CertFile, TLS.KeyFile, TLS.CAFile)"))
	}
	if c.RunAsUser && !c.ACLEnabled {
		// A job's user is whatever an anonymous client writes.
		errs = append(errs, errors.New("RunAsUser: running jobs as their user's OS account needs ACLs, so that the user is the token's"))
	}
	if c.Logger == nil {
		c.Logger = hclog.New(&hclog.LoggerOptions{Name: "genie", Level: hclog.Info})
	}
	return errors.Join(errs...)
}
