package runner

import (
	"context"
	"time"

	"github.com/genie-cluster/genie/fsm"
)

const (
	retryMinBackoff = 50 * time.Millisecond
	retryMaxBackoff = 2 * time.Second
)

// report makes one Reporter call, retrying with backoff for up to
// ReportRetry. A refusal by the state machine (an *fsm.Error) is final and
// returned at once; so is the runner closing, after which nothing reports.
func (r *Runner) report(j *job, op string, call func(ctx context.Context) error) error {
	return r.retryFor(j, op, r.conf.ReportRetry, r.attempt(call))
}

// reportUntilDone is report without the time limit, for the records a job
// must get while its node lives: its end and its archive. No leader for a
// while must not leave a finished job RUNNING.
func (r *Runner) reportUntilDone(j *job, op string, call func(ctx context.Context) error) error {
	return r.retryFor(j, op, 0, r.attempt(call))
}

// attempt wraps one Reporter call in its own deadline.
func (r *Runner) attempt(call func(ctx context.Context) error) func() error {
	return func() error {
		if err := r.ctx.Err(); err != nil {
			return err
		}
		ctx, cancel := context.WithTimeout(r.ctx, r.conf.ReportTimeout)
		defer cancel()
		return call(ctx)
	}
}

// retry runs f until it succeeds, fails for good, or ReportRetry has passed.
func (r *Runner) retry(j *job, op string, f func() error) error {
	return r.retryFor(j, op, r.conf.ReportRetry, f)
}

// retryFor runs f until it succeeds, fails for good, or limit has passed
// (0: no limit).
func (r *Runner) retryFor(j *job, op string, limit time.Duration, f func() error) error {
	deadline := time.Now().Add(limit)
	backoff := retryMinBackoff
	for attempt := 1; ; attempt++ {
		err := f()
		if err == nil || fsm.CodeOf(err) != 0 || r.isClosed() {
			return err
		}
		if limit > 0 && time.Now().Add(backoff).After(deadline) {
			j.log.Error("giving up", "op", op, "attempts", attempt, "error", err)
			return err
		}
		j.log.Warn("retrying", "op", op, "attempt", attempt, "backoff", backoff, "error", err)
		t := time.NewTimer(backoff)
		select {
		case <-t.C:
		case <-r.shutdownCh:
			t.Stop()
			return r.ctx.Err()
		}
		backoff = min(2*backoff, retryMaxBackoff)
	}
}
