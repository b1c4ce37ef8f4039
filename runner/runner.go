// Package runner runs jobs on this node: claim, stage, run, record, archive.
package runner

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"sync"

	"github.com/genie-cluster/genie/fsm"
	"github.com/hashicorp/go-hclog"
)

// Spec is everything needed to run one job, resolved from the replicated state.
type Spec struct {
	Job          *fsm.Job // treat as read-only
	Cluster      *fsm.Cluster
	Command      *fsm.Command
	Applications []*fsm.Application // in order
}

// Reporter records a job's progress through the replicated log (the node
// implements it with raft applies). Transition returns an *fsm.Error with
// Code fsm.ErrCodeStatus when the job is no longer in one of req.From.
type Reporter interface {
	Transition(ctx context.Context, req fsm.JobTransitionRequest) error
	Archived(ctx context.Context, req fsm.JobArchiveRequest) error
	// Record returns the job's committed record once it is finished, for
	// the archive to keep.
	Record(ctx context.Context, id string) (*fsm.Job, error)
}

var (
	// ErrUnknownJob is returned by Kill for a job this runner does not track.
	ErrUnknownJob = errors.New("job not running on this node")
	// ErrClosed is returned by Kill after Close.
	ErrClosed = errors.New("runner closed")
)

// Runner runs jobs as local process groups and reports their progress.
type Runner struct {
	conf    *Config
	rep     Reporter
	logger  hclog.Logger
	jobsDir string
	// inherited is what jobs take from the node's environment.
	inherited inheritedEnv
	// selfName is the node's own account, the USER of jobs that run as it.
	selfName string
	// switching is set when jobs may run as another account than the node's.
	switching bool
	// uids hands out the uids of JobUser's jobs; nil when jobs do not run
	// as JobUser.
	uids *uidPool
	// archiveArea is the node's S3 archive, which jobs may not stage from.
	archiveArea *archiveArea

	// ctx is cancelled by Close: it bounds every report and staging.
	ctx        context.Context
	cancel     context.CancelFunc
	shutdownCh <-chan struct{}
	// wg counts the runner's own goroutines, not those waiting on processes.
	wg sync.WaitGroup

	mu     sync.Mutex
	jobs   map[string]*job
	closed bool
}

// New returns a runner; it creates JobsDir if needed. It fails when the
// configured job user cannot be used (see CanSwitchUsers).
func New(cfg *Config, rep Reporter) (*Runner, error) {
	if cfg == nil {
		return nil, errors.New("runner: config must be set")
	}
	if rep == nil {
		return nil, errors.New("runner: reporter must be set")
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	switching, err := checkJobUsers(cfg)
	if err != nil {
		return nil, err
	}
	conf := *cfg
	conf.JobEnv = maps.Clone(cfg.JobEnv)
	dir, err := filepath.Abs(conf.JobsDir)
	if err != nil {
		return nil, fmt.Errorf("runner: JobsDir: %w", err)
	}
	if conf.AttachmentsDir != "" {
		if conf.AttachmentsDir, err = filepath.Abs(conf.AttachmentsDir); err != nil {
			return nil, fmt.Errorf("runner: AttachmentsDir: %w", err)
		}
	}
	area, err := newArchiveArea(conf.ArchiveS3)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &Runner{
		conf:        &conf,
		rep:         rep,
		logger:      conf.Logger,
		jobsDir:     dir,
		inherited:   readInheritedEnv(),
		selfName:    selfName(),
		switching:   switching,
		archiveArea: area,
		ctx:         ctx,
		cancel:      cancel,
		shutdownCh:  ctx.Done(),
		jobs:        make(map[string]*job),
	}
	if switching && !conf.RunAsJobUser {
		r.uids = newUIDPool(conf.JobUIDs)
	}
	if err := prepareJobsDir(dir, switching); err != nil {
		cancel()
		return nil, err
	}
	return r, nil
}

// Start runs a job recorded ACCEPTED for this node. It returns at once; the
// job is claimed (ACCEPTED→INIT), staged, started, waited for, recorded and
// archived in the background.
func (r *Runner) Start(spec Spec) {
	if spec.Job == nil {
		r.logger.Error("start without a job")
		return
	}
	// Tracked before the claim, so a kill that arrives during the claim
	// finds the job.
	j := r.track(spec)
	if j == nil {
		return
	}
	if !r.goFunc(func() { r.run(j) }) {
		r.untrack(j)
	}
}

// Kill ends a job this runner tracks: staging is cancelled, or the job's
// process group gets SIGTERM and, after KillGrace, SIGKILL. reason becomes
// the job's status message. Kill returns at once; KILLED is recorded once
// no process of the job is left.
func (r *Runner) Kill(id, reason string) error {
	r.mu.Lock()
	j, closed := r.jobs[id], r.closed
	r.mu.Unlock()
	if closed {
		return ErrClosed
	}
	if j == nil {
		return ErrUnknownJob
	}
	if reason == "" {
		reason = fsm.MsgKilledByUser
	}
	r.kill(j, reason)
	return nil
}

// Active is the number of jobs tracked now.
func (r *Runner) Active() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.jobs)
}

// JobDir is the working directory of job id.
func (r *Runner) JobDir(id string) string {
	return filepath.Join(r.jobsDir, id)
}

// Close stops reporting and timers and waits for the runner's own
// goroutines. Job processes keep running: the next runner re-attaches them
// with Recover.
func (r *Runner) Close() {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return
	}
	r.closed = true
	jobs := make([]*job, 0, len(r.jobs))
	for _, j := range r.jobs {
		jobs = append(jobs, j)
	}
	r.mu.Unlock()
	r.cancel()
	for _, j := range jobs {
		j.stopTimer()
	}
	r.wg.Wait()
}

// track registers a job, or returns nil when it is already tracked or the
// runner is closed.
func (r *Runner) track(spec Spec) *job {
	id := spec.Job.ID
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		r.logger.Warn("job not started: runner closed", "job", id)
		return nil
	}
	if _, ok := r.jobs[id]; ok {
		r.logger.Warn("job already tracked", "job", id)
		return nil
	}
	j := newJob(r.ctx, spec, r.jobDirFor(id), r.logger.With("job", id))
	r.jobs[id] = j
	return j
}

func (r *Runner) untrack(j *job) {
	r.mu.Lock()
	if r.jobs[j.id] == j {
		delete(r.jobs, j.id)
	}
	r.mu.Unlock()
}

// release lets go of a job and tells the node its slot is free.
func (r *Runner) release(j *job, status fsm.JobStatus) {
	r.untrack(j)
	j.cancel()
	if r.conf.OnFinish != nil {
		r.conf.OnFinish(j.id, status)
	}
}

// goFunc runs f as one of the runner's own goroutines, unless closed.
func (r *Runner) goFunc(f func()) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return false
	}
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		f()
	}()
	return true
}

func (r *Runner) isClosed() bool {
	return r.ctx.Err() != nil
}

func (r *Runner) nowMillis() int64 {
	return r.conf.Now().UnixMilli()
}
