package main

import (
	"encoding/json"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/genie-cluster/genie/api"
)

func TestSubmitSendsTheRequestAndPrintsTheID(t *testing.T) {
	f := newFakeGenie(t)
	t.Setenv("USER", "amy")
	r := run(t, f, "jobs", "submit", "-name", "hello", "-id", "job-42",
		"-cluster-tag", "sched:adhoc", "--cluster-tag", "env:test", "-command-tag", "type:shell",
		"-timeout", "60", "-memory", "256", "-tag", "t1", "-tag", "t2", "-dependency", "file:///x.jar",
		"-setup-file", "s3://b/setup.sh", "-application", "a1", "-grouping", "nightly",
		"--", "-c", "echo 'hello world'").want(t, 0)
	if r.stdout != "job-42\n" {
		t.Fatalf("stdout %q", r.stdout)
	}
	var req api.JobRequest
	decodeBody(t, f.last("POST", "/api/v3/jobs").Body, &req)
	want := api.JobRequest{
		ID: "job-42", Name: "hello", User: "amy", Version: "1.0",
		ClusterCriterias: []api.ClusterCriteria{{Tags: []string{"sched:adhoc", "env:test"}}},
		CommandCriteria:  []string{"type:shell"},
		CommandArguments: []string{"-c", "echo 'hello world'"},
		Timeout:          ptr(60), Memory: ptr(256),
		Tags: []string{"t1", "t2"}, Dependencies: []string{"file:///x.jar"}, SetupFile: "s3://b/setup.sh",
		Applications: []string{"a1"}, Grouping: "nightly", Configs: []string{},
		Runtime: api.Runtime{Resources: api.RuntimeResources{MemoryMb: ptr(int64(256))}, Images: map[string]api.ContainerImage{}},
	}
	if !reflect.DeepEqual(req, want) {
		t.Fatalf("request\n got %+v\nwant %+v", req, want)
	}
}

func TestSubmitDefaults(t *testing.T) {
	f := newFakeGenie(t)
	t.Setenv("USER", "")
	r := run(t, f, "jobs", "submit", "/usr/bin/echo", "hi").want(t, 0)
	var req api.JobRequest
	decodeBody(t, f.last("POST", "/api/v3/jobs").Body, &req)
	if req.Name != "echo" || req.User != "genie" || req.ID != "" {
		t.Fatalf("name %q user %q id %q", req.Name, req.User, req.ID)
	}
	if !reflect.DeepEqual(req.ClusterCriterias, []api.ClusterCriteria{{Tags: []string{"sched:adhoc"}}}) ||
		!reflect.DeepEqual(req.CommandCriteria, []string{"type:shell"}) ||
		!reflect.DeepEqual(req.CommandArguments, []string{"/usr/bin/echo", "hi"}) {
		t.Fatalf("request %+v", req)
	}
	if req.Timeout != nil || req.Memory != nil {
		t.Fatalf("timeout %v memory %v should be unset", req.Timeout, req.Memory)
	}
	if strings.TrimSpace(r.stdout) != "job-1" {
		t.Fatalf("stdout %q", r.stdout)
	}
}

func TestSubmitWithoutArgumentsSendsNoArguments(t *testing.T) {
	f := newFakeGenie(t)
	run(t, f, "jobs", "submit", "-name", "bare").want(t, 0)
	body := string(f.last("POST", "/api/v3/jobs").Body)
	if !strings.Contains(body, `"commandArguments":null`) {
		t.Fatalf("body %s", body)
	}
}

func TestSubmitWaitPropagatesTheExitCode(t *testing.T) {
	cases := []struct {
		name     string
		args     []string
		code     int
		statuses []string
	}{
		{"succeeded", []string{"true"}, 0, []string{"ACCEPTED", "INIT", "RUNNING", "SUCCEEDED"}},
		{"failed with a code", []string{"exit", "3"}, 3, []string{"ACCEPTED", "INIT", "RUNNING", "FAILED"}},
		{"failed with a code a shell cannot carry", []string{"exit", "300"}, 1, []string{"ACCEPTED", "INIT", "RUNNING", "FAILED"}},
		{"killed", []string{"killed"}, 1, []string{"ACCEPTED", "INIT", "RUNNING", "KILLED"}},
		{"invalid", []string{"invalid"}, 2, []string{"ACCEPTED", "INVALID"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeGenie(t)
			args := append([]string{"jobs", "submit", "-wait", "--"}, tc.args...)
			r := run(t, f, args...).want(t, tc.code)
			lines := r.lines()
			if lines[0] != "job-1" {
				t.Fatalf("first line %q, want the id", lines[0])
			}
			var got []string
			for _, l := range lines[1:] {
				got = append(got, strings.Fields(l)[0])
			}
			if !reflect.DeepEqual(got, tc.statuses) {
				t.Fatalf("statuses %v, want %v\n%s", got, tc.statuses, r.stdout)
			}
			if !strings.Contains(r.stdout, "RUNNING   Job is running.") && tc.name != "invalid" {
				t.Fatalf("status lines lack their messages:\n%s", r.stdout)
			}
		})
	}
}

func TestSubmitWaitJSON(t *testing.T) {
	f := newFakeGenie(t)
	r := run(t, f, "jobs", "submit", "-wait", "-json", "--", "true").want(t, 0)
	dec := json.NewDecoder(strings.NewReader(r.stdout))
	var first map[string]string
	if err := dec.Decode(&first); err != nil || first["id"] != "job-1" {
		t.Fatalf("first object %v, %v", first, err)
	}
	var statuses []string
	for dec.More() {
		var change struct{ ID, Status, StatusMsg string }
		if err := dec.Decode(&change); err != nil {
			t.Fatal(err)
		}
		statuses = append(statuses, change.Status)
	}
	if !reflect.DeepEqual(statuses, []string{"ACCEPTED", "INIT", "RUNNING", "SUCCEEDED"}) {
		t.Fatalf("statuses %v", statuses)
	}
}

func TestSubmitErrorPrintsTheServerMessageAndField(t *testing.T) {
	f := newFakeGenie(t)
	r := run(t, f, "jobs", "submit", "-command-tag", "type:missing", "--", "true").want(t, 1)
	if r.stdout != "" {
		t.Fatalf("stdout %q", r.stdout)
	}
	for _, want := range []string{"Error submitting job", "412", "No command matches [type:missing]", "field commandCriteria"} {
		if !strings.Contains(r.stderr, want) {
			t.Fatalf("stderr %q lacks %q", r.stderr, want)
		}
	}
}

func seedJobs(f *fakeGenie) {
	started := api.NewTime(time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC))
	f.addJob(&fakeJob{job: api.Job{ID: "j-1", Name: "etl", User: "amy", Status: api.JobStatusRunning,
		StatusMsg: "Job is running.", ClusterName: "prod", CommandName: "spark", Started: started,
		Runtime: api.Duration(90 * time.Second)}, started: true})
	f.addJob(&fakeJob{job: api.Job{ID: "j-2", Name: "report-with-a-long-name", User: "bob", Status: api.JobStatusSucceeded,
		StatusMsg: "Job finished successfully.", ClusterName: "adhoc", CommandName: "sh", Started: started,
		Finished: started, Runtime: api.Duration(1500 * time.Millisecond)},
		timeline: []fakeStep{{api.JobStatusSucceeded, "Job finished successfully.", ptr(0)}}, started: true,
		stdout: []byte("report done\n"), stderr: []byte("warning: x\n")})
	f.addJob(&fakeJob{job: api.Job{ID: "j-3", Name: "queued", User: "amy", Status: api.JobStatusAccepted}})
}

func TestJobsListTable(t *testing.T) {
	f := newFakeGenie(t)
	seedJobs(f)
	r := run(t, f, "jobs", "list", "-status", "running,succeeded", "-user", "amy").want(t, 0)
	if got := f.seen(); got[len(got)-1] != "GET /api/v3/jobs?status=RUNNING&status=SUCCEEDED&user=amy" {
		t.Fatalf("request %v", got)
	}
	lines := r.lines()
	if len(lines) != 2 {
		t.Fatalf("want a header and one row:\n%s", r.stdout)
	}
	want := []string{"ID", "NAME", "USER", "STATUS", "CLUSTER", "COMMAND", "STARTED", "RUNTIME"}
	if got := fields(lines[0]); !reflect.DeepEqual(got, want) {
		t.Fatalf("header %q", got)
	}
	row := fields(lines[1])
	if row[0] != "j-1" || row[1] != "etl" || row[3] != "RUNNING" || row[4] != "prod" || row[5] != "spark" || row[7] != "1m30s" {
		t.Fatalf("row %q", row)
	}
}

func TestJobsListAlignsColumns(t *testing.T) {
	f := newFakeGenie(t)
	seedJobs(f)
	r := run(t, f, "jobs", "list").want(t, 0)
	lines := r.lines()
	if len(lines) != 4 {
		t.Fatalf("want a header and three rows:\n%s", r.stdout)
	}
	at := column(t, lines[0], "STATUS")
	for _, l := range lines[1:] {
		if l[at-1] != ' ' || l[at] == ' ' {
			t.Fatalf("STATUS column not aligned at %d:\n%s", at, r.stdout)
		}
	}
	if !strings.Contains(lines[3], "ACCEPTED") || !strings.Contains(lines[3], " - ") {
		t.Fatalf("unstarted job should show dashes: %q", lines[3])
	}
}

func TestJobsListJSON(t *testing.T) {
	f := newFakeGenie(t)
	seedJobs(f)
	r := run(t, f, "jobs", "list", "-json").want(t, 0)
	var jobs []api.JobSearchResult
	if err := json.Unmarshal([]byte(r.stdout), &jobs); err != nil {
		t.Fatalf("%v\n%s", err, r.stdout)
	}
	if len(jobs) != 3 || jobs[1].ID != "j-2" || jobs[1].Runtime != api.Duration(1500*time.Millisecond) {
		t.Fatalf("jobs %+v", jobs)
	}
	if !strings.Contains(r.stdout, `"runtime": "PT1.5S"`) || !strings.Contains(r.stdout, `"finished": null`) {
		t.Fatalf("JSON is not the API's:\n%s", r.stdout)
	}
}

func TestJobsListEmpty(t *testing.T) {
	f := newFakeGenie(t)
	r := run(t, f, "jobs", "list").want(t, 0)
	if r.stdout != "No jobs found\n" {
		t.Fatalf("stdout %q", r.stdout)
	}
	r = run(t, f, "jobs", "list", "-json").want(t, 0)
	if strings.TrimSpace(r.stdout) != "[]" {
		t.Fatalf("stdout %q", r.stdout)
	}
}

func TestJobsListRejectsUnknownStatus(t *testing.T) {
	f := newFakeGenie(t)
	r := run(t, f, "jobs", "list", "-status", "done").want(t, 1)
	if !strings.Contains(r.stderr, `unknown job status "done"`) || len(f.seen()) != 0 {
		t.Fatalf("stderr %q, requests %v", r.stderr, f.seen())
	}
}

func TestJobsStatus(t *testing.T) {
	f := newFakeGenie(t)
	seedJobs(f)
	r := run(t, f, "jobs", "status", "j-2").want(t, 0)
	for _, want := range []string{"Status    = SUCCEEDED", "Message   = Job finished successfully.", "Node      = node-1", "Exit Code = 0"} {
		if !strings.Contains(r.stdout, want) {
			t.Fatalf("stdout lacks %q:\n%s", want, r.stdout)
		}
	}
	r = run(t, f, "jobs", "status", "j-3").want(t, 0)
	if !strings.Contains(r.stdout, "Node      = -") || !strings.Contains(r.stdout, "Exit Code = -") {
		t.Fatalf("a queued job has no node or exit code yet:\n%s", r.stdout)
	}
	r = run(t, f, "jobs", "status", "-json", "j-2").want(t, 0)
	var st map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil || st["status"] != "SUCCEEDED" || st["exitCode"] != 0.0 || st["hostName"] != "node-1" {
		t.Fatalf("%v %v", st, err)
	}
}

func TestJobsStatusOfAMissingJob(t *testing.T) {
	f := newFakeGenie(t)
	r := run(t, f, "jobs", "status", "nope").want(t, 1)
	if !strings.Contains(r.stderr, "404 Not Found: No job with id nope") {
		t.Fatalf("stderr %q", r.stderr)
	}
}

func TestJobsGet(t *testing.T) {
	f := newFakeGenie(t)
	seedJobs(f)
	r := run(t, f, "jobs", "get", "j-1").want(t, 0)
	for _, want := range []string{"ID                = j-1", "Cluster           = prod", "Runtime           = 1m30s", "Finished          = -"} {
		if !strings.Contains(r.stdout, want) {
			t.Fatalf("stdout lacks %q:\n%s", want, r.stdout)
		}
	}
	r = run(t, f, "jobs", "get", "-json", "j-1").want(t, 0)
	var job api.Job
	if err := json.Unmarshal([]byte(r.stdout), &job); err != nil || job.ID != "j-1" || job.Status != api.JobStatusRunning {
		t.Fatalf("%+v %v", job, err)
	}
}

func TestJobsLogs(t *testing.T) {
	f := newFakeGenie(t)
	seedJobs(f)
	r := run(t, f, "jobs", "logs", "j-2").want(t, 0)
	if r.stdout != "report done\n" {
		t.Fatalf("stdout %q", r.stdout)
	}
	r = run(t, f, "jobs", "logs", "--stderr", "j-2").want(t, 0)
	if r.stdout != "warning: x\n" {
		t.Fatalf("stderr file %q", r.stdout)
	}
	r = run(t, f, "jobs", "logs", "j-3").want(t, 1)
	if !strings.Contains(r.stderr, "Error reading stdout of job j-3") || !strings.Contains(r.stderr, "404") {
		t.Fatalf("stderr %q", r.stderr)
	}
}

func TestJobsLogsFollowsAGrowingFileUntilTheJobEnds(t *testing.T) {
	f := newFakeGenie(t)
	f.addJob(&fakeJob{
		job: api.Job{ID: "j-f", Name: "follow", Status: api.JobStatusAccepted},
		timeline: []fakeStep{
			{api.JobStatusAccepted, "", nil},
			{api.JobStatusRunning, "", nil},
			{api.JobStatusSucceeded, "", ptr(0)},
		},
		chunks: []string{"line 1\n", "line 2\n", "line 3\n"},
		tail:   "bye\n",
	})
	r := run(t, f, "jobs", "logs", "-f", "j-f").want(t, 0)
	if r.stdout != "line 1\nline 2\nline 3\nbye\n" {
		t.Fatalf("stdout %q", r.stdout)
	}
	var ranges []string
	f.mu.Lock()
	for _, req := range f.requests {
		if strings.HasSuffix(req.Path, "/output/stdout") && req.Range != "" && !slices.Contains(ranges, req.Range) {
			ranges = append(ranges, req.Range)
		}
	}
	f.mu.Unlock()
	want := []string{"bytes=7-", "bytes=14-", "bytes=21-", "bytes=25-"}
	if !reflect.DeepEqual(ranges, want) {
		t.Fatalf("ranges %v, want %v", ranges, want)
	}
	if last := f.seen(); last[len(last)-1] != "GET /api/v3/jobs/j-f/output/stdout" {
		t.Fatalf("the last request should re-read the finished file: %v", last)
	}
}

func TestJobsKill(t *testing.T) {
	f := newFakeGenie(t)
	seedJobs(f)
	r := run(t, f, "jobs", "kill", "j-1").want(t, 0)
	if r.stdout != "Kill requested for job j-1\n" {
		t.Fatalf("stdout %q", r.stdout)
	}
	if got := f.seen(); !slices.Contains(got, "DELETE /api/v3/jobs/j-1") {
		t.Fatalf("requests %v", got)
	}
	r = run(t, f, "jobs", "wait", "j-1").want(t, 1)
	if !strings.Contains(r.stdout, "KILLED") {
		t.Fatalf("stdout %q", r.stdout)
	}
}

func TestJobsWait(t *testing.T) {
	f := newFakeGenie(t)
	f.addJob(&fakeJob{
		job: api.Job{ID: "j-w", Status: api.JobStatusRunning, StatusMsg: "Job is running."},
		timeline: []fakeStep{
			{api.JobStatusRunning, "Job is running.", nil},
			{api.JobStatusRunning, "Job is running.", nil},
			{api.JobStatusFailed, "Job failed.", ptr(7)},
		},
	})
	r := run(t, f, "jobs", "wait", "j-w").want(t, 7)
	if r.stdout != "RUNNING   Job is running.\nFAILED    Job failed.\n" {
		t.Fatalf("stdout %q", r.stdout)
	}
	r = run(t, f, "jobs", "wait", "nope").want(t, 1)
	if !strings.Contains(r.stderr, "No job with id nope") {
		t.Fatalf("stderr %q", r.stderr)
	}
}

func TestSubmitAttachSendsFilesAsMultipart(t *testing.T) {
	f := newFakeGenie(t)
	dir := t.TempDir()
	path := dir + "/query.sql"
	if err := os.WriteFile(path, []byte("select 42"), 0o644); err != nil {
		t.Fatal(err)
	}
	run(t, f, "jobs", "submit", "-attach", path, "--", "cat query.sql").want(t, 0)
	body := string(f.last("POST", "/api/v3/jobs").Body)
	if !strings.Contains(body, `name="attachment"; filename="query.sql"`) || !strings.Contains(body, "select 42") {
		t.Fatalf("multipart body:\n%s", body)
	}
	run(t, f, "jobs", "submit", "-attach", dir+"/missing", "--", "true").want(t, 1)
}
