package node

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/genie-cluster/genie/fsm"
)

// benchCluster starts three nodes with quiet logs and room for many jobs,
// their runners held so only placement and the log are measured.
func benchCluster(b *testing.B) *TestCluster {
	b.Helper()
	c := MakeCluster(b, 3, benchConfig(nil))
	for _, n := range c.Nodes {
		n.holdRunner.Store(true)
	}
	register(b, client(b, c.Nodes[0]))
	for _, n := range c.Nodes {
		waitFor(b, 10*time.Second, "the registry everywhere", func() bool { return n.State().Command("sh") != nil })
	}
	return c
}

// benchConfig quiets a benchmark node's log and gives it room for many
// jobs, then applies mutate.
func benchConfig(mutate func(cfg *Config)) func(int, *Config) {
	return func(_ int, cfg *Config) {
		cfg.Logger = hclog.New(&hclog.LoggerOptions{Level: hclog.Warn, Output: io.Discard})
		cfg.MaxJobs = 1 << 20
		cfg.MaxMemory = 1 << 30
		if mutate != nil {
			mutate(cfg)
		}
	}
}

// submitFrom runs total submissions from clients goroutines, client i
// sending to urls[i%len(urls)], and returns the latencies and elapsed time.
func submitFrom(b *testing.B, urls []string, clients, total int) ([]time.Duration, time.Duration) {
	return submitWith(b, benchClient(clients), "", urls, clients, total)
}

// submitWith is submitFrom through hc, sending token when it is set.
func submitWith(b *testing.B, hc *http.Client, token string, urls []string, clients, total int) ([]time.Duration, time.Duration) {
	body, _ := json.Marshal(shellJob("true"))
	return runConcurrently(b, clients, total, "submissions", func(w int) error {
		return accepted(postJobAs(hc, urls[w%len(urls)], token, body))
	})
}

// BenchmarkClusterSubmit measures durable submissions to a 3-node cluster
// from 16 and 64 clients, all on one node (a follower) and spread over all
// nodes, and in the same run the raw raft group's apply rate with as many
// writers, on the same log store: the ceiling the cluster is held to. The
// two take turns in rounds, so a change in the machine's speed during the
// run weighs on both.
func BenchmarkClusterSubmit(b *testing.B) {
	store := os.Getenv("GENIE_TEST_RAFT_LOG_STORE")
	if store == "" {
		store = DefaultLogStore
	}
	const rounds = 4
	for _, clients := range []int{16, 64} {
		for _, mode := range []string{"clients-on-one-follower", "clients-on-all-nodes"} {
			b.Run(fmt.Sprintf("%s-%d", mode, clients), func(b *testing.B) {
				leader, _ := raftBenchGroup(b, 3, store)
				c := benchCluster(b)
				var urls []string
				if mode == "clients-on-one-follower" {
					urls = []string{c.Followers()[0].URL() + "/api/v3/jobs"}
				} else {
					for _, n := range c.Nodes {
						urls = append(urls, n.URL()+"/api/v3/jobs")
					}
				}
				var raftLat, lat []time.Duration
				var raftElapsed, elapsed, raftCPU, genieCPU time.Duration
				b.ResetTimer()
				for r := 0; r < rounds; r++ {
					n := b.N / rounds
					if r == rounds-1 {
						n = b.N - n*(rounds-1)
					}
					cpu := cpuTime(b)
					l, e := raftApplyFrom(b, leader, clients, n)
					raftCPU += cpuTime(b) - cpu
					raftLat, raftElapsed = append(raftLat, l...), raftElapsed+e
					cpu = cpuTime(b)
					l, e = submitFrom(b, urls, clients, n)
					genieCPU += cpuTime(b) - cpu
					lat, elapsed = append(lat, l...), elapsed+e
				}
				b.StopTimer()
				sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
				sort.Slice(raftLat, func(i, j int) bool { return raftLat[i] < raftLat[j] })
				rate, raftRate := float64(b.N)/elapsed.Seconds(), float64(b.N)/raftElapsed.Seconds()
				b.ReportMetric(rate, "submits/s")
				b.ReportMetric(float64(percentile(lat, 0.50).Microseconds())/1000, "p50-ms")
				b.ReportMetric(float64(percentile(lat, 0.99).Microseconds())/1000, "p99-ms")
				b.ReportMetric(raftRate, "raft-applies/s")
				b.ReportMetric(float64(percentile(raftLat, 0.99).Microseconds())/1000, "raft-p99-ms")
				b.ReportMetric(rate/raftRate, "of-raft")
				// Both run in this process with the clients: the CPU each
				// costs a write, on all three nodes and the clients together.
				b.ReportMetric(float64(genieCPU.Microseconds())/float64(b.N), "cpu-us/submit")
				b.ReportMetric(float64(raftCPU.Microseconds())/float64(b.N), "raft-cpu-us/apply")
			})
		}
	}
}

// BenchmarkClusterBurstBalance sends bursts of 300 submissions to one node
// of a 3-node cluster and reports how evenly they were placed: the most
// jobs on a node over the fewest.
func BenchmarkClusterBurstBalance(b *testing.B) {
	const burst = 300
	c := benchCluster(b)
	url := "http://" + c.Nodes[0].HTTPAddr() + "/api/v3/jobs"
	worst := 0.0
	for i := 0; i < b.N; i++ {
		before := jobsPerNode(c)
		submitFrom(b, []string{url}, 16, burst)
		after := jobsPerNode(c)
		lo, hi := burst, 0
		for id, k := range after {
			k -= before[id]
			lo, hi = min(lo, k), max(hi, k)
		}
		if lo == 0 {
			b.Fatalf("a node got no job: %v", after)
		}
		worst = max(worst, float64(hi)/float64(lo))
		// Let gossip settle so each burst starts from reported loads.
		time.Sleep(time.Second)
	}
	b.ReportMetric(worst, "max/min")
}

// jobsPerNode counts every job by the node it was placed on, as the first
// node's replica has them once it has caught up with the leader.
func jobsPerNode(c *TestCluster) map[string]int {
	n := c.Nodes[0]
	if err := n.ReadBarrier(context.Background()); err != nil {
		panic(err)
	}
	out := map[string]int{}
	jobs, _ := n.State().Jobs(fsmAllJobs, 0, 0)
	for _, j := range jobs {
		out[j.Node]++
	}
	for _, m := range c.Nodes {
		if _, ok := out[m.ID()]; !ok {
			out[m.ID()] = 0
		}
	}
	return out
}

var fsmAllJobs = fsm.JobFilter{}

// BenchmarkClusterSteadyLoad keeps a 3-node cluster under full submission
// load (16 clients over all nodes, runners held) for GENIE_LOAD_DURATION
// (default 60s; the figure in the README is for 10m) and reports how many
// times leadership changed meanwhile: with the raft timeouts tuned right,
// none.
func BenchmarkClusterSteadyLoad(b *testing.B) {
	duration := time.Minute
	if v := os.Getenv("GENIE_LOAD_DURATION"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			b.Fatalf("GENIE_LOAD_DURATION: %v", err)
		}
		duration = d
	}
	for i := 0; i < b.N; i++ {
		c := benchCluster(b)
		leader := c.WaitForLeader()
		startTerm := leader.Self().Term
		var urls []string
		for _, n := range c.Nodes {
			urls = append(urls, "http://"+n.HTTPAddr()+"/api/v3/jobs")
		}
		body, _ := json.Marshal(shellJob("true"))
		hc := benchClient(16)
		stop := time.Now().Add(duration)
		var done, failed atomic.Int64
		var wg sync.WaitGroup
		for w := 0; w < 16; w++ {
			wg.Add(1)
			go func(url string) {
				defer wg.Done()
				for time.Now().Before(stop) {
					if code, err := postJob(hc, url, body); err != nil || code != http.StatusAccepted {
						failed.Add(1)
					} else {
						done.Add(1)
					}
				}
			}(urls[w%len(urls)])
		}
		wg.Wait()
		end := c.WaitForLeader()
		b.ReportMetric(float64(end.Self().Term-startTerm), "elections")
		b.ReportMetric(float64(done.Load())/duration.Seconds(), "submits/s")
		b.ReportMetric(float64(failed.Load()), "failed")
		if end != leader {
			b.Logf("leader changed from %s to %s", leader.Name(), end.Name())
		}
	}
}
