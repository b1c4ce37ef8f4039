package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/hashicorp/cli"
	"github.com/hashicorp/go-hclog"

	"github.com/genie-cluster/genie/node"
	"github.com/genie-cluster/genie/runner"
)

// AgentCommand runs a genie node.
type AgentCommand struct {
	UI cli.Ui
	// Stderr receives the logs; nil means os.Stderr.
	Stderr io.Writer
	// signals, when set, replaces the process's signal channel (tests).
	signals <-chan os.Signal
}

func (c *AgentCommand) Synopsis() string { return "Run a genie node" }

func (c *AgentCommand) Help() string {
	return strings.TrimSpace(`
Usage: genie agent [options]

  Runs a genie node: the REST API, a raft replica of the registry and job
  records, and the runner for the jobs placed on this node. Every option can
  also be set in the environment as GENIE_<OPTION> (for example
  GENIE_DATA_DIR for -data-dir); a flag wins over the environment.

  -dev starts a self-contained node for trying genie: a temporary data dir
  (unless -data-dir is given), a demo cluster "local" (tags sched:adhoc,
  type:local) and demo commands "shell" (type:shell) and "exec" (type:exec).

Options:
` + c.flagSet(node.DefaultConfig(), new(agentFlags)).usage())
}

// defaultJobOSUser is the account jobs run as under a root agent.
const defaultJobOSUser = "nobody"

// agentFlags are the options that are not node.Config fields.
type agentFlags struct {
	logLevel string
	logJSON  bool
	insecure bool
}

type flagSet struct {
	*flag.FlagSet
}

func (f flagSet) usage() string {
	var b strings.Builder
	f.SetOutput(&b)
	f.PrintDefaults()
	return b.String()
}

func (c *AgentCommand) flagSet(cfg *node.Config, extra *agentFlags) flagSet {
	fs := flag.NewFlagSet("agent", flag.ContinueOnError)
	fs.StringVar(&cfg.DataDir, "data-dir", cfg.DataDir, "directory for the node id, raft data, job directories and the local archive")
	fs.StringVar(&cfg.HTTPAddr, "http-addr", cfg.HTTPAddr, "host:port for the REST API")
	fs.StringVar(&cfg.AdvertiseAddr, "advertise", cfg.AdvertiseAddr, "IP peers and clients reach this node at when an address binds 0.0.0.0 (default: the host's private IP)")
	fs.StringVar(&cfg.RaftAddr, "raft-addr", cfg.RaftAddr, "host:port for raft traffic between nodes")
	fs.StringVar(&cfg.RaftLogStore, "raft-log-store", cfg.RaftLogStore, "raft log store of a new data dir: wal or bolt (default wal); an existing data dir keeps its own")
	fs.DurationVar(&cfg.RaftTimeout, "raft-timeout", cfg.RaftTimeout, "raft heartbeat and election timeout; the leader's lease is half of it")
	fs.StringVar(&cfg.GossipAddr, "gossip-addr", cfg.GossipAddr, "host:port for gossip (TCP and UDP)")
	fs.StringVar(&cfg.EncryptKey, "encrypt", cfg.EncryptKey, "base64 gossip encryption key (\"genie operator gossip keygen\"); seeds <data-dir>/local.keyring, which wins once it exists")
	fs.Func("join", "gossip address(es) of existing members, comma-separated; retried until one answers", func(v string) error {
		for _, a := range strings.Split(v, ",") {
			if a = strings.TrimSpace(a); a != "" {
				cfg.Join = append(cfg.Join, a)
			}
		}
		return nil
	})
	fs.DurationVar(&cfg.JoinTimeout, "join-timeout", cfg.JoinTimeout, "how long to keep retrying -join")
	fs.StringVar(&cfg.Zone, "zone", cfg.Zone, "failure domain of this node; raft voters are spread over zones")
	fs.StringVar(&cfg.ClusterName, "cluster-name", cfg.ClusterName, "name of the cluster, the same on every node: gossip from nodes of another name is dropped")
	fs.DurationVar(&cfg.DeadServerGrace, "dead-server-grace", cfg.DeadServerGrace, "how long a dead node keeps its raft seat before the leader removes it")
	fs.DurationVar(&cfg.NodeLostGrace, "node-lost-grace", cfg.NodeLostGrace, "how long a node holding jobs may stay dead before the leader moves its queued jobs and fails its started ones")
	fs.DurationVar(&cfg.DrainTimeout, "drain-timeout", cfg.DrainTimeout, "on SIGTERM or SIGINT, how long to wait for running jobs before killing them and leaving")
	fs.StringVar(&cfg.NodeName, "node-name", cfg.NodeName, "name of this node")
	fs.BoolVar(&cfg.Dev, "dev", false, "run a self-contained development node with a demo cluster and commands")
	fs.IntVar(&cfg.BootstrapExpect, "bootstrap-expect", cfg.BootstrapExpect, "number of nodes to wait for before bootstrapping raft (1: bootstrap alone)")
	fs.IntVar(&cfg.MaxJobs, "max-jobs", cfg.MaxJobs, "most jobs placed on this node at once; more go to other nodes or wait in the queue")
	fs.IntVar(&cfg.MaxQueued, "max-queued", cfg.MaxQueued, "most jobs the cluster's queue holds when this node takes a submission; past it, 503 (0: no bound)")
	fs.IntVar(&cfg.MaxMemory, "max-memory", cfg.MaxMemory, "memory budget for jobs on this node, in MB")
	fs.IntVar(&cfg.DefaultJobMemory, "default-job-memory", cfg.DefaultJobMemory, "memory a job reserves when it does not say, in MB")
	fs.DurationVar(&cfg.DefaultTimeout, "default-timeout", cfg.DefaultTimeout, "timeout of jobs that set none")
	fs.DurationVar(&cfg.KillGrace, "kill-grace", cfg.KillGrace, "time a killed job has between SIGTERM and SIGKILL")
	fs.Var(freeSpaceFlag{&cfg.MinFreeDisk}, "min-free-disk", "free space the data dir's file system keeps: below it the node takes no new jobs until space returns; a size (10GiB) or a percentage (5%)")
	fs.Var(durationFlag{&cfg.JobRetention}, "job-retention", "how long after it ended a job's record stays in the replicated state (searches cover that window); older jobs are read by id from the archive: 7d, 720h (0: keep every record)")
	fs.Var(durationFlag{&cfg.ArchiveRetention}, "archive-retention", "how long a local archive keeps a finished job's directory: 90d, 2160h (0: keep them; an S3 archive is pruned by the bucket's lifecycle rules)")
	fs.Var(durationFlag{&cfg.JobDirRetention}, "job-dir-retention", "how long after its job ended a working directory left on the node (archiving disabled or failed) is kept: 3d, 36h (0: keep them)")
	fs.Var(sizeFlag{&cfg.MaxJobOutput}, "max-job-output", "most a job's stdout or stderr may hold before the job is KILLED: bytes, or a size such as 8GiB or 500MB (0: no limit)")
	fs.StringVar(&cfg.JobsDir, "jobs-dir", cfg.JobsDir, "jobs' working directories (default <data-dir>/jobs); scratch space, a tmpfs makes job set-up cheap")
	fs.StringVar(&cfg.ArchiveDir, "archive-dir", cfg.ArchiveDir, "local archive for finished job directories (default <data-dir>/archive)")
	fs.Func("archive-location", "where finished job directories go: s3://bucket/prefix (each job under <prefix>/<job id>/), or a local directory as -archive-dir", func(v string) error {
		if strings.HasPrefix(v, "s3://") {
			cfg.ArchiveS3 = v
		} else {
			cfg.ArchiveDir = v
		}
		return nil
	})
	fs.StringVar(&cfg.S3.Endpoint, "s3-endpoint", "", "URL of an S3-compatible store for s3:// URIs (default: AWS); credentials come from the AWS SDK's standard chain")
	fs.BoolVar(&cfg.S3.PathStyle, "s3-path-style", false, "address S3 buckets in the path, as most S3-compatible stores need")
	fs.StringVar(&cfg.S3.Region, "s3-region", "", "S3 region (default: the AWS SDK's, else us-east-1)")
	fs.StringVar(&cfg.S3CacheDir, "s3-cache-dir", "", "cache of downloaded s3:// dependencies (default <data-dir>/cache/s3)")
	fs.IntVar(&cfg.S3CacheMB, "s3-cache-size", cfg.S3CacheMB, "most MB the s3:// download cache keeps")
	fs.StringVar(&cfg.ClusterSelector, "cluster-selector", cfg.ClusterSelector, "how a job picks among matching clusters: random or least-running")
	fs.StringVar(&cfg.JobUser, "job-os-user", cfg.JobUser, `OS account jobs run as (default "nobody" when the agent runs as root; "" runs them as the agent's own account)`)
	fs.StringVar(&cfg.JobUIDRange, "job-uid-range", cfg.JobUIDRange, "uids jobs run with under -job-os-user, one per running job so that jobs cannot reach each other (first-last)")
	fs.BoolVar(&cfg.RunAsUser, "run-as-user", false, "run each job as the OS account named like its user, when it exists (needs root)")
	fs.BoolVar(&cfg.ACLEnabled, "acl-enabled", false, "ask every API request for an ACL token (see genie acl bootstrap)")
	fs.StringVar(&cfg.TLS.CAFile, "tls-ca-file", "", "PEM file of the CA that signs every node's certificate")
	fs.StringVar(&cfg.TLS.CertFile, "tls-cert-file", "", "PEM certificate of this node (server.<region>.genie): the API serves HTTPS, node-to-node calls and raft use mutual TLS")
	fs.StringVar(&cfg.TLS.KeyFile, "tls-key-file", "", "PEM private key of -tls-cert-file")
	fs.StringVar(&cfg.TLS.Region, "region", cfg.TLS.Region, "region named in the nodes' certificates (server.<region>.genie)")
	fs.BoolVar(&extra.insecure, "insecure", false, "start even though ACLs, TLS, gossip encryption or job isolation are not configured (each that is configured is still enforced)")
	fs.StringVar(&extra.logLevel, "log-level", "info", "log level: trace, debug, info, warn or error")
	fs.BoolVar(&extra.logJSON, "log-json", false, "log as JSON lines")
	return flagSet{fs}
}

// applyEnv sets every flag that has a GENIE_<NAME> variable, before the
// command line is parsed so flags win.
func applyEnv(fs *flag.FlagSet) error {
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		name := "GENIE_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v, ok := os.LookupEnv(name); ok && err == nil {
			if e := f.Value.Set(v); e != nil {
				err = fmt.Errorf("%s=%q: %v", name, v, e)
			}
		}
	})
	return err
}

func (c *AgentCommand) Run(args []string) int {
	cfg := node.DefaultConfig()
	if runner.CanSwitchUsers() {
		// A root agent never runs user code as root.
		cfg.JobUser = defaultJobOSUser
	}
	var extra agentFlags
	fs := c.flagSet(cfg, &extra)
	fs.Usage = func() { c.UI.Error(c.Help()) }
	if err := applyEnv(fs.FlagSet); err != nil {
		c.UI.Error(err.Error())
		return 1
	}
	dataDirSet := os.Getenv("GENIE_DATA_DIR") != ""
	if err := fs.Parse(args); err != nil {
		return 1
	}
	drainSet := os.Getenv("GENIE_DRAIN_TIMEOUT") != ""
	minFreeSet := os.Getenv("GENIE_MIN_FREE_DISK") != ""
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "data-dir":
			dataDirSet = true
		case "drain-timeout":
			drainSet = true
		case "min-free-disk":
			minFreeSet = true
		}
	})
	if cfg.Dev && !drainSet {
		// A development node stopped with Ctrl-C should not keep the
		// terminal for minutes.
		cfg.DrainTimeout = 10 * time.Second
	}
	if cfg.Dev && !minFreeSet {
		// A laptop's disk may well be fuller than a server's should be.
		cfg.MinFreeDisk = node.FreeSpace{Bytes: 256 << 20}
	}
	if fs.NArg() > 0 {
		c.UI.Error(fmt.Sprintf("unexpected arguments: %v", fs.Args()))
		return 1
	}

	level := hclog.LevelFromString(extra.logLevel)
	if level == hclog.NoLevel {
		c.UI.Error(fmt.Sprintf("-log-level: %q is not trace, debug, info, warn or error", extra.logLevel))
		return 1
	}
	out := c.Stderr
	if out == nil {
		out = os.Stderr
	}
	cfg.Logger = hclog.New(&hclog.LoggerOptions{Name: "genie", Level: level, JSONFormat: extra.logJSON, Output: out})

	if cfg.Dev && !dataDirSet {
		dir, err := os.MkdirTemp("", "genie-dev-")
		if err != nil {
			c.UI.Error(err.Error())
			return 1
		}
		cfg.DataDir = dir
		if cfg.BootstrapExpect == 0 {
			cfg.BootstrapExpect = 1
		}
	}

	if !c.secure(cfg, extra.insecure) {
		return 1
	}
	n, err := node.New(cfg)
	if err != nil {
		c.UI.Error(fmt.Sprintf("cannot start: %v", err))
		return 1
	}
	signals := c.signals
	if signals == nil {
		ch := make(chan os.Signal, 1)
		signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
		defer signal.Stop(ch)
		signals = ch
	}

	notReady := time.After(2 * time.Minute)
wait:
	for {
		select {
		case <-n.Ready():
			c.announce(cfg, n)
			break wait
		case sig := <-signals:
			if sig == syscall.SIGHUP {
				c.reload(n)
				continue
			}
			c.UI.Output(fmt.Sprintf("caught %s before the node was ready: stopping", sig))
			return c.stop(n)
		case <-notReady:
			c.UI.Warn("the node is not ready after 2 minutes: is a raft leader reachable? It keeps trying.")
		}
	}

	sig := <-signals
	for sig == syscall.SIGHUP {
		c.reload(n)
		sig = <-signals
	}
	c.UI.Output(fmt.Sprintf("caught %s: leaving the cluster (draining jobs for up to %s)", sig, cfg.DrainTimeout))
	if err := n.Leave(); err != nil {
		c.UI.Error(fmt.Sprintf("leave: %v", err))
		return 1
	}
	return 0
}

// reload re-reads what can change on a live node (SIGHUP): the TLS
// certificate files.
func (c *AgentCommand) reload(n *node.Node) {
	if err := n.ReloadTLS(); err != nil {
		c.UI.Error(fmt.Sprintf("SIGHUP: %v (the node keeps its certificates)", err))
		return
	}
	c.UI.Output("SIGHUP: reloaded")
}

func (c *AgentCommand) stop(n *node.Node) int {
	if err := n.Shutdown(); err != nil {
		c.UI.Error(fmt.Sprintf("shutdown: %v", err))
		return 1
	}
	return 0
}

func (c *AgentCommand) announce(cfg *node.Config, n *node.Node) {
	addr := n.URL()
	c.UI.Output(fmt.Sprintf("genie node %q is ready\n  API:      %s\n  data dir: %s", cfg.NodeName, addr, cfg.DataDir))
	if cfg.Dev {
		env := ""
		if addr != "http://127.0.0.1:8080" {
			env = "GENIE_ADDR=" + addr + " "
		}
		c.UI.Output(fmt.Sprintf(`
Try it:
  %sgenie jobs submit --wait -- echo hello from genie
  %sgenie jobs list
  %sgenie clusters list`, env, env, env))
	}
}
