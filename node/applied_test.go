package node

import (
	"context"
	"testing"
	"time"
)

// A read waits for the writes this node acknowledged until they are
// applied; when the replica cannot apply them in time (cut off from the
// leader), that read goes on and later ones do not wait for them again.
func TestReadsWaitForAcknowledgedWritesOnlyOnce(t *testing.T) {
	a := newAppliedIndex()
	a.advance(5)
	a.ack(4)
	a.waitAcked(context.Background(), time.Hour) // applied already: no wait

	a.ack(7)
	done := make(chan struct{})
	go func() {
		a.waitAcked(context.Background(), time.Hour)
		close(done)
	}()
	select {
	case <-done:
		t.Fatal("a read did not wait for an acknowledged write")
	case <-time.After(50 * time.Millisecond):
	}
	a.advance(7)
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the read still waits with the write applied")
	}

	a.ack(9)
	start := time.Now()
	a.waitAcked(context.Background(), 20*time.Millisecond) // never applied: times out
	if time.Since(start) < 20*time.Millisecond {
		t.Fatal("the read did not wait for its bound")
	}
	if got := a.acked.Load(); got != 7 {
		t.Fatalf("acknowledged index %d after the timeout, want the applied 7", got)
	}
	returned := make(chan struct{})
	go func() {
		a.waitAcked(context.Background(), time.Hour)
		close(returned)
	}()
	select {
	case <-returned:
	case <-time.After(10 * time.Second):
		t.Fatal("a later read waited for what the replica could not apply")
	}
}
