package node

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/genie-cluster/genie/api"
	"github.com/genie-cluster/genie/archive"
	"github.com/genie-cluster/genie/internal/s3test"
)

// shortRetention retires jobs a second after they end, looking every 50 ms.
func shortRetention(cfg *Config) {
	cfg.JobRetention = time.Second
	cfg.retireInterval = 50 * time.Millisecond
}

// retiredJobs are the jobs a retention test runs: each kind of end, and
// each way its record reaches the archive.
type retiredJobs struct {
	ran      []string // ran and archived with their output
	disabled string   // log archival off: only the record is archived
	invalid  string   // never ran: the leader archives its record
}

// runJobsToRetire submits the jobs through every node and waits until they
// are retired from every replica.
func runJobsToRetire(t *testing.T, c *TestCluster) retiredJobs {
	t.Helper()
	var jobs retiredJobs
	for i, n := range c.Nodes {
		req := shellJob(fmt.Sprintf("echo out %d; echo err %d >&2", i, i))
		req.ID = fmt.Sprintf("kept-%d", i)
		req.Tags = []string{"retire-test"}
		jobs.ran = append(jobs.ran, submit(t, client(t, n), req))
	}
	req := shellJob("echo not archived")
	req.DisableLogArchival = true
	jobs.disabled = submit(t, client(t, c.Nodes[1]), req)
	req = shellJob("true")
	mem := 1 << 30
	req.Memory = &mem
	jobs.invalid = submit(t, client(t, c.Nodes[2]), req)

	for _, id := range jobs.ran {
		waitStatus(t, client(t, c.Nodes[0]), id, api.JobStatusSucceeded, 30*time.Second)
	}
	waitStatus(t, client(t, c.Nodes[0]), jobs.disabled, api.JobStatusSucceeded, 30*time.Second)
	waitStatus(t, client(t, c.Nodes[0]), jobs.invalid, api.JobStatusInvalid, 30*time.Second)

	all := append([]string{jobs.disabled, jobs.invalid}, jobs.ran...)
	for _, n := range c.Nodes {
		WaitFor(t, 60*time.Second, "jobs retired on "+n.Name(), func() bool {
			for _, id := range all {
				if _, retired := n.State().RetiredHolder(id); !retired || n.State().Job(id) != nil {
					return false
				}
			}
			return true
		})
	}
	return jobs
}

// checkRetiredJobs reads every retired job through every node: the record
// and its sub-resources as before, the output from the archive, and no
// search lists them.
func checkRetiredJobs(t *testing.T, c *TestCluster, jobs retiredJobs) {
	t.Helper()
	ctx := context.Background()
	for _, n := range c.Nodes {
		cl := client(t, n)
		for i, id := range jobs.ran {
			j, err := cl.Jobs().Get(ctx, id)
			if err != nil {
				t.Fatalf("job %s through %s: %v", id, n.Name(), err)
			}
			if j.Status != api.JobStatusSucceeded || j.User != "alice" || j.Started.IsZero() || j.Finished.IsZero() {
				t.Fatalf("retired job %s through %s: %+v", id, n.Name(), j)
			}
			if st, err := cl.Jobs().Status(ctx, id); err != nil || st != api.JobStatusSucceeded {
				t.Fatalf("status of %s: %s %v", id, st, err)
			}
			if req, err := cl.Jobs().Request(ctx, id); err != nil || req.ID != id || len(req.Tags) == 0 {
				t.Fatalf("request of %s: %+v %v", id, req, err)
			}
			if ex, err := cl.Jobs().Execution(ctx, id); err != nil || ex.ExitCode == nil || *ex.ExitCode != 0 {
				t.Fatalf("execution of %s: %+v %v", id, ex, err)
			}
			md, err := cl.Jobs().Metadata(ctx, id)
			if err != nil || md.StdOutSize == nil || *md.StdOutSize != int64(len(fmt.Sprintf("out %d\n", i))) {
				t.Fatalf("metadata of %s: %+v %v", id, md, err)
			}
			if out := readOutput(t, cl, id, "stdout"); out != fmt.Sprintf("out %d\n", i) {
				t.Fatalf("stdout of retired %s through %s: %q", id, n.Name(), out)
			}
			if out := readOutput(t, cl, id, "stderr"); out != fmt.Sprintf("err %d\n", i) {
				t.Fatalf("stderr of retired %s through %s: %q", id, n.Name(), out)
			}
			if out := readOutput(t, cl, id, archive.RecordPath); !strings.Contains(out, `"formatVersion": 1`) {
				t.Fatalf("record of %s: %q", id, out)
			}
		}
		j, err := cl.Jobs().Get(ctx, jobs.disabled)
		if err != nil || j.Status != api.JobStatusSucceeded {
			t.Fatalf("retired job with log archival off through %s: %+v %v", n.Name(), j, err)
		}
		j, err = cl.Jobs().Get(ctx, jobs.invalid)
		if err != nil || j.Status != api.JobStatusInvalid || !strings.Contains(j.StatusMsg, "memory") {
			t.Fatalf("retired invalid job through %s: %+v %v", n.Name(), j, err)
		}
		if _, err := cl.Jobs().OutputFile(ctx, jobs.invalid, "stdout", 0); !api.IsNotFound(err) {
			t.Fatalf("output of a job that never ran: %v", err)
		}
		if err := cl.Jobs().Kill(ctx, jobs.ran[0]); err != nil {
			t.Fatalf("killing a retired job through %s: %v, want 202 and nothing done", n.Name(), err)
		}
		found, _, err := cl.Jobs().List(ctx, &api.JobQuery{Tags: []string{"retire-test"}})
		if err != nil || len(found) != 0 {
			t.Fatalf("search through %s lists %d retired jobs (%v)", n.Name(), len(found), err)
		}
	}

	// A retired id stays taken: another request under it is refused, and
	// the archived job is still what it was.
	req := shellJob("echo impostor")
	req.ID = jobs.ran[0]
	_, err := client(t, c.Nodes[1]).Jobs().Submit(ctx, req)
	if !api.HasStatus(err, http.StatusConflict) || !strings.Contains(err.Error(), "retired") {
		t.Fatalf("resubmitting a retired id: %v", err)
	}
	if out := readOutput(t, client(t, c.Nodes[1]), jobs.ran[0], "stdout"); out != "out 0\n" {
		t.Fatalf("the archived job changed: %q", out)
	}
}

func TestRetiredJobsAreReadFromTheLocalArchiveThroughAnyNode(t *testing.T) {
	c := MakeCluster(t, 3, func(_ int, cfg *Config) { shortRetention(cfg) })
	register(t, client(t, c.WaitForLeader()))
	jobs := runJobsToRetire(t, c)
	checkRetiredJobs(t, c, jobs)

	// Every replica counts the ids it keeps; the leaders that retired them
	// counted them once in all.
	retired := float64(len(jobs.ran) + 2)
	total := 0.0
	for _, n := range c.Nodes {
		if got := metricValue(t, n, "genie_jobs_retired"); got != retired {
			t.Fatalf("genie_jobs_retired on %s: %v, want %v", n.Name(), got, retired)
		}
		total += metricValue(t, n, "genie_jobs_retired_total")
	}
	if total != retired {
		t.Fatalf("genie_jobs_retired_total: %v over the nodes, want %v", total, retired)
	}

	// When the node whose archive holds a record leaves, the record goes
	// with it, and the answer says so.
	var gone *Node
	var goneID string
	for _, id := range jobs.ran {
		holder, _ := c.Nodes[0].State().RetiredHolder(id)
		for _, n := range c.Followers() {
			if n.ID() == holder {
				gone, goneID = n, id
			}
		}
	}
	if gone == nil {
		t.Fatal("no retired job is held by a follower")
	}
	if err := gone.Leave(); err != nil {
		t.Fatal(err)
	}
	gone.Shutdown()
	var reader *Node
	for _, n := range c.Nodes {
		if n != gone {
			reader = n
		}
	}
	WaitFor(t, 30*time.Second, "the answer for a record that left with its node", func() bool {
		_, err := client(t, reader).Jobs().Get(context.Background(), goneID)
		return api.IsNotFound(err) && strings.Contains(err.Error(), "retired with node "+gone.Name())
	})
}

func TestRetiredJobsAreReadFromTheS3Archive(t *testing.T) {
	srv := s3test.Start(t)
	srv.Env(t)
	srv.Put(t, srv.Client(t), "archive", "README", []byte("genie archives"))
	c := MakeCluster(t, 3, func(_ int, cfg *Config) {
		shortRetention(cfg)
		cfg.S3 = srv.Config()
		cfg.ArchiveS3 = "s3://archive/jobs"
	})
	register(t, client(t, c.WaitForLeader()))
	jobs := runJobsToRetire(t, c)
	checkRetiredJobs(t, c, jobs)
}

// metricValue reads an unlabelled metric from the node's /v1/metrics.
func metricValue(t *testing.T, n *Node, name string) float64 {
	t.Helper()
	for _, line := range strings.Split(metricsText(t, n), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("%s: %v", line, err)
			}
			return f
		}
	}
	t.Fatalf("no %s in the metrics of %s", name, n.Name())
	return 0
}
