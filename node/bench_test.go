package node

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"sort"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/genie-cluster/genie/api"
	"github.com/genie-cluster/genie/fsm"
)

// benchNode starts a node for a benchmark: quiet logs, room for many jobs.
func benchNode(b *testing.B, mutate func(*Config)) *Node {
	b.Helper()
	cfg := TestConfig(b, b.TempDir())
	cfg.Logger = hclog.New(&hclog.LoggerOptions{Level: hclog.Warn, Output: io.Discard})
	cfg.MaxJobs = 1 << 20
	cfg.MaxMemory = 1 << 30
	if mutate != nil {
		mutate(cfg)
	}
	return StartNode(b, cfg)
}

// benchClient is an HTTP client with enough idle connections for the
// benchmark's concurrency, so connection set-up is not what is measured.
func benchClient(conc int) *http.Client {
	return &http.Client{Transport: &http.Transport{MaxIdleConns: conc * 2, MaxIdleConnsPerHost: conc * 2}}
}

// postJob submits body and returns the status code.
func postJob(hc *http.Client, url string, body []byte) (int, error) {
	return postJobAs(hc, url, "", body)
}

// postJobAs is postJob sending token when it is set.
func postJobAs(hc *http.Client, url, token string, body []byte) (int, error) {
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

// runConcurrently runs op total times from workers goroutines (op gets
// the worker's number) and returns the sorted latencies and the elapsed
// time; any failure fails the benchmark, naming what failed and the first
// error.
func runConcurrently(b *testing.B, workers, total int, what string, op func(worker int) error) ([]time.Duration, time.Duration) {
	lat := make([]time.Duration, total)
	var next, failed atomic.Int64
	var firstErr atomic.Value
	start := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := next.Add(1) - 1; i < int64(total); i = next.Add(1) - 1 {
				t0 := time.Now()
				err := op(w)
				lat[i] = time.Since(t0)
				if err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err)
				}
			}
		}(w)
	}
	wg.Wait()
	elapsed := time.Since(start)
	if f := failed.Load(); f > 0 {
		b.Fatalf("%d of %d %s failed, first: %v", f, total, what, firstErr.Load())
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	return lat, elapsed
}

// accepted turns postJob's answer into an error unless it is 202.
func accepted(code int, err error) error {
	if err == nil && code != http.StatusAccepted {
		err = fmt.Errorf("answered %d", code)
	}
	return err
}

// cpuTime is the CPU this process has used so far, user and system.
func cpuTime(b testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted)-1) * p)
	return sorted[i]
}

// BenchmarkSubmit measures durable submissions (202 only after the raft
// commit) from 16 concurrent clients over HTTP: decode, validate, resolve,
// reserve, commit. The node's runner is held, so the jobs stay ACCEPTED and
// the two cores measure the submission path alone; running jobs is what
// BenchmarkEndToEndTrue measures.
func BenchmarkSubmit(b *testing.B) {
	const clients = 16
	n := benchNode(b, nil)
	n.holdRunner.Store(true)
	c := client(b, n)
	register(b, c)
	body, _ := json.Marshal(shellJob("true"))
	url := "http://" + n.HTTPAddr() + "/api/v3/jobs"
	hc := benchClient(clients)

	b.ResetTimer()
	lat, elapsed := runConcurrently(b, clients, b.N, "submissions", func(_ int) error {
		return accepted(postJob(hc, url, body))
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "submits/s")
	b.ReportMetric(float64(percentile(lat, 0.50).Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(percentile(lat, 0.99).Microseconds())/1000, "p99-ms")
}

// rawSpawnRate starts `sh -c true` count times from conc goroutines and
// returns the rate: the cost of the work itself, without genie.
func rawSpawnRate(count, conc int) float64 {
	var next atomic.Int64
	start := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < conc; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(count) {
				exec.Command("/bin/sh", "-c", "true").Run()
			}
		}()
	}
	wg.Wait()
	return float64(count) / time.Since(start).Seconds()
}

// BenchmarkEndToEndTrue measures jobs running /bin/true from submission to
// SUCCEEDED, against starting `sh -c true` directly in the same run, and
// reports the ratio. It runs three times: everything in the data dir on
// the disk; the jobs' working directories on a tmpfs (-jobs-dir) with the
// raft log and the archive on the disk; and everything on a tmpfs, which
// shows genie's own cost without the file system's.
func BenchmarkEndToEndTrue(b *testing.B) {
	b.Run("disk", func(b *testing.B) { benchEndToEnd(b, b.TempDir(), "") })
	b.Run("jobs-dir=tmpfs", func(b *testing.B) { benchEndToEnd(b, b.TempDir(), tmpfsDir(b)) })
	b.Run("all-tmpfs", func(b *testing.B) { benchEndToEnd(b, tmpfsDir(b), "") })
}

// tmpfsDir returns a fresh directory on /dev/shm.
func tmpfsDir(b *testing.B) string {
	if st, err := os.Stat("/dev/shm"); err != nil || !st.IsDir() {
		b.Skip("no /dev/shm tmpfs")
	}
	dir, err := os.MkdirTemp("/dev/shm", "genie-bench-")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

func benchEndToEnd(b *testing.B, dataDir, jobsDir string) {
	const clients = 16
	n := benchNode(b, func(cfg *Config) { cfg.DataDir, cfg.JobsDir = dataDir, jobsDir })
	c := client(b, n)
	registerTrue(b, c)
	body, _ := json.Marshal(trueJob())
	url := "http://" + n.HTTPAddr() + "/api/v3/jobs"
	hc := benchClient(clients)

	raw := rawSpawnRate(max(b.N, 200), clients)

	b.ResetTimer()
	start := time.Now()
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < clients; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(b.N) {
				if code, err := postJob(hc, url, body); err != nil || code != http.StatusAccepted {
					b.Errorf("submit: %d %v", code, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	deadline := time.Now().Add(10 * time.Minute)
	for {
		counts := n.State().JobCounts()
		done := counts[fsm.JobSucceeded] + counts[fsm.JobFailed] + counts[fsm.JobKilled]
		if done >= b.N {
			if counts[fsm.JobSucceeded] != b.N {
				b.Fatalf("jobs ended %v", counts)
			}
			break
		}
		if time.Now().After(deadline) {
			b.Fatalf("jobs not done: %v", counts)
		}
		// Counting walks every job: look rarely enough to cost nothing.
		time.Sleep(50 * time.Millisecond)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	rate := float64(b.N) / elapsed.Seconds()
	b.ReportMetric(rate, "jobs/s")
	b.ReportMetric(raw, "raw-spawns/s")
	b.ReportMetric(rate/raw, "ratio")
}

// registerTrue registers a cluster and a command that runs /bin/true.
func registerTrue(b *testing.B, c *api.Client) {
	b.Helper()
	ctx := context.Background()
	if _, err := c.Clusters().Create(ctx, &api.Cluster{ID: "local", Name: "local", User: "ops", Version: "1",
		Tags: []string{"sched:adhoc"}, Status: api.ClusterStatusUp}); err != nil {
		b.Fatal(err)
	}
	if _, err := c.Commands().Create(ctx, &api.Command{ID: "true", Name: "true", User: "ops", Version: "1",
		Tags: []string{"type:true"}, Status: api.CommandStatusActive, ExecutableAndArguments: []string{"/bin/true"}}); err != nil {
		b.Fatal(err)
	}
}

func trueJob() *api.JobRequest {
	return &api.JobRequest{Name: "true", User: "bench",
		ClusterCriterias: []api.ClusterCriteria{{Tags: []string{"sched:adhoc"}}},
		CommandCriteria:  []string{"type:true"}}
}
