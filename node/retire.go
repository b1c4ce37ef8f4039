package node

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"time"

	"github.com/genie-cluster/genie/archive"
	"github.com/genie-cluster/genie/fsm"
	"github.com/genie-cluster/genie/transport"
)

const (
	// retireInterval is how often the leader looks for jobs past
	// JobRetention.
	retireInterval = time.Minute
	// retirePace is how many times the time a retire entry took the leader
	// waits before the next: retiring takes at most a tenth of the log's
	// time, so submissions never queue behind it.
	retirePace = 10
	// minRetirePause is the least wait between retire entries.
	minRetirePause = 20 * time.Millisecond
)

// retireLoop, on the leader, retires the jobs that ended more than
// JobRetention ago.
func (n *Node) retireLoop(ctx context.Context) {
	defer n.wg.Done()
	if n.config.JobRetention <= 0 {
		return
	}
	interval := n.config.retireInterval
	if interval <= 0 {
		interval = retireInterval
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		n.retireOld(ctx)
		select {
		case <-ctx.Done():
			return
		case <-n.shutdownCh:
			return
		case <-tick.C:
		}
	}
}

// retireOld retires every job past the retention, in entries of at most
// fsm.MaxRetireBatch ids, paced after the time each took.
func (n *Node) retireOld(ctx context.Context) {
	for ctx.Err() == nil {
		cutoff := time.Now().Add(-n.config.JobRetention).UnixMilli()
		state := n.State()
		jobs := state.RetirableJobs(cutoff, fsm.MaxRetireBatch, func(id string) bool { return state.Node(id) != nil })
		if len(jobs) == 0 {
			return
		}
		var req fsm.JobRetireRequest
		for _, j := range jobs {
			holder, ok := n.recordHolder(ctx, j)
			if !ok {
				continue
			}
			req.IDs = append(req.IDs, j.ID)
			req.Holders = append(req.Holders, holder)
		}
		if len(req.IDs) == 0 {
			return
		}
		start := time.Now()
		res, err := n.Apply(ctx, fsm.JobRetireRequestType, &req)
		if err != nil {
			n.logger.Warn("cannot retire finished jobs", "jobs", len(req.IDs), "error", err)
			return
		}
		took := time.Since(start)
		n.metrics.jobsRetired.Add(float64(res.Assigned))
		n.logger.Debug("retired finished jobs", "jobs", res.Assigned, "took", took)
		if len(req.IDs) < len(jobs) {
			// Some records could not be archived: try them next round
			// rather than go over them again now.
			return
		}
		select {
		case <-ctx.Done():
		case <-n.shutdownCh:
			return
		case <-time.After(max(retirePace*took, minRetirePause)):
		}
	}
}

// recordHolder makes sure a job's record is in an archive before the job
// leaves the state and returns the node whose archive holds it ("" when
// no node keeps an archive). A job its runner archived with its record is
// held by its node; the record of any other (killed while queued, ended
// by the leader when its node was lost, archive failed) goes into this
// node's archive now.
func (n *Node) recordHolder(ctx context.Context, j *fsm.Job) (string, bool) {
	switch {
	case j.RecordArchived:
		return j.Node, true
	case n.archive == nil:
		return "", true
	case j.ArchiveStatus == fsm.ArchiveArchived:
		// Archived by a version that kept no record: the archive is the
		// job's output, not to be replaced by a record.
		return j.Node, true
	}
	c := *j
	c.RecordArchived = true
	b, err := fsm.EncodeJobRecord(&c)
	if err == nil {
		_, err = archive.PutRecord(ctx, n.archive, j.ID, b, n.config.JobsDir)
	}
	if err != nil {
		n.logger.Warn("cannot archive the record of a job to retire", "job", j.ID, "error", err)
		return "", false
	}
	return n.id, true
}

// RetiredJob returns the record of a job retired from the state, from the
// archive that holds it: any node's S3 archive, this node's own local
// archive, or the local archive of the node that holds it. It returns nil
// and no error for a job that was never retired.
func (n *Node) RetiredJob(ctx context.Context, id string) (*fsm.Job, error) {
	holder, retired := n.State().RetiredHolder(id)
	if !retired {
		return nil, nil
	}
	var loc string
	var b []byte
	var err error
	switch {
	case holder == "":
		return nil, fsm.Errorf(fsm.ErrCodeNotFound, "Job %s was retired from the state with no record kept: no node had an archive.", id)
	case n.config.ArchiveS3 != "" || holder == n.id:
		loc, b, err = n.LocalRecord(ctx, id)
	default:
		loc, b, err = n.peerRecord(ctx, holder, id)
	}
	if err != nil {
		return nil, err
	}
	j, err := fsm.DecodeJobRecord(b)
	if err != nil {
		return nil, fmt.Errorf("archived record of job %s at %s: %w", id, loc, err)
	}
	if j.ID != id {
		return nil, fmt.Errorf("archived record of job %s at %s is of job %s", id, loc, j.ID)
	}
	if j.ArchiveStatus == fsm.ArchiveArchived {
		j.ArchiveLocation = loc
	}
	return j, nil
}

// LocalRecord reads a retired job's record from this node's archive.
func (n *Node) LocalRecord(ctx context.Context, id string) (string, []byte, error) {
	if n.archive == nil {
		return "", nil, fsm.Errorf(fsm.ErrCodeNotFound, "Job %s was retired, and node %s keeps no archive to read its record from.", id, n.config.NodeName)
	}
	loc, b, err := archive.ReadRecord(ctx, n.archive, id)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil, fsm.Errorf(fsm.ErrCodeNotFound, "Job %s was retired and its record is no longer in the archive "+
			"(pruned after -archive-retention or by the bucket's lifecycle rules, or archived by a version that kept no record).", id)
	}
	return loc, b, err
}

// peerRecord asks the node whose local archive holds a retired job's record
// for it.
func (n *Node) peerRecord(ctx context.Context, holder, id string) (string, []byte, error) {
	m, ok := n.members.get(holder)
	if !ok || m.Status == "left" || m.Meta.API == "" {
		return "", nil, fsm.Errorf(fsm.ErrCodeNotFound, "Job %s was retired with node %s, which is no longer in the cluster: "+
			"its record was in that node's local archive. An S3 archive (-archive-s3) keeps every record whatever becomes of the nodes.", id, holderName(m, holder))
	}
	if m.Status == "dead" {
		return "", nil, &transport.UnavailableError{Reason: fmt.Sprintf("job %s's record is in the archive of node %s, which does not answer", id, m.Name), RetryAfter: 5 * time.Second}
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return transport.FetchRecord(ctx, n.internal, n.peerURL(m.Meta.API, transport.InternalRecordPath(url.PathEscape(id))), n.config.NodeName)
}

func holderName(m member, id string) string {
	if m.Name != "" {
		return m.Name
	}
	return id
}
