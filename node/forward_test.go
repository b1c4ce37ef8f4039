package node

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/genie-cluster/genie/api"
	"github.com/genie-cluster/genie/fsm"
	"github.com/genie-cluster/genie/transport"
)

// heldClusterFollower starts three nodes with room for many jobs, their
// runners held, mutate applied to each, registers the shell command and
// returns a follower that has it.
func heldClusterFollower(t *testing.T, mutate func(cfg *Config)) *Node {
	t.Helper()
	c := MakeCluster(t, 3, func(_ int, cfg *Config) {
		cfg.MaxJobs = 1000
		mutate(cfg)
	})
	for _, n := range c.Nodes {
		n.holdRunner.Store(true)
	}
	register(t, client(t, c.WaitForLeader()))
	follower := c.Followers()[0]
	waitFor(t, 10*time.Second, "the registry on "+follower.Name(), func() bool { return follower.State().Command("sh") != nil })
	return follower
}

// Submissions arriving together at a follower travel to the leader
// together, fewer calls than entries, and each gets its own answer: of two
// submissions of one id with different requests, one is accepted and the
// other refused. A client reads its job back on the follower the moment it
// has its answer, though the answer did not wait for the follower's
// replica.
func TestFollowerForwardsSubmissionsTogetherAndEachGetsItsAnswer(t *testing.T) {
	follower := heldClusterFollower(t, func(cfg *Config) {})
	fc := client(t, follower)
	callsBefore := metricValue(t, follower, "genie_forward_calls_total")
	entriesBefore := metricValue(t, follower, "genie_forwarded_entries_total")

	const pairs = 40
	start := make(chan struct{})
	var wg sync.WaitGroup
	accepted := make([]int, pairs)
	var mu sync.Mutex
	for i := 0; i < 2*pairs; i++ {
		wg.Add(1)
		go func(pair, variant int) {
			defer wg.Done()
			req := shellJob(fmt.Sprintf("echo variant %d", variant))
			req.ID = fmt.Sprintf("pair-%d", pair)
			<-start
			id, err := fc.Jobs().Submit(context.Background(), req)
			var se *api.StatusError
			switch {
			case err == nil:
				// The very next request on this node sees the job.
				j, err := fc.Jobs().Get(context.Background(), id)
				if err != nil {
					t.Errorf("job %s read back on %s after its answer: %v", id, follower.Name(), err)
					return
				}
				if want := fmt.Sprintf("echo variant %d", variant); j.CommandArgs != want {
					t.Errorf("job %s holds %q, accepted with %q", id, j.CommandArgs, want)
				}
				mu.Lock()
				accepted[pair]++
				mu.Unlock()
			case errors.As(err, &se) && se.Code == http.StatusConflict:
			default:
				t.Errorf("submission %s variant %d: %v", req.ID, variant, err)
			}
		}(i/2, i%2)
	}
	close(start)
	wg.Wait()
	for pair, n := range accepted {
		if n != 1 {
			t.Errorf("pair-%d: %d of its two submissions accepted, want 1", pair, n)
		}
	}
	// One at a time on a quiet cluster, the follower learns of each commit
	// only from the leader's next append, after the answer went out; a
	// search (which, unlike a read by id, does not ask the leader about a
	// miss) finds the job all the same.
	for i := 0; i < 10; i++ {
		id := submit(t, fc, shellJob("true"))
		if found, _, err := fc.Jobs().List(context.Background(), &api.JobQuery{ID: id}); err != nil || len(found) != 1 {
			t.Fatalf("search for job %s on %s after its answer: %d found, %v", id, follower.Name(), len(found), err)
		}
	}
	calls := metricValue(t, follower, "genie_forward_calls_total") - callsBefore
	entries := metricValue(t, follower, "genie_forwarded_entries_total") - entriesBefore
	t.Logf("%v submissions forwarded in %v calls", entries, calls)
	if entries == 0 || calls >= entries {
		t.Errorf("%v entries forwarded in %v calls: none travelled together", entries, calls)
	}
}

// Writes forwarded together never make a body the leader refuses: with
// small request bodies allowed, large submissions sent at once through a
// follower all get in.
func TestForwardedBatchesStayWithinTheRequestBound(t *testing.T) {
	follower := heldClusterFollower(t, func(cfg *Config) { cfg.MaxRequestBytes = 16 << 10 })
	fc := client(t, follower)
	failedBefore := metricValue(t, follower, "genie_forward_calls_failed_total")
	big := strings.Repeat("x", 5<<10)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := 0; i < 24; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			<-start
			if _, err := fc.Jobs().Submit(context.Background(), shellJob(fmt.Sprintf("echo %d %s", i, big))); err != nil {
				t.Errorf("submission %d: %v", i, err)
			}
		}(i)
	}
	close(start)
	wg.Wait()
	if failed := metricValue(t, follower, "genie_forward_calls_failed_total") - failedBefore; failed != 0 {
		t.Errorf("%v calls to the leader failed", failed)
	}
}

// A leader of a version before batches answers the batch endpoint 404: a
// batch then goes one call an entry, and each entry gets its answer.
func TestForwardedBatchFallsBackToACallAnEntryOnAnOlderLeader(t *testing.T) {
	var batchCalls, singleCalls atomic.Int64
	leader := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != transport.InternalApplyPath {
			batchCalls.Add(1)
			http.NotFound(w, r)
			return
		}
		body, err := fsm.Marshal(&transport.InternalResponse{Index: uint64(100 + singleCalls.Add(1))})
		if err != nil {
			t.Error(err)
		}
		w.Header().Set("Content-Type", "application/x-msgpack")
		w.Write(body)
	}))
	defer leader.Close()

	n := &Node{config: DefaultConfig(), internal: leader.Client(), leaders: newLeaderWatch(), shutdownCh: make(chan struct{})}
	n.metrics = newMetrics(n)
	f := newForwarder(n)
	var batch []*forwardedEntry
	for i := 0; i < 3; i++ {
		batch = append(batch, &forwardedEntry{ctx: context.Background(), addr: strings.TrimPrefix(leader.URL, "http://"),
			buf: []byte{byte(i)}, done: make(chan forwardAnswer, 1)})
	}
	f.call(batch)
	seen := map[uint64]bool{}
	for i, e := range batch {
		a := <-e.done
		if a.err != nil || a.res == nil || seen[a.res.Index] {
			t.Fatalf("entry %d: %+v %v", i, a.res, a.err)
		}
		seen[a.res.Index] = true
	}
	if batchCalls.Load() != 1 || singleCalls.Load() != 3 {
		t.Fatalf("%d batch calls and %d single calls, want 1 and 3", batchCalls.Load(), singleCalls.Load())
	}
}
