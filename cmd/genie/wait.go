package main

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/genie-cluster/genie/api"
)

// Retries after errors back off from pollMin to pollMax.
const (
	pollMin = 50 * time.Millisecond
	pollMax = time.Second
	// pollErrors is how many failed reads in a row end a wait: enough to
	// ride out a leader election or a node restart.
	pollErrors = 10
)

// backoff is a retry delay that doubles up to pollMax.
type backoff struct {
	next time.Duration
}

func (b *backoff) reset() { b.next = pollMin }

// sleep waits for the next delay, or until ctx is done.
func (b *backoff) sleep(ctx context.Context) error {
	if b.next == 0 {
		b.next = pollMin
	}
	t := time.NewTimer(b.next)
	defer t.Stop()
	b.next = min(2*b.next, pollMax)
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// transient reports whether a failed read is worth repeating: the server
// could not be reached or answered 5xx.
func transient(err error) bool {
	var se *api.StatusError
	if errors.As(err, &se) {
		return se.Code >= http.StatusInternalServerError
	}
	return !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded)
}

// blockingWait bounds each blocking query: long enough that a waiting CLI
// sends a request a minute, short enough that no proxy in between drops
// the idle connection.
const blockingWait = time.Minute

// waitForJob follows the job's status with blocking queries until it is
// terminal, calling onChange with the job each time its status changes,
// and returns the final job.
func waitForJob(ctx context.Context, c *api.Client, id string, onChange func(*api.Job)) (*api.Job, error) {
	var (
		b      backoff
		last   api.JobStatus
		index  uint64
		failed int
	)
	for {
		status, meta, err := c.Jobs().StatusAfter(ctx, id, index, blockingWait)
		var job *api.Job
		if err == nil && status != last {
			// The whole job, whose status may be newer still.
			job, err = c.Jobs().Get(ctx, id)
		}
		switch {
		case err != nil && transient(err) && failed < pollErrors:
			failed++
			if err := b.sleep(ctx); err != nil {
				return nil, err
			}
			continue
		case err != nil:
			return nil, err
		}
		failed = 0
		b.reset()
		if job != nil && job.Status != last {
			last = job.Status
			onChange(job)
			if job.Status.Terminal() {
				return job, nil
			}
		}
		if meta.LastIndex == 0 {
			// The server does not block: poll instead.
			if err := b.sleep(ctx); err != nil {
				return nil, err
			}
		}
		index = meta.LastIndex
	}
}

// exitCodeOf returns the exit code genie reports for a finished job: 0 only
// when it succeeded, 2 when it was invalid, else its process's exit code
// when that is a failing code a shell can carry (1-255), else 1.
func exitCodeOf(ctx context.Context, c *api.Client, job *api.Job) int {
	switch job.Status {
	case api.JobStatusSucceeded:
		return 0
	case api.JobStatusInvalid:
		return 2
	}
	exec, err := c.Jobs().Execution(ctx, job.ID)
	if err != nil || exec.ExitCode == nil {
		return 1
	}
	if code := *exec.ExitCode; code > 0 && code < 256 {
		return code
	}
	return 1
}
