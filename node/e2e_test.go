package node

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/genie-cluster/genie/api"
	"github.com/genie-cluster/genie/fsm"
)

// client returns an API client for n.
func client(t testing.TB, n *Node) *api.Client {
	t.Helper()
	c, err := api.NewClient(&api.Config{Address: "http://" + n.HTTPAddr()})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	WaitFor(t, timeout, what, cond)
}

// waitStatus waits until the job reaches want and returns it.
func waitStatus(t testing.TB, c *api.Client, id string, want api.JobStatus, timeout time.Duration) *api.Job {
	t.Helper()
	var last *api.Job
	waitFor(t, timeout, fmt.Sprintf("job %s to be %s", id, want), func() bool {
		j, err := c.Jobs().Get(context.Background(), id)
		if err != nil {
			t.Fatalf("get job %s: %v", id, err)
		}
		last = j
		if j.Status.Terminal() && j.Status != want {
			t.Fatalf("job %s ended %s (%s), want %s", id, j.Status, j.StatusMsg, want)
		}
		return j.Status == want
	})
	return last
}

// register creates the cluster and command most tests use.
func register(t testing.TB, c *api.Client) { RegisterShell(t, c) }

func shellJob(script string) *api.JobRequest { return ShellRequest("test", "alice", script) }

func submit(t testing.TB, c *api.Client, req *api.JobRequest) string {
	t.Helper()
	return Submit(t, c, req)
}

// submittedJob is n's record of a job just submitted through n: a client's
// next request there would wait for it the same way.
func submittedJob(n *Node, id string) *fsm.Job {
	n.ReadOwnWrites(context.Background())
	return n.State().Job(id)
}

func readOutput(t testing.TB, c *api.Client, id, path string) string {
	t.Helper()
	f, err := c.Jobs().OutputFile(context.Background(), id, path, 0)
	if err != nil {
		t.Fatalf("output %s of %s: %v", path, id, err)
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestSubmitEchoEndToEnd(t *testing.T) {
	n := MakeNode(t, nil)
	c := client(t, n)
	register(t, c)

	id := submit(t, c, shellJob("echo hello"))
	job := waitStatus(t, c, id, api.JobStatusSucceeded, 30*time.Second)
	if job.ClusterName != "local" || job.CommandName != "sh" || job.Started.IsZero() || job.Finished.IsZero() {
		t.Fatalf("job record: %+v", job)
	}
	exec, err := c.Jobs().Execution(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if exec.HostName != n.Name() || exec.ProcessID == nil || exec.ExitCode == nil || *exec.ExitCode != 0 {
		t.Fatalf("execution: %+v", exec)
	}
	// Output is served from the archive once the job is archived.
	waitFor(t, 10*time.Second, "archive", func() bool {
		e, err := c.Jobs().Execution(context.Background(), id)
		return err == nil && e.ArchiveStatus == api.ArchiveStatusArchived
	})
	if got := readOutput(t, c, id, "stdout"); got != "hello\n" {
		t.Fatalf("stdout %q", got)
	}
	if _, err := os.Stat(filepath.Join(n.config.DataDir, "jobs", id)); !os.IsNotExist(err) {
		t.Fatalf("working directory still there after archiving: %v", err)
	}
	listing, err := c.Jobs().OutputListing(context.Background(), id, "")
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, f := range listing.Files {
		names[f.Name] = true
	}
	if !names["stdout"] || !names["stderr"] || !names["run"] {
		t.Fatalf("listing: %+v", listing)
	}
	status, err := c.Jobs().Status(context.Background(), id)
	if err != nil || status != api.JobStatusSucceeded {
		t.Fatalf("status %s, %v", status, err)
	}
	// Counted once, though the archive changed the record again.
	if got := metricsText(t, n); !strings.Contains(got, `genie_jobs_finished_total{status="SUCCEEDED"} 1`+"\n") {
		t.Fatalf("finished counter:\n%s", got)
	}
}

func metricsText(t testing.TB, n *Node) string {
	t.Helper()
	resp, err := http.Get("http://" + n.HTTPAddr() + "/v1/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return string(body)
}

func TestFailedJobRecordsExitCode(t *testing.T) {
	n := MakeNode(t, nil)
	c := client(t, n)
	register(t, c)
	id := submit(t, c, shellJob("echo oops >&2; exit 3"))
	waitStatus(t, c, id, api.JobStatusFailed, 30*time.Second)
	exec, _ := c.Jobs().Execution(context.Background(), id)
	if exec.ExitCode == nil || *exec.ExitCode != 3 {
		t.Fatalf("exit code %v", exec.ExitCode)
	}
	waitFor(t, 10*time.Second, "archive", func() bool {
		e, err := c.Jobs().Execution(context.Background(), id)
		return err == nil && e.ArchiveStatus == api.ArchiveStatusArchived
	})
	if got := readOutput(t, c, id, "stderr"); got != "oops\n" {
		t.Fatalf("stderr %q", got)
	}
}

// processGone reports whether no process is left in the job's group.
func processGone(pgid int) bool {
	return errors.Is(syscall.Kill(-pgid, 0), syscall.ESRCH)
}

func runningPID(t testing.TB, c *api.Client, id string) int {
	t.Helper()
	waitStatus(t, c, id, api.JobStatusRunning, 30*time.Second)
	exec, err := c.Jobs().Execution(context.Background(), id)
	if err != nil || exec.ProcessID == nil {
		t.Fatalf("execution %+v, %v", exec, err)
	}
	return *exec.ProcessID
}

func TestKillRunningJob(t *testing.T) {
	n := MakeNode(t, nil)
	c := client(t, n)
	register(t, c)
	id := submit(t, c, shellJob("sleep 100"))
	pid := runningPID(t, c, id)
	if err := c.Jobs().Kill(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	job := waitStatus(t, c, id, api.JobStatusKilled, 30*time.Second)
	if !strings.Contains(job.StatusMsg, "killed") {
		t.Fatalf("status message %q", job.StatusMsg)
	}
	waitFor(t, 10*time.Second, "process group to be gone", func() bool { return processGone(pid) })
	// Killing a finished job does nothing.
	if err := c.Jobs().Kill(context.Background(), id); err != nil {
		t.Fatalf("second kill: %v", err)
	}
}

func TestKillReachesChildrenThatIgnoreSIGTERM(t *testing.T) {
	n := MakeNode(t, func(cfg *Config) { cfg.KillGrace = 500 * time.Millisecond })
	c := client(t, n)
	register(t, c)
	pids := filepath.Join(t.TempDir(), "pids")
	script := fmt.Sprintf(`trap '' TERM; (trap '' TERM; sleep 100 & echo $! >> %[1]s; sleep 100) & echo $! >> %[1]s; sleep 100`, pids)
	id := submit(t, c, shellJob(script))
	pid := runningPID(t, c, id)
	waitFor(t, 10*time.Second, "children to start", func() bool {
		b, _ := os.ReadFile(pids)
		return strings.Count(string(b), "\n") == 2
	})
	if err := c.Jobs().Kill(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, c, id, api.JobStatusKilled, 30*time.Second)
	b, _ := os.ReadFile(pids)
	for _, f := range strings.Fields(string(b)) {
		child, _ := strconv.Atoi(f)
		waitFor(t, 10*time.Second, "child "+f+" to be gone", func() bool {
			return errors.Is(syscall.Kill(child, 0), syscall.ESRCH) || isZombie(child)
		})
	}
	waitFor(t, 10*time.Second, "process group to be gone", func() bool { return processGone(pid) })
}

// isZombie reports whether pid has exited but was not reaped yet; reaping
// is its parent's business, and a zombie runs nothing.
func isZombie(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i > 0 && i+2 < len(s) && s[i+2] == 'Z'
}

func TestKillBeforeCommandStarts(t *testing.T) {
	n := MakeNode(t, nil)
	c := client(t, n)
	register(t, c)
	// A setup file whose download never finishes holds the job in INIT.
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	marker := filepath.Join(t.TempDir(), "ran")
	req := shellJob("touch " + marker)
	req.SetupFile = srv.URL + "/setup.sh"
	id := submit(t, c, req)
	waitStatus(t, c, id, api.JobStatusInit, 30*time.Second)
	if err := c.Jobs().Kill(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, c, id, api.JobStatusKilled, 30*time.Second)
	if _, err := os.Stat(marker); !os.IsNotExist(err) {
		t.Fatalf("the command ran after the kill: %v", err)
	}
}

func TestTimeoutKillsJob(t *testing.T) {
	n := MakeNode(t, nil)
	c := client(t, n)
	register(t, c)
	req := shellJob("sleep 100")
	one := 1
	req.Timeout = &one
	id := submit(t, c, req)
	job := waitStatus(t, c, id, api.JobStatusKilled, 30*time.Second)
	if !strings.Contains(strings.ToLower(job.StatusMsg), "timeout") {
		t.Fatalf("status message %q does not name the timeout", job.StatusMsg)
	}
}

func TestFullNodeQueuesKillsQueuedAndAnswers503PastMaxQueued(t *testing.T) {
	n := MakeNode(t, func(cfg *Config) { cfg.MaxJobs = 2; cfg.MaxQueued = 2 })
	c := client(t, n)
	register(t, c)
	ctx := context.Background()
	var running []string
	for i := 0; i < 2; i++ {
		id := submit(t, c, shellJob("sleep 100"))
		running = append(running, id)
		waitStatus(t, c, id, api.JobStatusRunning, 30*time.Second)
	}
	dir := t.TempDir()
	waiting := submit(t, c, shellJob("touch "+filepath.Join(dir, "first")))
	killed := submit(t, c, shellJob("touch "+filepath.Join(dir, "killed")))
	for i, id := range []string{waiting, killed} {
		j, err := c.Jobs().Get(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		want := fmt.Sprintf("Job queued: waiting for capacity (position %d).", i+1)
		if j.Status != api.JobStatusAccepted || j.StatusMsg != want {
			t.Fatalf("queued job %d: %s %q, want ACCEPTED %q", i+1, j.Status, j.StatusMsg, want)
		}
	}

	// The queue is full: the next one is refused, with a time to retry.
	_, err := c.Jobs().Submit(ctx, shellJob("true"))
	var se *api.StatusError
	if !errors.As(err, &se) || se.Code != http.StatusServiceUnavailable || se.RetryAfter <= 0 {
		t.Fatalf("past -max-queued: want 503 with Retry-After, got %v", err)
	}

	// A queued job killed ends at once and never starts.
	if err := c.Jobs().Kill(ctx, killed); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, c, killed, api.JobStatusKilled, 10*time.Second)

	// A slot frees: the first in line runs; the killed one does not.
	if err := c.Jobs().Kill(ctx, running[0]); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, c, waiting, api.JobStatusSucceeded, 30*time.Second)
	if _, err := os.Stat(filepath.Join(dir, "first")); err != nil {
		t.Fatalf("the queued job did not run: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "killed")); !os.IsNotExist(err) {
		t.Fatalf("the killed queued job ran: %v", err)
	}
}

func TestTooMuchMemoryIsInvalid(t *testing.T) {
	n := MakeNode(t, func(cfg *Config) { cfg.MaxMemory = 1024 })
	c := client(t, n)
	register(t, c)
	req := shellJob("true")
	mem := 4096
	req.Memory = &mem
	id := submit(t, c, req)
	job := waitStatus(t, c, id, api.JobStatusInvalid, 5*time.Second)
	if !strings.Contains(job.StatusMsg, "memory") {
		t.Fatalf("status message %q", job.StatusMsg)
	}
}

func TestResubmissionWithClientID(t *testing.T) {
	n := MakeNode(t, nil)
	c := client(t, n)
	register(t, c)
	req := shellJob("echo once")
	req.ID = "my-job-1"
	if id := submit(t, c, req); id != "my-job-1" {
		t.Fatalf("id %s", id)
	}
	if id := submit(t, c, req); id != "my-job-1" {
		t.Fatalf("resubmission id %s", id)
	}
	page, _, err := c.Jobs().List(context.Background(), &api.JobQuery{})
	if err != nil || len(page) != 1 {
		t.Fatalf("jobs after resubmission: %d, %v", len(page), err)
	}
	other := shellJob("echo different")
	other.ID = "my-job-1"
	_, err = c.Jobs().Submit(context.Background(), other)
	if !api.HasStatus(err, http.StatusConflict) {
		t.Fatalf("different request under a taken id: want 409, got %v", err)
	}
}

func TestUnresolvableJobAnswers412WithCriteria(t *testing.T) {
	n := MakeNode(t, nil)
	c := client(t, n)
	register(t, c)
	req := shellJob("true")
	req.ClusterCriterias = []api.ClusterCriteria{{Tags: []string{"sched:sla"}}, {Tags: []string{"sched:nightly"}}}
	_, err := c.Jobs().Submit(context.Background(), req)
	var se *api.StatusError
	if !errors.As(err, &se) || se.Code != http.StatusPreconditionFailed ||
		!strings.Contains(se.Message, "sched:sla") || !strings.Contains(se.Message, "sched:nightly") {
		t.Fatalf("want 412 naming the criteria, got %v", err)
	}
}

// rawRequest sends a request without the client, to check what the API
// says to malformed input.
func rawRequest(t testing.TB, n *Node, method, path, contentType string, body []byte) (int, map[string]interface{}) {
	t.Helper()
	req, _ := http.NewRequest(method, "http://"+n.HTTPAddr()+path, bytes.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]interface{}
	b, _ := io.ReadAll(resp.Body)
	if len(b) > 0 {
		if err := json.Unmarshal(b, &out); err != nil {
			t.Fatalf("%s %s: body is not JSON: %q", method, path, b)
		}
	}
	return resp.StatusCode, out
}

func TestBadInputGetsClearErrors(t *testing.T) {
	n := MakeNode(t, func(cfg *Config) { cfg.MaxRequestBytes = 4096 })
	c := client(t, n)
	register(t, c)
	cases := []struct {
		name, method, path string
		body               string
		status             int
		field              string
	}{
		{"malformed JSON", "POST", "/api/v3/jobs", `{"name":`, 400, ""},
		{"wrong type", "POST", "/api/v3/jobs", `{"name": 3}`, 400, "name"},
		{"missing criteria", "POST", "/api/v3/jobs", `{"name":"a","user":"b","commandCriteria":["type:shell"]}`, 412, "clusterCriterias"},
		{"blank cluster tags", "POST", "/api/v3/jobs", `{"name":"a","user":"b","clusterCriterias":[{"tags":[" "]}],"commandCriteria":["x"]}`, 412, "clusterCriterias[0].tags"},
		{"bad timeout", "POST", "/api/v3/jobs", `{"name":"a","user":"b","clusterCriterias":[{"tags":["x"]}],"commandCriteria":["x"],"timeout":0}`, 412, "timeout"},
		{"bad dependency URI", "POST", "/api/v3/jobs", `{"name":"a","user":"b","clusterCriterias":[{"tags":["x"]}],"commandCriteria":["x"],"dependencies":["ftp://x/y"]}`, 412, "dependencies[0]"},
		{"cluster without status", "POST", "/api/v3/clusters", `{"name":"a","user":"b","version":"1"}`, 412, "status"},
		{"cluster bad status", "POST", "/api/v3/clusters", `{"name":"a","user":"b","version":"1","status":"SIDEWAYS"}`, 412, "status"},
		{"command without executable", "POST", "/api/v3/commands", `{"name":"a","user":"b","version":"1","status":"ACTIVE"}`, 412, "executableAndArguments"},
		{"unknown job", "GET", "/api/v3/jobs/nope", "", 404, ""},
		{"unknown cluster", "GET", "/api/v3/clusters/nope", "", 404, ""},
		{"duplicate cluster id", "POST", "/api/v3/clusters", `{"id":"local","name":"a","user":"b","version":"1","status":"UP"}`, 409, ""},
		{"body too large", "POST", "/api/v3/jobs", `{"name":"` + strings.Repeat("x", 5000) + `"}`, 413, ""},
		{"bad search status", "GET", "/api/v3/jobs?status=NAPPING", "", 412, "status"},
		{"bad page", "GET", "/api/v3/clusters?page=-1", "", 412, "page"},
		{"wrong method", "PATCH", "/api/v3/jobs", "", 405, ""},
		{"no such endpoint", "GET", "/api/v3/nothing", "", 404, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ct := ""
			if tc.body != "" {
				ct = "application/json"
			}
			status, body := rawRequest(t, n, tc.method, tc.path, ct, []byte(tc.body))
			if status != tc.status {
				t.Fatalf("status %d, want %d (%v)", status, tc.status, body)
			}
			if body["message"] == nil || body["message"] == "" {
				t.Fatalf("no message in %v", body)
			}
			if tc.field != "" && body["field"] != tc.field {
				t.Fatalf("field %v, want %s (%v)", body["field"], tc.field, body)
			}
		})
	}
	// Nothing half-written: no job was recorded by any of the bad requests.
	if page, _, _ := c.Jobs().List(context.Background(), &api.JobQuery{}); len(page) != 0 {
		t.Fatalf("%d jobs recorded by bad requests", len(page))
	}
}

func TestRestartKeepsRegistryAndReattachesRunningJob(t *testing.T) {
	dir := t.TempDir()
	cfg := TestConfig(t, dir)
	n := StartNode(t, cfg)
	c := client(t, n)
	register(t, c)

	done := submit(t, c, shellJob("echo before"))
	waitStatus(t, c, done, api.JobStatusSucceeded, 30*time.Second)
	gate := filepath.Join(t.TempDir(), "gate")
	running := submit(t, c, shellJob(fmt.Sprintf("while [ ! -e %s ]; do sleep 0.05; done; echo after; exit 7", gate)))
	pid := runningPID(t, c, running)

	if err := n.Shutdown(); err != nil {
		t.Fatal(err)
	}
	// The job outlives its node.
	if processGone(pid) {
		t.Fatal("job process died with the node")
	}

	cfg2 := TestConfig(t, dir)
	n2 := StartNode(t, cfg2)
	c2 := client(t, n2)
	if n2.ID() != n.ID() {
		t.Fatalf("node id changed across restart: %s → %s", n.ID(), n2.ID())
	}
	if _, err := c2.Clusters().Get(context.Background(), "local"); err != nil {
		t.Fatalf("cluster after restart: %v", err)
	}
	if j, err := c2.Jobs().Get(context.Background(), done); err != nil || j.Status != api.JobStatusSucceeded {
		t.Fatalf("finished job after restart: %+v, %v", j, err)
	}
	if got := readOutput(t, c2, done, "stdout"); got != "before\n" {
		t.Fatalf("archived output after restart: %q", got)
	}

	// Let the re-attached job finish: its true exit code is recorded.
	if err := os.WriteFile(gate, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, c2, running, api.JobStatusFailed, 30*time.Second)
	exec, _ := c2.Jobs().Execution(context.Background(), running)
	if exec.ExitCode == nil || *exec.ExitCode != 7 {
		t.Fatalf("exit code after re-attach: %v", exec.ExitCode)
	}
	waitFor(t, 10*time.Second, "archive", func() bool {
		e, err := c2.Jobs().Execution(context.Background(), running)
		return err == nil && e.ArchiveStatus == api.ArchiveStatusArchived
	})
	if got := readOutput(t, c2, running, "stdout"); got != "after\n" {
		t.Fatalf("stdout of re-attached job %q", got)
	}
}

func TestRestartRecordsJobThatEndedWhileDown(t *testing.T) {
	dir := t.TempDir()
	n := StartNode(t, TestConfig(t, dir))
	c := client(t, n)
	register(t, c)
	gate := filepath.Join(t.TempDir(), "gate")
	id := submit(t, c, shellJob(fmt.Sprintf("while [ ! -e %s ]; do sleep 0.05; done; exit 0", gate)))
	pid := runningPID(t, c, id)
	n.Shutdown()

	os.WriteFile(gate, nil, 0o644)
	waitFor(t, 10*time.Second, "job to end while the node is down", func() bool { return processGone(pid) })

	n2 := StartNode(t, TestConfig(t, dir))
	waitStatus(t, client(t, n2), id, api.JobStatusSucceeded, 30*time.Second)
}

func TestDevNodeRunsFirstJob(t *testing.T) {
	n := MakeNode(t, func(cfg *Config) { cfg.Dev = true })
	c := client(t, n)
	req := &api.JobRequest{Name: "first", User: "me",
		ClusterCriterias: []api.ClusterCriteria{{Tags: []string{"sched:adhoc"}}},
		CommandCriteria:  []string{"type:shell"},
		CommandArguments: []string{"echo", "hello", "|", "tr", "a-z", "A-Z"}}
	id := submit(t, c, req)
	waitStatus(t, c, id, api.JobStatusSucceeded, 30*time.Second)
	waitFor(t, 10*time.Second, "archive", func() bool {
		e, err := c.Jobs().Execution(context.Background(), id)
		return err == nil && e.ArchiveStatus == api.ArchiveStatusArchived
	})
	if got := readOutput(t, c, id, "stdout"); got != "HELLO\n" {
		t.Fatalf("stdout %q", got)
	}
}

func TestOperatorEndpointsOnOneNode(t *testing.T) {
	n := MakeNode(t, nil)
	c := client(t, n)
	ctx := context.Background()
	members, err := c.Agent().Members(ctx)
	if err != nil || len(members) != 1 || members[0].ID != n.ID() || members[0].RaftRole != "leader" || members[0].Address != n.HTTPAddr() {
		t.Fatalf("members %+v, %v", members, err)
	}
	peers, err := c.Operator().RaftPeers(ctx)
	if err != nil || len(peers) != 1 || !peers[0].Voter || peers[0].State != "leader" || peers[0].CommitIndex == 0 {
		t.Fatalf("peers %+v, %v", peers, err)
	}
	leader, err := c.Status().Leader(ctx)
	if err != nil || leader.LeaderID != n.ID() {
		t.Fatalf("leader %+v, %v", leader, err)
	}
	if err := c.Operator().RaftTransferLeader(ctx, ""); !api.HasStatus(err, http.StatusPreconditionFailed) {
		t.Fatalf("transfer with one voter: %v", err)
	}
	if err := c.Operator().RaftRemovePeer(ctx, "nope"); !api.IsNotFound(err) {
		t.Fatalf("remove unknown peer: %v", err)
	}
	if err := c.Agent().Health(ctx); err != nil {
		t.Fatalf("health: %v", err)
	}
	body := metricsText(t, n)
	for _, want := range []string{"genie_jobs{", "genie_raft_state{state=\"Leader\"} 1", "genie_submit_latency_seconds", "genie_node_running_jobs"} {
		if !strings.Contains(body, want) {
			t.Fatalf("metrics lack %q", want)
		}
	}
}
