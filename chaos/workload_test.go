//go:build chaos

package chaos

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/anishathalye/porcupine"

	"github.com/genie-cluster/genie/api"
)

const (
	jobWorkers      = 3
	jobPace         = 150 * time.Millisecond
	registryWorkers = 3
	registryPace    = 60 * time.Millisecond
	registryKeys    = 3
	// submitPatience is how long a worker retries one submission (same
	// client id) before it gives up on it.
	submitPatience = 40 * time.Second
)

// jobScript leaves one marker file per run in the shared directory, so a
// job that ran twice shows two.
const jobScript = `mktemp /shared/runs/$GENIE_JOB_ID.XXXXXX >/dev/null && sleep 2`

// jobRecord is what the client knows of one job it submitted.
type jobRecord struct {
	ID    string `json:"id"`
	Round int    `json:"round"`
	Acked bool   `json:"acked"`
	// Final is the first terminal status seen, Msg its message.
	Final string `json:"final,omitempty"`
	Msg   string `json:"msg,omitempty"`
}

// round is one fault's window: what the clients tried and saw in it.
type round struct {
	Index int    `json:"index"`
	Fault string `json:"fault"`

	mu           sync.Mutex
	JobsTried    int      `json:"jobsTried"`
	JobsAcked    int      `json:"jobsAcked"`
	RegTried     int      `json:"registryTried"`
	RegAcked     int      `json:"registryAcked"`
	Unavailable  int      `json:"unavailable"`  // 503 with Retry-After
	Unreachable  int      `json:"unreachable"`  // no answer
	Refused      int      `json:"refused"`      // documented 4xx
	Undocumented []string `json:"undocumented"` // every other error
	Lost         int      `json:"lost"`
	Duplicated   int      `json:"duplicated"`
	// QueueMin and QueueMax are the least and most jobs seen waiting in
	// the cluster's queue from just before the fault to its end.
	QueueMin     int `json:"queueMin"`
	QueueMax     int `json:"queueMax"`
	Recovery     time.Duration
	Linearizable string   `json:"linearizable"`
	Problems     []string `json:"problems"`

	keys []string
	jobs []*jobRecord
	ops  []porcupine.Operation
}

func (r *round) count(v verdict, rep reply, what string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch v {
	case unavailable:
		r.Unavailable++
	case unreachable:
		r.Unreachable++
	case refused:
		r.Refused++
	case undocumented:
		r.Undocumented = append(r.Undocumented, what+": "+rep.String())
	}
}

func (r *round) problem(format string, args ...interface{}) {
	r.mu.Lock()
	r.Problems = append(r.Problems, fmt.Sprintf(format, args...))
	r.mu.Unlock()
}

// workload runs the client workers of one round.
type workload struct {
	client  *client
	start   time.Time
	urls    atomic.Pointer[[]string]
	clients atomic.Int64 // porcupine client ids
}

func (w *workload) setURLs(urls []string) { w.urls.Store(&urls) }

func (w *workload) pick(rng *rand.Rand) string {
	urls := *w.urls.Load()
	return urls[rng.Intn(len(urls))]
}

func (w *workload) now() int64 { return int64(time.Since(w.start)) }

// run starts the workers on r until ctx ends, and waits for them.
func (w *workload) run(ctx context.Context, r *round) {
	var wg sync.WaitGroup
	for i := 0; i < jobWorkers; i++ {
		wg.Add(1)
		go func(i int) { defer wg.Done(); w.submitJobs(ctx, r, i) }(i)
	}
	for i := 0; i < registryWorkers; i++ {
		wg.Add(1)
		go func(i int) { defer wg.Done(); w.changeRegistry(ctx, r, i) }(i)
	}
	wg.Wait()
}

func jobRequest(id string) map[string]interface{} {
	return map[string]interface{}{
		"id": id, "name": "chaos", "user": "chaos", "version": "1",
		"clusterCriterias": []map[string]interface{}{{"tags": []string{"sched:chaos"}}},
		"commandCriteria":  []string{"type:shell"},
		"commandArgs":      jobScript,
	}
}

// submitJobs submits jobs with client-chosen ids, retrying each on
// another node until it is acknowledged: a retry of a job that was
// recorded must answer 202 again, never make a second job.
func (w *workload) submitJobs(ctx context.Context, r *round, worker int) {
	rng := rand.New(rand.NewSource(time.Now().UnixNano() + int64(worker)))
	for i := 0; ctx.Err() == nil; i++ {
		rec := &jobRecord{ID: fmt.Sprintf("r%d-w%d-%d", r.Index, worker, i), Round: r.Index}
		deadline := time.Now().Add(submitPatience)
		for ctx.Err() == nil && time.Now().Before(deadline) {
			rep := w.client.call(ctx, http.MethodPost, w.pick(rng)+"/api/v3/jobs", jobRequest(rec.ID))
			if ctx.Err() != nil {
				break
			}
			v := rep.verdict()
			if v == refused {
				// Any 4xx to a submission that only ever repeats is a defect.
				v = undocumented
			}
			r.count(v, rep, "submit "+rec.ID)
			if v == answered {
				rec.Acked = true
				break
			}
			if v == undocumented {
				break
			}
			pause(ctx, 200*time.Millisecond)
		}
		r.mu.Lock()
		r.JobsTried++
		if rec.Acked {
			r.JobsAcked++
		}
		r.jobs = append(r.jobs, rec)
		r.mu.Unlock()
		pause(ctx, jobPace)
	}
}

// changeRegistry changes and reads the round's clusters through random
// nodes, recording every operation for the linearizability check.
func (w *workload) changeRegistry(ctx context.Context, r *round, worker int) {
	rng := rand.New(rand.NewSource(time.Now().UnixNano() + 100 + int64(worker)))
	client := int(w.clients.Add(1))
	for ctx.Err() == nil {
		in := regInput{Key: r.keys[rng.Intn(len(r.keys))]}
		base := w.pick(rng) + "/api/v3/clusters/" + in.Key
		var rep reply
		call0 := w.now()
		switch n := rng.Intn(10); {
		case n < 4:
			in.Op = "read"
			rep = w.client.call(ctx, http.MethodGet, base+"?consistent=true", nil)
		case n < 6:
			in.Op, in.Value = "status", []string{"UP", "OUT_OF_SERVICE"}[rng.Intn(2)]
			rep = w.client.call(ctx, http.MethodPatch, base, []map[string]string{{"op": "replace", "path": "/status", "value": in.Value}})
		case n < 8:
			in.Op, in.Value = "tag+", []string{"a", "b", "c"}[rng.Intn(3)]
			rep = w.client.call(ctx, http.MethodPost, base+"/tags", []string{in.Value})
		default:
			in.Op, in.Value = "tag-", []string{"a", "b", "c"}[rng.Intn(3)]
			rep = w.client.call(ctx, http.MethodDelete, base+"/tags/"+in.Value, nil)
		}
		ret := w.now()
		if ctx.Err() != nil && rep.err != nil {
			// Cut short by the end of the round: the outcome is unknown.
			if in.Op != "read" {
				w.record(r, client, in, regOutput{Unknown: true}, call0, math.MaxInt64)
			}
			return
		}
		v := rep.verdict()
		r.count(v, rep, in.Op+" "+in.Key)
		write := in.Op != "read"
		if write {
			r.mu.Lock()
			r.RegTried++
			if v == answered {
				r.RegAcked++
			}
			r.mu.Unlock()
		}
		switch {
		case v == answered && !write:
			var c api.Cluster
			if err := json.Unmarshal(rep.body, &c); err != nil {
				r.problem("read %s: %v", in.Key, err)
				continue
			}
			w.record(r, client, in, regOutput{Status: string(c.Status), Tags: userTags(c.Tags)}, call0, ret)
		case v == answered:
			w.record(r, client, in, regOutput{}, call0, ret)
		case write && (v == unavailable || v == unreachable):
			// It may still happen: it stays open to the end of the
			// history, and this worker goes on as a new client.
			w.record(r, client, in, regOutput{Unknown: true}, call0, math.MaxInt64)
			client = int(w.clients.Add(1))
		}
		pause(ctx, registryPace)
	}
}

func (w *workload) record(r *round, client int, in regInput, out regOutput, call, ret int64) {
	r.mu.Lock()
	r.ops = append(r.ops, porcupine.Operation{ClientId: client, Input: in, Output: out, Call: call, Return: ret})
	r.mu.Unlock()
}

// userTags drops the tags genie adds itself.
func userTags(tags []string) string {
	out := ""
	for _, t := range tags {
		if strings.HasPrefix(t, "genie.") {
			continue
		}
		out = withTag(out, t, true)
	}
	return out
}

func pause(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
