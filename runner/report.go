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
	return r.retry(j, op, func() error {
		if err := r.ctx.Err(); err != nil {
			return err
		}
		ctx, cancel := context.WithTimeout(r.ctx, r.conf.ReportTimeout)
		defer cancel()
		return call(ctx)
	})
}

// retry runs f until it succeeds, fails for good, or ReportRetry has passed.
func (r *Runner) retry(j *job, op string, f func() error) error {
	deadline := time.Now().Add(r.conf.ReportRetry)
	backoff := retryMinBackoff
	for attempt := 1; ; attempt++ {
		err := f()
		if err == nil || fsm.CodeOf(err) != 0 || r.isClosed() {
			return err
		}
		if time.Now().Add(backoff).After(deadline) {
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
