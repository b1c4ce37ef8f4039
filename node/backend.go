package node

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"time"

	"github.com/hashicorp/raft"

	"github.com/genie-cluster/genie/fsm"
	"github.com/genie-cluster/genie/transport"
)

var _ transport.Backend = (*Node)(nil)

// archiveRecordWait bounds how long a read of a job's output waits for the
// record of an archive the runner has just written.
const archiveRecordWait = 10 * time.Second

// JobOutput opens a job's directory: the archive once the job is archived,
// the live working directory while it runs on this node.
func (n *Node) JobOutput(ctx context.Context, j *fsm.Job) (fs.FS, error) {
	fsys, err := n.jobOutput(ctx, j)
	if !errors.Is(err, errBeingArchived) {
		return fsys, err
	}
	// The directory has gone into the archive and the runner is recording
	// where: wait for that record rather than turn the reader away.
	wait, cancel := context.WithTimeout(ctx, archiveRecordWait)
	defer cancel()
	for {
		cur, changed := n.State().WatchJob(j.ID)
		if cur == nil {
			return nil, fsm.Errorf(fsm.ErrCodeNotFound, "job %s not found", j.ID)
		}
		if cur.ArchiveStatus != fsm.ArchivePending {
			return n.jobOutput(ctx, cur)
		}
		select {
		case <-changed:
		case <-wait.Done():
			return nil, &transport.UnavailableError{Reason: "job output is being archived", RetryAfter: time.Second}
		}
	}
}

// errBeingArchived: a finished job's directory has left the jobs dir and
// its archive is not recorded yet.
var errBeingArchived = errors.New("job output is being archived")

func (n *Node) jobOutput(ctx context.Context, j *fsm.Job) (fs.FS, error) {
	if j.ArchiveStatus == fsm.ArchiveArchived && j.ArchiveLocation != "" {
		fsys, err := n.openArchive(ctx, j.ArchiveLocation)
		if err == nil {
			return fsys, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("open archive of job %s: %w", j.ID, err)
		}
	}
	if j.Node != n.id {
		return nil, n.elsewhere(j)
	}
	// The job owns its live directory: read it so that nothing it puts
	// there (a FIFO, a link, a second name of a node file) reaches root.
	fsys, err := n.runner.OpenJobDir(j.ID)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("open output of job %s: %w", j.ID, err)
		}
		if j.Status == fsm.JobAccepted {
			return nil, fsm.Errorf(fsm.ErrCodeNotFound, "job %s has not started: no output yet", j.ID)
		}
		if j.Status.Terminal() && j.ArchiveStatus == fsm.ArchivePending {
			// Between leaving the working directory and being recorded as
			// archived.
			return nil, errBeingArchived
		}
		return nil, fsm.Errorf(fsm.ErrCodeNotFound, "job %s has no output directory", j.ID)
	}
	return fsys, nil
}

// elsewhere names the node that runs j, for the API to send the request
// there; a node gossip no longer knows cannot be asked.
func (n *Node) elsewhere(j *fsm.Job) error {
	m, ok := n.members.get(j.Node)
	if !ok || m.Status == "left" || m.Meta.API == "" {
		return fsm.Errorf(fsm.ErrCodeNotFound, "job %s ran on node %s, which is no longer in the cluster", j.ID, j.NodeName)
	}
	if m.Status == "dead" {
		return &transport.UnavailableError{Reason: fmt.Sprintf("job %s runs on node %s, which does not answer", j.ID, j.NodeName), RetryAfter: 5 * time.Second}
	}
	return &transport.ElsewhereError{Node: m.Name, Addr: m.Meta.API}
}

// Health is nil when the node can serve: started and in touch with a leader.
func (n *Node) Health() error {
	select {
	case <-n.shutdownCh:
		return errShuttingDown
	default:
	}
	if addr, _ := n.raft.LeaderWithID(); addr == "" {
		return errors.New("no raft leader")
	}
	select {
	case <-n.ready:
		return nil
	default:
		return errors.New("node is starting")
	}
}

// Leader returns the raft leader's address and id.
func (n *Node) Leader() (string, string) {
	addr, id := n.raft.LeaderWithID()
	return string(addr), string(id)
}

// LastContact is how long ago this node last heard from the leader; zero
// on the leader.
func (n *Node) LastContact() time.Duration {
	if n.raft.State() == raft.Leader {
		return 0
	}
	// Never heard from a leader: as stale as can be, as Consul says it.
	return time.Since(n.raft.LastContact())
}

// Metrics serves the node's Prometheus metrics.
func (n *Node) Metrics() http.Handler { return n.metrics.handler() }

// IsLeader reports whether this node leads the raft group.
func (n *Node) IsLeader() bool { return n.raft.State() == raft.Leader }
