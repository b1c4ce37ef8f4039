package main

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/genie-cluster/genie/api"
)

// BenchmarkClusterQueue submits b.N `true` jobs at once (64 clients over
// the nodes of a 3-node cluster of genie processes) and measures the time
// until every one has ended, twice in one run: once on nodes with room
// for all of them, so none waits, and once with -max-jobs 64, so most wait
// in the queue. It reports both rates and what the queue costs.
func BenchmarkClusterQueue(b *testing.B) {
	bin := buildGenie(b)
	unqueued, _ := runBurst(b, bin, "-max-jobs", "1000000")
	queued, waited := runBurst(b, bin, "-max-jobs", "64")
	b.ReportMetric(unqueued, "unqueued-jobs/s")
	b.ReportMetric(queued, "queued-jobs/s")
	b.ReportMetric(float64(waited), "waited")
	b.ReportMetric(1-queued/unqueued, "queue-cost")
}

// runBurst starts a cluster with flags, submits b.N jobs at once and waits
// for all to end. It returns the jobs per second, end to end, and the most
// jobs the cluster's queue held.
func runBurst(b *testing.B, bin string, flags ...string) (rate float64, mostQueued int) {
	b.Helper()
	agents := startBinaryCluster(b, bin, 3, flags...)
	defer func() {
		for _, a := range agents {
			a.cmd.Process.Kill()
		}
	}()
	ctx := context.Background()
	registerDemo(b, agents[0].client)
	req := &api.JobRequest{Name: "true", User: "bench",
		ClusterCriterias: []api.ClusterCriteria{{Tags: []string{"sched:adhoc"}}},
		CommandCriteria:  []string{"type:exec"}}
	watch, stopWatch := context.WithCancel(ctx)
	var most atomic.Int64
	go func() {
		for watch.Err() == nil {
			if members, err := agents[0].client.Agent().Members(watch); err == nil && len(members) > 0 {
				if q := int64(members[0].QueuedJobs); q > most.Load() {
					most.Store(q)
				}
			}
			time.Sleep(50 * time.Millisecond)
		}
	}()
	defer stopWatch()

	b.ResetTimer()
	start := time.Now()
	ids, _ := submitAll(b, agents, req, 64)
	// The last job submitted is among the last to end.
	for i := len(ids) - 1; i >= 0; i-- {
		id := ids[i]
		waitUntil(b, 10*time.Minute, "job "+id+" to end", func() bool {
			st, err := agents[0].client.Jobs().Status(ctx, id)
			if err == nil && st.Terminal() && st != api.JobStatusSucceeded {
				b.Fatalf("job %s ended %s", id, st)
			}
			return err == nil && st.Terminal()
		})
	}
	elapsed := time.Since(start)
	b.StopTimer()
	return float64(b.N) / elapsed.Seconds(), int(most.Load())
}
