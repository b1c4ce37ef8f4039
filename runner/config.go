package runner

import (
	"errors"
	"fmt"
	"time"

	"github.com/genie-cluster/genie/archive"
	"github.com/genie-cluster/genie/blob"
	"github.com/genie-cluster/genie/fsm"
	"github.com/hashicorp/go-hclog"
)

// Config tells a Runner where and how to run jobs.
type Config struct {
	// JobsDir holds the working directories: <JobsDir>/<job id>/.
	JobsDir string
	// NodeName is exported to jobs as GENIE_HOST_NAME.
	NodeName string
	// Shell runs the generated run script.
	Shell string
	// JobUser is the OS account jobs run as (a node running as root sets
	// "nobody"); "" runs them as the node's own account. Running them as
	// another account needs root: New refuses it otherwise (CanSwitchUsers).
	// Each job then gets a uid of its own from JobUIDs, with the account's
	// name and group: jobs sharing a uid could read and signal each other.
	JobUser string
	// JobUIDs is where the uids of JobUser's jobs come from (DefaultJobUIDs).
	// A uid an account or a running process has is passed over.
	JobUIDs UIDRange
	// RunAsJobUser runs each job as the OS account named like the job's
	// user (Genie's runAsUser) instead of JobUser. A job whose account does
	// not exist, or is root, fails at INIT. Needs root.
	RunAsJobUser bool
	// AttachmentsDir holds the files sent with jobs, in <AttachmentsDir>/<job
	// id>/. A job's own attachments are staged with the node's rights; any
	// other local file a job's request names is read with the job user's,
	// so a job cannot have the node copy in what only the node may read.
	AttachmentsDir string
	// ArchiveS3 is where the node archives on S3 (s3://bucket/prefix), if
	// it does: the s3 fetcher reads with the node's credentials, so a job's
	// request may not name anything there but its own attachments.
	ArchiveS3 string
	// JobEnv is added to every job's environment, which holds nothing of
	// the node's own but PATH, LANG and TZ (JobEnv may override them).
	JobEnv map[string]string
	// KillGrace is how long a job's processes get between SIGTERM and SIGKILL.
	KillGrace time.Duration
	// MaxJobOutput is the most bytes a job's stdout or stderr may hold: a
	// job that writes past it is killed, as Genie kills one, before it
	// fills the node's disk. 0 means no limit.
	MaxJobOutput int64
	// OutputCheckInterval is how often a running job's output is measured
	// against MaxJobOutput.
	OutputCheckInterval time.Duration
	// Archive receives finished job directories; nil disables archiving and
	// keeps working directories where they are.
	Archive archive.Store
	// Fetchers stage files by URI scheme; "" is a plain absolute path.
	Fetchers map[string]Fetcher
	// FetchParallelism bounds the files of one job fetched at once.
	FetchParallelism int
	// ReportTimeout bounds one Reporter call.
	ReportTimeout time.Duration
	// ReportRetry is how long a failing Reporter call (or archive) is
	// retried before the runner gives up on it.
	ReportRetry time.Duration
	// RunningAfter is how long a job's process runs before its RUNNING is
	// recorded. A job that ends sooner (most short jobs) has its start
	// recorded with its end: one raft commit fewer. 0 records it at once.
	RunningAfter time.Duration
	Logger       hclog.Logger
	// Now is the clock; tests may replace it.
	Now func() time.Time
	// OnFinish, when set, is called once for every job Start or Recover
	// tracked, when the runner lets go of it, so the node can free the job's
	// slot. status is the terminal status the runner recorded, or "" when the
	// job was moved or ended elsewhere or its end could not be recorded.
	// It is not called for jobs still running when the runner is closed.
	OnFinish func(jobID string, status fsm.JobStatus)
}

// DefaultConfig returns a configuration with every field but JobsDir set.
func DefaultConfig() *Config {
	return &Config{
		Shell:     "/bin/sh",
		JobUIDs:   DefaultJobUIDs(),
		KillGrace: 10 * time.Second,
		// Genie's limit.
		MaxJobOutput:        8 << 30,
		OutputCheckInterval: 2 * time.Second,
		Fetchers: map[string]Fetcher{
			"":      FileFetcher{},
			"file":  FileFetcher{},
			"http":  NewHTTPFetcher(),
			"https": NewHTTPFetcher(),
		},
		FetchParallelism: 8,
		ReportTimeout:    10 * time.Second,
		ReportRetry:      30 * time.Second,
		RunningAfter:     50 * time.Millisecond,
		Logger:           hclog.New(&hclog.LoggerOptions{Name: "runner"}),
		Now:              time.Now,
	}
}

// Validate reports the first field that cannot work.
func (c *Config) Validate() error {
	switch {
	case c.JobsDir == "":
		return errors.New("runner: JobsDir must be set")
	case c.Shell == "":
		return errors.New("runner: Shell must be set")
	case c.MaxJobOutput < 0:
		return errors.New("runner: MaxJobOutput must be 0 (no limit) or more")
	case c.MaxJobOutput > 0 && c.OutputCheckInterval <= 0:
		return errors.New("runner: OutputCheckInterval must be positive with a MaxJobOutput")
	case c.KillGrace <= 0:
		return errors.New("runner: KillGrace must be positive")
	case c.FetchParallelism < 1:
		return errors.New("runner: FetchParallelism must be at least 1")
	case c.ReportTimeout <= 0:
		return errors.New("runner: ReportTimeout must be positive")
	case c.ReportRetry < 0:
		return errors.New("runner: ReportRetry must not be negative")
	case c.RunningAfter < 0:
		return errors.New("runner: RunningAfter must not be negative")
	case c.Logger == nil:
		return errors.New("runner: Logger must be set")
	case c.Now == nil:
		return errors.New("runner: Now must be set")
	}
	if err := c.JobUIDs.Validate(); err != nil {
		return fmt.Errorf("runner: JobUIDs %d+%d: %w", c.JobUIDs.First, c.JobUIDs.Count, err)
	}
	if c.ArchiveS3 != "" {
		if _, err := blob.ParseURI(c.ArchiveS3); err != nil {
			return fmt.Errorf("runner: ArchiveS3: %w", err)
		}
	}
	return validateJobEnv(c.JobEnv)
}
