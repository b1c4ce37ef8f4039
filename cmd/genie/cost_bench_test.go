package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/genie-cluster/genie/api"
)

// BenchmarkClusterCostPerJob runs `true` jobs end to end on a 3-node
// cluster of genie processes (16 clients over all nodes, runners on) and
// reports jobs/s, the submission p99, and the CPU time the three node
// processes spent per job, read from /proc, apart from the jobs' own
// processes (which the nodes reap, counted as their children's).
//
// The machine's speed drifts, and a job's cost is mostly the kernel's, so
// the same run also measures, before and after the cluster, the bare work a
// node cannot avoid for a job (rawJobCPU) and reports the ratio.
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
	rawBefore := rawJobCPU(b, 1000)
	selfBefore, childrenBefore := cpu()
	b.ResetTimer()
	start := time.Now()
	_, lat := submitAll(b, agents, req, 16)
	// One search now and then rather than a status read a job: the nodes'
	// CPU is to be the jobs', not the poller's.
	count := func(statuses ...api.JobStatus) int64 {
		_, page, err := agents[0].client.Jobs().List(ctx, &api.JobQuery{Status: statuses, Size: 1})
		if err != nil {
			return -1
		}
		return page.TotalElements
	}
	waitUntil(b, 5*time.Minute, "every job to finish", func() bool {
		return count(api.JobStatusSucceeded, api.JobStatusFailed, api.JobStatusKilled, api.JobStatusInvalid) == int64(b.N)
	})
	elapsed := time.Since(start)
	b.StopTimer()
	selfAfter, childrenAfter := cpu()
	if n := count(api.JobStatusSucceeded); n != int64(b.N) {
		b.Fatalf("%d of %d jobs succeeded", n, b.N)
	}
	raw := (rawBefore + rawJobCPU(b, 1000)) / 2
	node := float64((selfAfter - selfBefore).Microseconds()) / 1000 / float64(b.N)
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "jobs/s")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "submit-p99-ms")
	b.ReportMetric(node, "node-cpu-ms/job")
	b.ReportMetric(float64(raw.Microseconds())/1000, "raw-job-cpu-ms")
	b.ReportMetric(node/(float64(raw.Microseconds())/1000), "of-raw-job")
	b.ReportMetric(float64((childrenAfter-childrenBefore).Microseconds())/1000/float64(b.N), "job-cpu-ms/job")
}

// rawJobCPU is the CPU this process spends, per job, doing for count
// `true` jobs (16 at a time) the least a node does for one, with nothing
// of genie: create the job directory with its two subdirectories, write
// the run script, create stdout and stderr, run the script with sh and
// wait, write the record and the manifest, and move the directory into
// the archive. The job's own process is not counted, as in the cluster.
func rawJobCPU(b *testing.B, count int) time.Duration {
	b.Helper()
	base := b.TempDir()
	archive := filepath.Join(base, "archive")
	if err := os.Mkdir(archive, 0o755); err != nil {
		b.Fatal(err)
	}
	one := func(i int) error {
		dir := filepath.Join(base, fmt.Sprintf("job-%d", i))
		for _, d := range []string{dir, filepath.Join(dir, "genie"), filepath.Join(dir, "genie", "tmp")} {
			if err := os.Mkdir(d, 0o755); err != nil {
				return err
			}
		}
		run := filepath.Join(dir, "run")
		if err := os.WriteFile(run, []byte("#!/bin/sh\nexec /bin/true\n"), 0o755); err != nil {
			return err
		}
		var outs []*os.File
		for _, name := range []string{"stdout", "stderr"} {
			f, err := os.OpenFile(filepath.Join(dir, name), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
			if err != nil {
				return err
			}
			defer f.Close()
			outs = append(outs, f)
		}
		cmd := exec.Command("sh", run)
		cmd.Dir, cmd.Stdout, cmd.Stderr = dir, outs[0], outs[1]
		if err := cmd.Run(); err != nil {
			return err
		}
		for _, name := range []string{"job.json", "manifest.json"} {
			if err := os.WriteFile(filepath.Join(dir, "genie", name), []byte(`{"id":"job"}`), 0o644); err != nil {
				return err
			}
		}
		return os.Rename(dir, filepath.Join(archive, fmt.Sprintf("job-%d", i)))
	}
	start := selfCPU(b)
	inParallel(b, count, 16, func(_, i int) error { return one(i) })
	return (selfCPU(b) - start) / time.Duration(count)
}

// selfCPU is the CPU time this process has spent, its children's apart.
func selfCPU(b testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// submitAll submits b.N copies of req from clients goroutines spread over
// the agents and returns the job ids and each submission's latency, in
// submission order. A failed submission fails the benchmark.
func submitAll(b *testing.B, agents []*clusterAgent, req *api.JobRequest, clients int) ([]string, []time.Duration) {
	ctx := context.Background()
	ids := make([]string, b.N)
	lat := make([]time.Duration, b.N)
	inParallel(b, b.N, clients, func(w, i int) error {
		t0 := time.Now()
		id, err := agents[w%len(agents)].client.Jobs().Submit(ctx, req)
		lat[i] = time.Since(t0)
		if err != nil {
			return fmt.Errorf("submit: %w", err)
		}
		ids[i] = id
		return nil
	})
	return ids, lat
}

// inParallel calls fn for items 0 to count-1 from workers goroutines, fn
// getting its worker's number and the item, and fails the benchmark at the
// first error, once all have stopped.
func inParallel(b *testing.B, count, workers int, fn func(worker, item int) error) {
	b.Helper()
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1) - 1); i < count; i = int(next.Add(1) - 1) {
				if err := fn(w, i); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if b.Failed() {
		b.FailNow()
	}
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
