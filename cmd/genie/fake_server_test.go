package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/genie-cluster/genie/api"
)

// fakeGenie imitates enough of a genie node's API to drive every command.
// Registry resources are kept as generic JSON objects, so one set of
// handlers serves clusters, commands and applications.
type fakeGenie struct {
	t   *testing.T
	srv *httptest.Server

	mu        sync.Mutex
	requests  []fakeRequest
	jobs      map[string]*fakeJob
	resources map[string]map[string]map[string]any // kind -> id -> object
	order     map[string][]string                  // kind -> ids in creation order
	cmdApps   map[string][]string
	members   []api.Member
	peers     []api.RaftPeer
	nextID    int
}

// fakeRequest is what the server saw of one request.
type fakeRequest struct {
	Method, Path, Query, Range string
	Body                       []byte
}

func (r fakeRequest) String() string {
	s := r.Method + " " + r.Path
	if r.Query != "" {
		s += "?" + r.Query
	}
	return s
}

// fakeJob is a job whose statuses follow a timeline: the n-th status poll
// sees timeline[n-1] (the last entry once they run out).
type fakeJob struct {
	job      api.Job
	request  api.JobRequest
	timeline []fakeStep
	polls    int

	stdout, stderr []byte
	// started says the output files exist.
	started bool
	// chunks are appended to stdout, one per output read, while running;
	// tail is appended when the job finishes.
	chunks []string
	tail   string
}

type fakeStep struct {
	status   api.JobStatus
	msg      string
	exitCode *int
}

func (j *fakeJob) current() fakeStep {
	i := min(max(j.polls-1, 0), len(j.timeline)-1)
	return j.timeline[i]
}

// sync brings the job's fields in line with its timeline.
func (j *fakeJob) sync() {
	s := j.current()
	if j.job.Status == s.status {
		return
	}
	j.job.Status, j.job.StatusMsg = s.status, s.msg
	switch s.status {
	case api.JobStatusRunning:
		j.started = true
		j.job.Started = api.NewTime(time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC))
	case api.JobStatusSucceeded, api.JobStatusFailed, api.JobStatusKilled:
		j.started = true
		j.stdout = append(j.stdout, j.tail...)
		j.job.Finished = api.NewTime(time.Date(2024, 5, 1, 12, 0, 2, 500e6, time.UTC))
		j.job.Runtime = api.Duration(2500 * time.Millisecond)
	}
}

func newFakeGenie(t *testing.T) *fakeGenie {
	f := &fakeGenie{
		t:         t,
		jobs:      map[string]*fakeJob{},
		resources: map[string]map[string]map[string]any{},
		order:     map[string][]string{},
		cmdApps:   map[string][]string{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v3/jobs", f.submit)
	mux.HandleFunc("GET /api/v3/jobs", f.listJobs)
	mux.HandleFunc("GET /api/v3/jobs/{id}", f.withJob(func(w http.ResponseWriter, r *http.Request, j *fakeJob) {
		writeJSON(w, 200, j.job)
	}))
	mux.HandleFunc("DELETE /api/v3/jobs/{id}", f.withJob(func(w http.ResponseWriter, r *http.Request, j *fakeJob) {
		if !j.job.Status.Terminal() {
			j.timeline = append(j.timeline[:max(j.polls, 1)], fakeStep{api.JobStatusKilled, "Job was killed by user.", ptr(api.ExitCodeKilled)})
		}
		w.WriteHeader(http.StatusAccepted)
	}))
	mux.HandleFunc("GET /api/v3/jobs/{id}/status", f.withJob(func(w http.ResponseWriter, r *http.Request, j *fakeJob) {
		j.polls++
		// A running job with output still to write stays running.
		if j.job.Status == api.JobStatusRunning && len(j.chunks) > 0 {
			j.polls--
		}
		j.sync()
		writeJSON(w, 200, api.JobStatusResponse{Status: j.job.Status})
	}))
	mux.HandleFunc("GET /api/v3/jobs/{id}/execution", f.withJob(func(w http.ResponseWriter, r *http.Request, j *fakeJob) {
		if j.job.Status == api.JobStatusAccepted || j.job.Status == api.JobStatusInvalid {
			writeJSON(w, 404, api.Error{ErrorCode: 404, Message: "No job execution with id " + j.job.ID})
			return
		}
		writeJSON(w, 200, api.JobExecution{ID: j.job.ID, HostName: "node-1", ExitCode: j.current().exitCode})
	}))
	mux.HandleFunc("GET /api/v3/jobs/{id}/output/{file}", f.withJob(f.output))
	for _, kind := range []string{"clusters", "commands", "applications"} {
		f.resources[kind] = map[string]map[string]any{}
		f.registryRoutes(mux, kind)
	}
	mux.HandleFunc("PUT /api/v3/commands/{id}/applications", func(w http.ResponseWriter, r *http.Request) {
		var ids []string
		json.NewDecoder(r.Body).Decode(&ids)
		f.cmdApps[r.PathValue("id")] = ids
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /api/v3/commands/{id}/applications", func(w http.ResponseWriter, r *http.Request) {
		out := []map[string]any{}
		for _, id := range f.cmdApps[r.PathValue("id")] {
			out = append(out, map[string]any{"id": id})
		}
		writeJSON(w, 200, out)
	})
	mux.HandleFunc("GET /v1/agent/members", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, f.members) })
	mux.HandleFunc("GET /v1/operator/raft/peers", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, f.peers) })
	mux.HandleFunc("POST /v1/operator/raft/remove-peer", func(w http.ResponseWriter, r *http.Request) {
		id := r.URL.Query().Get("id")
		if !slices.ContainsFunc(f.peers, func(p api.RaftPeer) bool { return p.ID == id }) {
			writeJSON(w, 404, api.Error{ErrorCode: 404, Message: "no raft peer with id " + id, Field: "id"})
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	mux.HandleFunc("POST /v1/operator/raft/transfer-leader", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
	})
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		f.mu.Lock()
		defer f.mu.Unlock()
		f.requests = append(f.requests, fakeRequest{
			Method: r.Method, Path: r.URL.EscapedPath(), Query: r.URL.RawQuery, Range: r.Header.Get("Range"), Body: body,
		})
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func ptr[T any](v T) *T { return &v }

// seen returns the requests the server saw, as "METHOD /path?query".
func (f *fakeGenie) seen() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]string, len(f.requests))
	for i, r := range f.requests {
		out[i] = r.String()
	}
	return out
}

// last returns the last request matching method and path.
func (f *fakeGenie) last(method, path string) fakeRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := len(f.requests) - 1; i >= 0; i-- {
		if r := f.requests[i]; r.Method == method && r.Path == path {
			return r
		}
	}
	f.t.Fatalf("no %s %s among %v", method, path, f.requests)
	return fakeRequest{}
}

// addJob registers a job that has already been submitted.
func (f *fakeGenie) addJob(j *fakeJob) {
	if len(j.timeline) == 0 {
		j.timeline = []fakeStep{{status: j.job.Status, msg: j.job.StatusMsg}}
	}
	f.jobs[j.job.ID] = j
}

func (f *fakeGenie) withJob(h func(http.ResponseWriter, *http.Request, *fakeJob)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		j, ok := f.jobs[r.PathValue("id")]
		if !ok {
			writeJSON(w, 404, api.Error{ErrorCode: 404, Message: "No job with id " + r.PathValue("id")})
			return
		}
		h(w, r, j)
	}
}

// submit accepts a job whose outcome its arguments choose: "exit N" fails
// with exit code N, "killed" is killed, "invalid" is invalid, anything else
// succeeds. A command tag "type:missing" matches no command.
func (f *fakeGenie) submit(w http.ResponseWriter, r *http.Request) {
	var req api.JobRequest
	body := io.Reader(r.Body)
	if mt, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "multipart/form-data" {
		// The request part; the attachments stay in the recorded body.
		part, err := multipart.NewReader(r.Body, params["boundary"]).NextPart()
		if err != nil || part.FormName() != "request" {
			writeJSON(w, 400, api.Error{ErrorCode: 400, Message: "no request part first", Field: "request"})
			return
		}
		body = part
	}
	if err := json.NewDecoder(body).Decode(&req); err != nil {
		writeJSON(w, 400, api.Error{ErrorCode: 400, Message: err.Error()})
		return
	}
	if req.Name == "" {
		writeJSON(w, 412, api.Error{ErrorCode: 412, Message: "must not be blank", Field: "name"})
		return
	}
	if slices.Contains(req.CommandCriteria, "type:missing") {
		writeJSON(w, 412, api.Error{ErrorCode: 412, Message: "No command matches [type:missing]", Field: "commandCriteria"})
		return
	}
	id := req.ID
	if id == "" {
		f.nextID++
		id = fmt.Sprintf("job-%d", f.nextID)
	}
	final := fakeStep{api.JobStatusSucceeded, "Job finished successfully.", ptr(0)}
	var code int
	switch args := req.CommandArguments; {
	case len(args) == 2 && args[0] == "exit":
		fmt.Sscan(args[1], &code)
		final = fakeStep{api.JobStatusFailed, "Job failed.", ptr(code)}
	case len(args) == 1 && args[0] == "killed":
		final = fakeStep{api.JobStatusKilled, "Job was killed by user.", ptr(api.ExitCodeKilled)}
	case len(args) == 1 && args[0] == "invalid":
		final = fakeStep{api.JobStatusInvalid, "Job requests more memory than any node has.", nil}
	}
	timeline := []fakeStep{{api.JobStatusAccepted, "Job accepted and placed on node node-1.", nil}}
	if final.status != api.JobStatusInvalid {
		timeline = append(timeline,
			fakeStep{api.JobStatusInit, "Job is being set up.", nil},
			fakeStep{api.JobStatusRunning, "Job is running.", nil})
	}
	timeline = append(timeline, final)
	j := &fakeJob{
		job: api.Job{
			ID: id, Name: req.Name, User: req.User, Version: req.Version, Tags: req.Tags,
			CommandArgs: req.JoinedCommandArgs(), ClusterName: "local", CommandName: "shell",
		},
		request:  req,
		timeline: timeline,
	}
	j.sync()
	f.jobs[id] = j
	w.Header().Set("Location", f.srv.URL+"/api/v3/jobs/"+id)
	w.WriteHeader(http.StatusAccepted)
}

func (f *fakeGenie) listJobs(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var out []api.JobSearchResult
	ids := make([]string, 0, len(f.jobs))
	for id := range f.jobs {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		j := f.jobs[id].job
		if st := q["status"]; len(st) > 0 && !slices.Contains(st, string(j.Status)) {
			continue
		}
		if u := q.Get("user"); u != "" && u != j.User {
			continue
		}
		out = append(out, api.JobSearchResult{
			ID: j.ID, Name: j.Name, User: j.User, Status: j.Status, Started: j.Started,
			Finished: j.Finished, ClusterName: j.ClusterName, CommandName: j.CommandName, Runtime: j.Runtime,
		})
	}
	writeJSON(w, 200, api.Page{
		Embedded: &api.PageEmbedded{Jobs: out},
		Page:     api.PageMetadata{Size: 10, TotalElements: int64(len(out)), TotalPages: 1},
	})
}

// output serves stdout and stderr with Range support; each read of a
// running job's stdout first appends its next chunk.
func (f *fakeGenie) output(w http.ResponseWriter, r *http.Request, j *fakeJob) {
	if !j.started {
		writeJSON(w, 404, api.Error{ErrorCode: 404, Message: "No output yet"})
		return
	}
	var content []byte
	switch r.PathValue("file") {
	case "stdout":
		if j.job.Status == api.JobStatusRunning && len(j.chunks) > 0 {
			j.stdout = append(j.stdout, j.chunks[0]...)
			j.chunks = j.chunks[1:]
		}
		content = j.stdout
	case "stderr":
		content = j.stderr
	default:
		writeJSON(w, 404, api.Error{ErrorCode: 404, Message: "No such file"})
		return
	}
	w.Header().Set("Content-Type", "text/plain")
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(content))
}

// registryRoutes serves clusters, commands or applications from generic
// JSON objects.
func (f *fakeGenie) registryRoutes(mux *http.ServeMux, kind string) {
	base := "/api/v3/" + kind
	singular := strings.TrimSuffix(kind, "s")
	withResource := func(h func(http.ResponseWriter, *http.Request, map[string]any)) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			obj, ok := f.resources[kind][r.PathValue("id")]
			if !ok {
				writeJSON(w, 404, api.Error{ErrorCode: 404, Message: fmt.Sprintf("No %s with id %s", singular, r.PathValue("id"))})
				return
			}
			h(w, r, obj)
		}
	}
	mux.HandleFunc("POST "+base, func(w http.ResponseWriter, r *http.Request) {
		var obj map[string]any
		if err := json.NewDecoder(r.Body).Decode(&obj); err != nil {
			writeJSON(w, 400, api.Error{ErrorCode: 400, Message: err.Error()})
			return
		}
		id, _ := obj["id"].(string)
		if id == "" {
			f.nextID++
			id = fmt.Sprintf("%s-%d", singular, f.nextID)
			obj["id"] = id
		}
		if _, dup := f.resources[kind][id]; dup {
			writeJSON(w, 409, api.Error{ErrorCode: 409, Message: fmt.Sprintf("A %s with id %s already exists", singular, id), Field: "id"})
			return
		}
		f.resources[kind][id] = obj
		f.order[kind] = append(f.order[kind], id)
		w.Header().Set("Location", f.srv.URL+base+"/"+id)
		w.WriteHeader(http.StatusCreated)
	})
	mux.HandleFunc("GET "+base, func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		var items []json.RawMessage
		for _, id := range f.order[kind] {
			obj, ok := f.resources[kind][id]
			if !ok {
				continue
			}
			if st := q["status"]; len(st) > 0 && !slices.Contains(st, fmt.Sprint(obj["status"])) {
				continue
			}
			if n := q.Get("name"); n != "" && n != obj["name"] {
				continue
			}
			b, _ := json.Marshal(obj)
			items = append(items, b)
		}
		out := map[string]any{
			"_links": map[string]any{},
			"page":   api.PageMetadata{Size: 64, TotalElements: int64(len(items)), TotalPages: 1},
		}
		if len(items) > 0 {
			out["_embedded"] = map[string]any{singular + "List": items}
		}
		writeJSON(w, 200, out)
	})
	mux.HandleFunc("GET "+base+"/{id}", withResource(func(w http.ResponseWriter, r *http.Request, obj map[string]any) {
		writeJSON(w, 200, obj)
	}))
	mux.HandleFunc("PUT "+base+"/{id}", withResource(func(w http.ResponseWriter, r *http.Request, obj map[string]any) {
		var next map[string]any
		json.NewDecoder(r.Body).Decode(&next)
		if next["id"] != r.PathValue("id") {
			writeJSON(w, 400, api.Error{ErrorCode: 400, Message: "Body id must match the path id", Field: "id"})
			return
		}
		f.resources[kind][r.PathValue("id")] = next
		w.WriteHeader(http.StatusNoContent)
	}))
	mux.HandleFunc("DELETE "+base+"/{id}", withResource(func(w http.ResponseWriter, r *http.Request, obj map[string]any) {
		delete(f.resources[kind], r.PathValue("id"))
		w.WriteHeader(http.StatusNoContent)
	}))
	mux.HandleFunc("POST "+base+"/{id}/tags", withResource(func(w http.ResponseWriter, r *http.Request, obj map[string]any) {
		var tags []any
		json.NewDecoder(r.Body).Decode(&tags)
		have, _ := obj["tags"].([]any)
		obj["tags"] = append(have, tags...)
		w.WriteHeader(http.StatusNoContent)
	}))
	mux.HandleFunc("DELETE "+base+"/{id}/tags/{tag}", withResource(func(w http.ResponseWriter, r *http.Request, obj map[string]any) {
		have, _ := obj["tags"].([]any)
		obj["tags"] = slices.DeleteFunc(have, func(t any) bool { return t == r.PathValue("tag") })
		w.WriteHeader(http.StatusNoContent)
	}))
}
