package main

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/genie-cluster/genie/api"
)

// Polling backs off from pollMin to pollMax while nothing changes.
const (
	pollMin = 50 * time.Millisecond
	pollMax = time.Second
	// pollErrors is how many failed polls in a row end a wait: enough to
	// ride out a leader election or a node restart.
	pollErrors = 10
)

// backoff is a polling delay that doubles up to pollMax.
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

// transient reports whether a failed poll is worth repeating: the server
// could not be reached or answered 5xx.
func transient(err error) bool {
	var se *api.StatusError
	if errors.As(err, &se) {
		return se.Code >= http.StatusInternalServerError
	}
	return !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded)
}

// waitForJob polls the job's status until it is terminal, calling onChange
// with the job each time its status changes, and returns the final job.
func waitForJob(ctx context.Context, c *api.Client, id string, onChange func(*api.Job)) (*api.Job, error) {
	var (
		b      backoff
		last   api.JobStatus
		failed int
	)
	for {
		job, err := pollJob(ctx, c, id, last)
		switch {
		case err != nil && transient(err) && failed < pollErrors:
			failed++
		case err != nil:
			return nil, err
		case job != nil:
			failed = 0
			if job.Status != last {
				last = job.Status
				onChange(job)
				b.reset()
			}
			if job.Status.Terminal() {
				return job, nil
			}
		default:
			failed = 0
		}
		if err := b.sleep(ctx); err != nil {
			return nil, err
		}
	}
}

// pollJob reads the job's status and, when it differs from last, the whole
// job (whose status may be newer still). It returns nil when nothing changed.
func pollJob(ctx context.Context, c *api.Client, id string, last api.JobStatus) (*api.Job, error) {
	status, err := c.Jobs().Status(ctx, id)
	if err != nil || status == last {
		return nil, err
	}
	return c.Jobs().Get(ctx, id)
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
