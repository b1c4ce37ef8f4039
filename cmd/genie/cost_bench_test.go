package main

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/genie-cluster/genie/api"
)

// BenchmarkClusterCostPerJob runs `true` jobs end to end on a 3-node
// cluster of genie processes (16 clients over all nodes, runners on) and
// reports jobs/s, the submission p99, and the CPU time the three node
// processes spent per job, read from /proc, apart from the jobs' own
// processes (which the nodes reap, counted as their children's).
func BenchmarkClusterCostPerJob(b *testing.B) {
	bin := buildGenie(b)
	agents := startBinaryCluster(b, bin, 3)
	ctx := context.Background()
	registerDemo(b, agents[0].client)
	req := &api.JobRequest{Name: "true", User: "bench",
		ClusterCriterias: []api.ClusterCriteria{{Tags: []string{"sched:adhoc"}}},
		CommandCriteria:  []string{"type:exec"}}

	cpu := func() (self, children time.Duration) {
		for _, a := range agents {
			s, c := processCPU(b, a.cmd.Process.Pid)
			self, children = self+s, children+c
		}
		return self, children
	}
	selfBefore, childrenBefore := cpu()
	b.ResetTimer()
	start := time.Now()
	ids, lat := submitAll(b, agents, req, 16)
	for _, id := range ids {
		waitUntil(b, 5*time.Minute, "job "+id+" to finish", func() bool {
			st, err := agents[0].client.Jobs().Status(ctx, id)
			return err == nil && st.Terminal()
		})
	}
	elapsed := time.Since(start)
	b.StopTimer()
	selfAfter, childrenAfter := cpu()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "jobs/s")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "submit-p99-ms")
	b.ReportMetric(float64((selfAfter-selfBefore).Microseconds())/1000/float64(b.N), "node-cpu-ms/job")
	b.ReportMetric(float64((childrenAfter-childrenBefore).Microseconds())/1000/float64(b.N), "job-cpu-ms/job")
}

// submitAll submits b.N copies of req from clients goroutines spread over
// the agents and returns the job ids and each submission's latency, in
// submission order. A failed submission fails the benchmark at once.
func submitAll(b *testing.B, agents []*clusterAgent, req *api.JobRequest, clients int) ([]string, []time.Duration) {
	ctx := context.Background()
	ids := make([]string, b.N)
	lat := make([]time.Duration, b.N)
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < clients; w++ {
		wg.Add(1)
		go func(c *api.Client) {
			defer wg.Done()
			for i := int(next.Add(1) - 1); i < b.N; i = int(next.Add(1) - 1) {
				t0 := time.Now()
				id, err := c.Jobs().Submit(ctx, req)
				lat[i] = time.Since(t0)
				if err != nil {
					b.Errorf("submit: %v", err)
					return
				}
				ids[i] = id
			}
		}(agents[w%len(agents)].client)
	}
	wg.Wait()
	if b.Failed() {
		b.FailNow()
	}
	return ids, lat
}

// registerDemo registers a local cluster and a command that runs /bin/true.
func registerDemo(b testing.TB, c *api.Client) {
	ctx := context.Background()
	if _, err := c.Clusters().Create(ctx, &api.Cluster{ID: "local", Name: "local", User: "ops", Version: "1",
		Tags: []string{"sched:adhoc"}, Status: api.ClusterStatusUp}); err != nil {
		b.Fatal(err)
	}
	if _, err := c.Commands().Create(ctx, &api.Command{ID: "exec", Name: "exec", User: "ops", Version: "1",
		Tags: []string{"type:exec"}, Status: api.CommandStatusActive, ExecutableAndArguments: []string{"/bin/true"}}); err != nil {
		b.Fatal(err)
	}
}

// processCPU reads a process's user+system time and its reaped children's
// from /proc/<pid>/stat.
func processCPU(b testing.TB, pid int) (self, children time.Duration) {
	buf, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		b.Fatal(err)
	}
	// Fields after the command name, which is in parentheses.
	f := strings.Fields(string(buf)[strings.LastIndexByte(string(buf), ')')+2:])
	tick := func(i int) time.Duration {
		n, _ := strconv.ParseInt(f[i], 10, 64)
		return time.Duration(n) * time.Second / 100 // USER_HZ
	}
	// utime, stime, cutime, cstime are fields 14-17 of stat, 12-15 here.
	return tick(11) + tick(12), tick(13) + tick(14)
}
