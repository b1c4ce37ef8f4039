package node

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/genie-cluster/genie/api"
	"github.com/genie-cluster/genie/fsm"
	"github.com/genie-cluster/genie/internal/benchenv"
)

// selfStatusKB reads a field of this process's /proc status, in kB.
func selfStatusKB(b *testing.B, field string) float64 {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 64)
			if err != nil {
				b.Fatal(err)
			}
			return kb
		}
	}
	b.Fatalf("no %s in /proc/self/status", field)
	return 0
}

// BenchmarkNodeAtScale measures one node with GENIE_BENCH_JOBS finished
// records against the same node empty, in one run: the memory a record
// takes (the process's RSS and heap before and after loading them, after
// a collection), the snapshot's write time, a second node joining until it
// holds every record, the restart to ready (restore and replay), and the
// submission rate (16 clients, b.N jobs, runner held)
// and the p99 of the two searches the API serves most, empty and loaded.
// It measures one node's life, so it runs once: -benchtime 1x.
func BenchmarkNodeAtScale(b *testing.B) {
	if b.N != 1 {
		b.Fatal("run with -benchtime 1x: the benchmark loads a node once")
	}
	const submissions = 3000
	records := benchenv.Count(b, "GENIE_BENCH_JOBS", 100_000)
	n := benchNode(b, nil)
	n.holdRunner.Store(true)
	c := client(b, n)
	register(b, c)
	body, _ := json.Marshal(shellJob("true"))
	url := "http://" + n.HTTPAddr() + "/api/v3/jobs"
	hc := benchClient(16)
	metrics := map[string]float64{}

	submitRate := func() float64 {
		_, elapsed := runConcurrently(b, 16, submissions, "submissions", func(int) error { return accepted(postJob(hc, url, body)) })
		return submissions / elapsed.Seconds()
	}
	searchP99 := func(c *api.Client, q *api.JobQuery) time.Duration {
		var took []time.Duration
		for i := 0; i < 200; i++ {
			t0 := time.Now()
			if _, _, err := c.Jobs().List(context.Background(), q); err != nil {
				b.Fatal(err)
			}
			took = append(took, time.Since(t0))
		}
		sort.Slice(took, func(i, j int) bool { return took[i] < took[j] })
		return percentile(took, 0.99)
	}
	running := &api.JobQuery{User: "user7", Status: []api.JobStatus{api.JobStatusRunning}, Size: 25}
	newest := &api.JobQuery{Size: 25}

	submitRate() // warm up: connections, caches
	emptyRate := submitRate()
	emptyRunning, emptyNewest := searchP99(c, running), searchP99(c, newest)

	heapBefore := benchenv.HeapInUse()
	rssBefore := selfStatusKB(b, "VmRSS")
	loadRecords(b, n, records)
	heapAfter := benchenv.HeapInUse()
	metrics["rss-B/record"] = (selfStatusKB(b, "VmRSS") - rssBefore) * 1024 / float64(records)
	metrics["heap-B/record"] = float64(heapAfter-heapBefore) / float64(records)

	start := time.Now()
	if err := n.raft.Snapshot().Error(); err != nil {
		b.Fatal(err)
	}
	metrics["snapshot-s"] = time.Since(start).Seconds()

	loadedRate := submitRate()
	metrics["submit-ratio"] = loadedRate / emptyRate
	metrics["submits/s-loaded"] = loadedRate
	metrics["submits/s-empty"] = emptyRate
	metrics["user-running-p99-ms-loaded"] = float64(searchP99(c, running).Microseconds()) / 1000
	metrics["newest-p99-ms-loaded"] = float64(searchP99(c, newest).Microseconds()) / 1000
	metrics["user-running-p99-ms-empty"] = float64(emptyRunning.Microseconds()) / 1000
	metrics["newest-p99-ms-empty"] = float64(emptyNewest.Microseconds()) / 1000

	// A node joining installs the snapshot, then the log after it.
	jcfg := TestConfig(b, b.TempDir())
	jcfg.NodeName = "joiner"
	jcfg.Logger = n.config.Logger
	jcfg.Join = []string{n.config.GossipAddr}
	start = time.Now()
	joiner := StartNode(b, jcfg)
	WaitFor(b, 5*time.Minute, "the joining node to hold every record", func() bool {
		_, total := joiner.State().Jobs(fsm.JobFilter{}, 0, 1)
		return total >= records
	})
	metrics["join-s"] = time.Since(start).Seconds()
	joiner.Shutdown()

	// A restart restores the snapshot and replays the log after it.
	cfg := *n.config
	n.Shutdown()
	start = time.Now()
	back, err := New(&cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer back.Shutdown()
	select {
	case <-back.Ready():
	case <-time.After(5 * time.Minute):
		b.Fatal("not ready 5 minutes after a restart")
	}
	metrics["restart-s"] = time.Since(start).Seconds()
	if _, total := back.State().Jobs(fsm.JobFilter{}, 0, 1); total < records {
		b.Fatalf("%d records after the restart, want at least %d", total, records)
	}
	for name, v := range metrics {
		b.ReportMetric(v, name)
	}
	fmt.Fprintf(os.Stderr, "%d records: %v\n", records, metrics)
}
