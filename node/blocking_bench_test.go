package node

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"sync"
	"testing"
	"time"
)

// BenchmarkBlockingQueries measures what 1,000 open blocking queries cost a
// node: the memory they hold (heap and stacks of the whole test process,
// so the 1,000 clients' own connections count too: an upper bound) and the
// durable submission rate with them open, against the same node with none
// open before and after, in one run. Each query waits on the status of a
// job that does not change, as 1,000 `genie jobs wait` would.
func BenchmarkBlockingQueries(b *testing.B) {
	const clients, watchers = 16, 1000
	n := benchNode(b, nil)
	n.holdRunner.Store(true)
	c := client(b, n)
	register(b, c)
	ids := make([]string, watchers)
	for i := range ids {
		ids[i] = submit(b, c, shellJob("true"))
	}
	body, _ := json.Marshal(shellJob("true"))
	url := n.URL() + "/api/v3/jobs"
	hc := benchClient(clients)
	rate := func() float64 {
		_, elapsed := runConcurrently(b, clients, b.N, "submissions", func(int) error {
			return accepted(postJob(hc, url, body))
		})
		return float64(b.N) / elapsed.Seconds()
	}
	inUse := func() uint64 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapInuse + ms.StackInuse
	}

	b.ResetTimer()
	before := rate()
	idle := inUse()
	ctx, cancel := context.WithCancel(context.Background())
	wc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: watchers}}
	var wg sync.WaitGroup
	for _, id := range ids {
		url := fmt.Sprintf("%s/api/v3/jobs/%s/status?index=%d&wait=10m", n.URL(), id, n.State().Job(id).ModifyIndex)
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
			if resp, err := wc.Do(req); err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}()
	}
	waitFor(b, 30*time.Second, "every query waiting", func() bool { return n.waitingQueries.Load() == watchers })
	held := inUse()
	with := rate()
	if w := n.waitingQueries.Load(); w != watchers {
		b.Fatalf("%d of %d queries answered while nothing they read changed", watchers-w, watchers)
	}
	cancel()
	wg.Wait()
	after := rate()
	b.StopTimer()

	without := (before + after) / 2
	b.ReportMetric(without, "submits/s-none")
	b.ReportMetric(with, "submits/s-1000")
	b.ReportMetric(with/without, "rate-ratio")
	b.ReportMetric(float64(int64(held)-int64(idle))/1e6, "MB-held")
	b.ReportMetric(float64(int64(held)-int64(idle))/watchers/1e3, "KB-per-query")
}
