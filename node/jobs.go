package node

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/google/uuid"
	"github.com/hashicorp/raft"

	"github.com/genie-cluster/genie/fsm"
	"github.com/genie-cluster/genie/runner"
	"github.com/genie-cluster/genie/transport"
)

// SubmitJob records a client's job: it resolves the request, chooses a
// node with room (the power of two choices over the replicated load) and
// sends the submission to the leader in one hop. The state machine checks
// the choice against the state it commits to: the job is placed there, on
// another node with room, or queued until capacity frees. It is committed
// ACCEPTED (or INVALID when it can never run) before this returns; the
// chosen node's runner picks it up from the log.
func (n *Node) SubmitJob(ctx context.Context, sub *transport.Submission) (*fsm.ApplyResult, error) {
	if err := n.checkReady(); err != nil {
		return nil, err
	}
	start := time.Now()
	res, err := n.submitJob(ctx, sub)
	n.metrics.observeSubmit(start, err)
	return res, err
}

func (n *Node) checkReady() error {
	select {
	case <-n.ready:
	default:
		return &transport.UnavailableError{Reason: "node is starting", RetryAfter: time.Second}
	}
	return nil
}

func (n *Node) submitJob(ctx context.Context, sub *transport.Submission) (*fsm.ApplyResult, error) {
	req := sub.Request
	id := req.ID
	if id == "" {
		id = uuid.NewString()
	}
	state := n.State()

	// A repeated client id is answered from the record, without resolving
	// again: the registry may have changed since.
	if existing := state.Job(id); existing != nil {
		if existing.RequestHash == sub.RequestHash {
			return &fsm.ApplyResult{Index: existing.ModifyIndex, Job: existing, Existing: true}, nil
		}
		return nil, fsm.Errorf(fsm.ErrCodeConflict, "a different job with id %s already exists", id)
	}

	res, err := state.Resolve(&req)
	if err != nil && n.raft.State() != raft.Leader {
		// The cluster or command may have been registered through another
		// node a moment ago, in a write this replica has yet to apply:
		// catch up with the leader and resolve again before refusing.
		if n.ReadBarrier(ctx) == nil {
			state = n.State()
			res, err = state.Resolve(&req)
		}
	}
	if err != nil {
		return nil, err
	}
	cluster := n.selector.Select(res.Clusters, state)

	now := time.Now().UnixMilli()
	job := fsm.Job{
		ID:            id,
		Request:       req,
		RequestHash:   sub.RequestHash,
		Status:        fsm.JobAccepted,
		ClusterID:     cluster.ID,
		ClusterName:   cluster.Name,
		CommandID:     res.Command.ID,
		CommandName:   res.Command.Name,
		Memory:        n.jobMemory(&req, res.Command),
		Timeout:       n.jobTimeout(&req),
		Created:       now,
		Updated:       now,
		ArchiveStatus: fsm.ArchivePending,
		ClientHost:    sub.ClientHost,
		UserAgent:     sub.UserAgent,
		Attachments:   sub.Attachments,
	}
	job.AttachmentBytes = sub.AttachmentBytes
	for _, a := range res.Applications {
		job.Applications = append(job.Applications, a.ID)
	}

	if largest := n.largestNodeMemory(state); job.Memory > largest {
		job.Status = fsm.JobInvalid
		job.StatusMsg = fmt.Sprintf("%s (%d MB requested, at most %d MB)", fsm.MsgTooMuchMemory, job.Memory, largest)
		job.ArchiveStatus = fsm.ArchiveNoFiles
		return n.Apply(ctx, fsm.JobSubmitRequestType, &fsm.JobSubmitRequest{Job: job})
	}

	if sub.Pinned {
		// Its attachments are in this node's own storage.
		job.PinnedNode = n.id
	}
	job.Node = n.chooseNode(state, job.Memory)
	n.inflight.add(job.Node, 1)
	defer n.inflight.add(job.Node, -1)
	// The answer goes out once the leader committed the job; the client's
	// next request here waits for this replica to have it (ReadOwnWrites).
	result, err := n.applyNoWait(ctx, fsm.JobSubmitRequestType, &fsm.JobSubmitRequest{
		Job: job, Place: true, MaxQueued: n.config.MaxQueued,
	})
	if err == nil {
		n.applied.ack(result.Index)
		if result.Job == nil {
			// A batch's answers leave out the record the leader made of
			// this job: the API needs no more than its id.
			result.Job = &job
		}
	}
	if fsm.CodeOf(err) == fsm.ErrCodeQueueFull {
		return nil, &transport.UnavailableError{Reason: err.Error(), RetryAfter: 5 * time.Second}
	}
	return result, err
}

func (n *Node) jobMemory(req *fsm.JobRequest, cmd *fsm.Command) int {
	switch {
	case req.Memory > 0:
		return req.Memory
	case cmd.Memory > 0:
		return cmd.Memory
	}
	return n.config.DefaultJobMemory
}

func (n *Node) jobTimeout(req *fsm.JobRequest) int {
	if req.Timeout > 0 {
		return req.Timeout
	}
	return int(n.config.DefaultTimeout / time.Second)
}

// KillJob ends a job: a job queued or not yet claimed by a runner is ended
// at once through raft; one that is being set up or runs is killed by its
// runner.
// Killing a finished job does nothing.
func (n *Node) KillJob(ctx context.Context, id string) error {
	for {
		j := n.State().Job(id)
		if j == nil {
			return fsm.Errorf(fsm.ErrCodeNotFound, "no job with id %s", id)
		}
		if j.Status.Terminal() {
			return nil
		}
		switch {
		case j.Node == "":
			// Queued: it ends here and then, and never starts.
		case j.Node != n.id:
			return n.elsewhere(j)
		default:
			err := n.runner.Kill(id, fsm.MsgKilledByUser)
			if err == nil {
				return nil
			}
			if !errors.Is(err, runner.ErrUnknownJob) {
				return err
			}
		}
		if j.Status == fsm.JobAccepted {
			code := fsm.ExitCodeKilled
			_, err := n.Apply(ctx, fsm.JobTransitionRequestType, &fsm.JobTransitionRequest{
				ID: id, From: []fsm.JobStatus{fsm.JobAccepted}, To: fsm.JobKilled,
				StatusMsg: fsm.MsgKilledByUser, ExitCode: &code, Time: time.Now().UnixMilli(),
				ArchiveStatus: fsm.ArchiveNoFiles,
			})
			if fsm.CodeOf(err) != fsm.ErrCodeStatus {
				return err
			}
		}
		// The job moved between the look-up and the kill (claimed, or being
		// re-attached): look again shortly.
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// onJobChange runs in the FSM's apply goroutine for every committed job
// change: it hands new jobs of this node to the dispatcher, tells the
// leader's scheduler when the queue or the room changed, and stops what is
// left of a job the leader declared lost while this node was unreachable.
// It must not block.
func (n *Node) onJobChange(j, prev *fsm.Job) {
	n.metrics.jobChanged(j, prev)
	if j.Queued() || (prev != nil && !prev.Status.Terminal() && (j.Status.Terminal() || j.Node != prev.Node)) {
		n.kickScheduler()
	}
	if prev != nil && prev.Node == n.id && j.Node != n.id {
		n.dispatched.Delete(j.ID)
		return
	}
	if j.Node != n.id {
		return
	}
	switch {
	case j.Status == fsm.JobAccepted:
		n.queue.push(j.ID)
	case j.Status.Terminal() && (prev == nil || !prev.Status.Terminal()):
		n.dispatched.Delete(j.ID)
		if declaredLost(j) {
			// Kill returns at once; a job this runner does not hold has
			// nothing running here.
			_ = n.runner.Kill(j.ID, fsm.MsgNodeLost)
		}
	}
}

// onRestore runs after a snapshot replaced the state: jobs of this node may
// have appeared or ended, so take stock again.
func (n *Node) onRestore() {
	n.kickScheduler()
	select {
	case <-n.ready:
		n.queue.push(reconcileMarker)
	default:
		// takeCharge has not run yet and will see the restored state.
	}
}

// errShuttingDown answers requests caught by a shutdown: 503, so clients
// retry on another node.
var errShuttingDown error = &transport.UnavailableError{Reason: "node is shutting down", RetryAfter: time.Second}

// reconcileMarker in the queue asks the dispatcher to take stock of every
// job of this node, as after a snapshot restore.
const reconcileMarker = ""

// takeCharge waits until the local replica has caught up with the log,
// then takes charge of this node's unfinished jobs: re-attaches to those
// that ran before a restart and starts those still ACCEPTED.
func (n *Node) takeCharge() {
	defer n.wg.Done()
	if err := n.waitCaughtUp(); err != nil {
		return
	}
	n.reconcileJobs(true)
	n.reapLeftovers()
	if err := n.waitRegistered(); err != nil {
		return
	}
	if n.config.Dev && n.raft.State() == raft.Leader {
		n.seedDev()
	}
	close(n.ready)
	n.logger.Info("node ready")
}

func (n *Node) reconcileJobs(recover bool) {
	state := n.State()
	for _, j := range state.ActiveJobsOnNode(n.id) {
		switch j.Status {
		case fsm.JobAccepted:
			n.queue.push(j.ID)
		case fsm.JobInit, fsm.JobRunning:
			if recover {
				spec, err := n.spec(state, j)
				if err != nil {
					n.logger.Error("cannot recover job", "job", j.ID, "error", err)
					continue
				}
				n.logger.Info("recovering job", "job", j.ID, "status", j.Status)
				n.runner.Recover(spec)
			}
		}
	}
}

// reapLeftovers looks through the jobs dir for finished jobs this node
// still holds a directory of: those the leader declared lost while the node
// was away have their processes stopped, and any finished job whose archive
// is pending (the node stopped between the end and the archive) is
// archived. A job's directory leaves the jobs dir when it is archived, so
// the look is short.
func (n *Node) reapLeftovers() {
	entries, err := os.ReadDir(n.config.JobsDir)
	if err != nil {
		n.logger.Warn("cannot list the jobs dir", "error", err)
		return
	}
	state := n.State()
	for _, e := range entries {
		j := state.Job(e.Name())
		if !e.IsDir() || j == nil || j.Node != n.id || !j.Status.Terminal() {
			continue
		}
		spec := runner.Spec{Job: j, Cluster: state.Cluster(j.ClusterID), Command: state.Command(j.CommandID)}
		switch {
		case declaredLost(j) && j.ArchiveStatus != fsm.ArchiveArchived:
			n.runner.Reap(spec)
		case j.ArchiveStatus == fsm.ArchivePending:
			n.runner.Recover(spec)
		}
	}
}

// waitCaughtUp blocks until a leader is known and this replica has applied
// everything committed before now (a read barrier). It runs once at
// start-up, so a short re-check interval costs nothing.
func (n *Node) waitCaughtUp() error {
	for {
		if addr, _ := n.raft.LeaderWithID(); addr != "" {
			ctx, cancel := context.WithTimeout(context.Background(), n.config.ApplyTimeout)
			err := n.ReadBarrier(ctx)
			cancel()
			if err == nil {
				return nil
			}
		}
		select {
		case <-n.shutdownCh:
			return errShuttingDown
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// dispatchLoop starts the runner on every ACCEPTED job of this node.
func (n *Node) dispatchLoop() {
	defer n.wg.Done()
	select {
	case <-n.ready:
	case <-n.shutdownCh:
		return
	}
	for {
		ids, ok := n.queue.pop(n.shutdownCh)
		if !ok {
			return
		}
		if n.holdRunner.Load() {
			continue
		}
		state := n.State()
		for _, id := range ids {
			if id == reconcileMarker {
				n.reconcileJobs(false)
				continue
			}
			j := state.Job(id)
			if j == nil || j.Node != n.id || j.Status != fsm.JobAccepted {
				continue
			}
			// The same id may be queued twice (a replayed entry and a
			// reconcile); the runner must see it once.
			if _, dup := n.dispatched.LoadOrStore(id, struct{}{}); dup {
				continue
			}
			if reason := n.diskLowReason(); reason != "" {
				// Placed before the cluster learned this node is short of
				// disk: the job would fail staging here, so it goes back
				// to the queue for a node with room.
				n.dispatched.Delete(id)
				n.requeueForDisk(context.Background(), j, reason)
				continue
			}
			spec, err := n.spec(state, j)
			if err != nil {
				n.failUnstartable(j, err)
				continue
			}
			n.runner.Start(spec)
		}
	}
}

// spec gathers what the runner needs for j from the state.
func (n *Node) spec(state *fsm.State, j *fsm.Job) (runner.Spec, error) {
	spec := runner.Spec{Job: j, Cluster: state.Cluster(j.ClusterID), Command: state.Command(j.CommandID)}
	if spec.Cluster == nil {
		return spec, fmt.Errorf("cluster %s no longer exists", j.ClusterID)
	}
	if spec.Command == nil {
		return spec, fmt.Errorf("command %s no longer exists", j.CommandID)
	}
	for _, id := range j.Applications {
		app := state.Application(id)
		if app == nil {
			return spec, fmt.Errorf("application %s no longer exists", id)
		}
		spec.Applications = append(spec.Applications, app)
	}
	return spec, nil
}

// requeueForDisk sends an accepted job of a node short of disk back to the
// queue, where the leader places it on a node with room (a pinned job
// waits for its node).
func (n *Node) requeueForDisk(ctx context.Context, j *fsm.Job, reason string) {
	ctx, cancel := context.WithTimeout(ctx, n.config.ApplyTimeout)
	defer cancel()
	_, err := n.Apply(ctx, fsm.JobReassignRequestType, &fsm.JobReassignRequest{
		ID: j.ID, FromNode: j.Node, StatusMsg: fsm.MsgQueued, Time: time.Now().UnixMilli(),
	})
	switch {
	case err == nil:
		n.logger.Info("sent a job back to the queue", "job", j.ID, "reason", reason)
	case fsm.CodeOf(err) != fsm.ErrCodeStatus:
		n.logger.Error("cannot send a job back to the queue", "job", j.ID, "error", err)
	}
}

// failUnstartable ends a job whose resources vanished before it started.
func (n *Node) failUnstartable(j *fsm.Job, cause error) {
	ctx, cancel := context.WithTimeout(context.Background(), n.config.ApplyTimeout)
	defer cancel()
	_, err := n.Apply(ctx, fsm.JobTransitionRequestType, &fsm.JobTransitionRequest{
		ID: j.ID, From: []fsm.JobStatus{fsm.JobAccepted}, To: fsm.JobFailed,
		StatusMsg: "Job could not start: " + cause.Error(), Time: time.Now().UnixMilli(),
		ArchiveStatus: fsm.ArchiveNoFiles,
	})
	if err != nil && fsm.CodeOf(err) != fsm.ErrCodeStatus {
		n.logger.Error("cannot fail unstartable job", "job", j.ID, "error", err)
	}
}
