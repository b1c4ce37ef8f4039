package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/genie-cluster/genie/api"
	"github.com/genie-cluster/genie/node"
)

// BenchmarkBlockingQueries measures what 1,000 open blocking queries cost
// a genie process: its resident memory with them open against without
// (from /proc), and its submission rate with them open against without,
// before and after, in one run (16 clients, `true` jobs, each phase b.N
// submissions). Each query waits on a registry record that does not
// change meanwhile, as 1,000 idle pages or `genie jobs wait` would, each
// on its own connection.
func BenchmarkBlockingQueries(b *testing.B) {
	const watchers = 1000
	bin := buildGenie(b)
	dataDir := node.PassableTempDir(b)
	httpAddr := freeAddr(b)
	agent := startAgent(b, bin, dataDir, httpAddr, freeAddr(b), "-max-jobs", "100000", "-max-memory", "100000000")
	c, _ := api.NewClient(&api.Config{Address: "http://" + httpAddr})
	ctx := context.Background()
	clusters, _, err := c.Clusters().List(ctx, nil)
	if err != nil || len(clusters) == 0 {
		b.Fatalf("the dev node's cluster: %v", err)
	}
	agents := []*clusterAgent{{client: c}}
	req := &api.JobRequest{Name: "true", User: "bench",
		ClusterCriterias: []api.ClusterCriteria{{Tags: []string{"sched:adhoc"}}},
		CommandCriteria:  []string{"type:exec"}, CommandArguments: []string{"true"}}
	rate := func() float64 {
		start := time.Now()
		submitAll(b, agents, req, 16)
		r := float64(b.N) / time.Since(start).Seconds()
		waitUntil(b, 10*time.Minute, "the jobs to end", func() bool {
			_, page, err := c.Jobs().List(ctx, &api.JobQuery{Status: []api.JobStatus{api.JobStatusAccepted, api.JobStatusInit, api.JobStatusRunning}, Size: 1})
			return err == nil && page.TotalElements == 0
		})
		return r
	}
	waiting := func() int {
		resp, err := http.Get("http://" + httpAddr + "/v1/metrics")
		if err != nil {
			return -1
		}
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if v, ok := strings.CutPrefix(sc.Text(), "genie_http_blocking_queries "); ok {
				f, _ := strconv.ParseFloat(v, 64)
				return int(f)
			}
		}
		return -1
	}
	rssMB := func() float64 {
		status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", agent.Process.Pid))
		if err != nil {
			b.Fatal(err)
		}
		return statusKB(status, "VmRSS") / 1024
	}

	b.ResetTimer()
	before := rate()
	idle := rssMB()
	qctx, cancel := context.WithCancel(ctx)
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: watchers}}
	var wg sync.WaitGroup
	for i := 0; i < watchers; i++ {
		var rec api.Cluster
		meta, err := c.Read(ctx, "/api/v3/clusters/"+clusters[0].ID, nil, 0, 0, &rec)
		if err != nil {
			b.Fatal(err)
		}
		url := fmt.Sprintf("http://%s/api/v3/clusters/%s?index=%d&wait=10m", httpAddr, clusters[0].ID, meta.LastIndex)
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, _ := http.NewRequestWithContext(qctx, http.MethodGet, url, nil)
			if resp, err := hc.Do(r); err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}()
	}
	waitUntil(b, time.Minute, "every query waiting", func() bool { return waiting() == watchers })
	held := rssMB()
	with := rate()
	if w := waiting(); w != watchers {
		b.Fatalf("%d of %d queries answered while nothing they read changed", watchers-w, watchers)
	}
	cancel()
	wg.Wait()
	waitUntil(b, time.Minute, "the queries to end", func() bool { return waiting() == 0 })
	after := rate()
	b.StopTimer()

	without := (before + after) / 2
	b.ReportMetric(without, "submits/s-none")
	b.ReportMetric(with, "submits/s-1000")
	b.ReportMetric(with/without, "rate-ratio")
	b.ReportMetric(held-idle, "rss-MB-held")
	b.ReportMetric((held-idle)*1024/watchers, "rss-KB-per-query")
}
