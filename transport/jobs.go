package transport

import (
	"errors"
	"github.com/google/uuid"
	"mime"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/genie-cluster/genie/acl"
	"github.com/genie-cluster/genie/api"
	"github.com/genie-cluster/genie/fsm"
)

func (h *handler) jobRoutes() {
	const p = "/api/v3/jobs"
	h.handle(acl.Submit, "POST "+p, h.submitJob)
	h.handleRead(acl.Read, "GET "+p, tables(fsm.TableJobs), h.searchJobs)
	h.handleRead(acl.Read, "GET "+p+"/{id}", jobRecord, h.jobView(func(w http.ResponseWriter, r *http.Request, j *fsm.Job) {
		writeHAL(w, http.StatusOK, jobToDTO(j, baseURL(r), time.Now()))
	}))
	h.handleRead(acl.Read, "GET "+p+"/{id}/status", jobRecord, h.jobView(func(w http.ResponseWriter, r *http.Request, j *fsm.Job) {
		writeJSON(w, http.StatusOK, api.JobStatusResponse{Status: api.JobStatus(j.Status)})
	}))
	h.handleRead(acl.Read, "GET "+p+"/{id}/request", jobRecord, h.jobView(func(w http.ResponseWriter, r *http.Request, j *fsm.Job) {
		writeHAL(w, http.StatusOK, jobRequestToDTO(j, baseURL(r)))
	}))
	h.handleRead(acl.Read, "GET "+p+"/{id}/execution", jobRecord, h.jobView(func(w http.ResponseWriter, r *http.Request, j *fsm.Job) {
		writeHAL(w, http.StatusOK, jobExecutionToDTO(j, baseURL(r)))
	}))
	h.handleRead(acl.Read, "GET "+p+"/{id}/metadata", jobRecord, h.jobView(func(w http.ResponseWriter, r *http.Request, j *fsm.Job) {
		writeHAL(w, http.StatusOK, jobMetadataToDTO(j, baseURL(r)))
	}))
	h.handleRead(acl.Read, "GET "+p+"/{id}/cluster", joined(jobRecord, tables(fsm.TableClusters)), h.jobView(func(w http.ResponseWriter, r *http.Request, j *fsm.Job) {
		c := h.backend.State().Cluster(j.ClusterID)
		if c == nil {
			h.writeError(w, r, notFound("Job %s has no cluster (it was not resolved, or the cluster was deleted).", j.ID))
			return
		}
		writeHAL(w, http.StatusOK, clusterToDTO(c, baseURL(r)))
	}))
	h.handleRead(acl.Read, "GET "+p+"/{id}/command", joined(jobRecord, tables(fsm.TableCommands)), h.jobView(func(w http.ResponseWriter, r *http.Request, j *fsm.Job) {
		c := h.backend.State().Command(j.CommandID)
		if c == nil {
			h.writeError(w, r, notFound("Job %s has no command (it was not resolved, or the command was deleted).", j.ID))
			return
		}
		writeHAL(w, http.StatusOK, commandToDTO(c, baseURL(r)))
	}))
	h.handleRead(acl.Read, "GET "+p+"/{id}/applications", joined(jobRecord, tables(fsm.TableApplications)), h.jobView(func(w http.ResponseWriter, r *http.Request, j *fsm.Job) {
		state := h.backend.State()
		out := []api.Application{}
		for _, id := range j.Applications {
			if a := state.Application(id); a != nil {
				out = append(out, applicationToDTO(a, baseURL(r)))
			}
		}
		writeHAL(w, http.StatusOK, out)
	}))
	h.handle(acl.OwnJob, "DELETE "+p+"/{id}", h.killJob)
	h.handle(acl.OwnJob, "GET "+p+"/{id}/output", h.jobOutput)
	h.handle(acl.OwnJob, "GET "+p+"/{id}/output/{path...}", h.jobOutput)
}

// findJob looks a job up in the local replica. A miss may only mean the
// replica trails a write just made through another node (a submission that
// was placed elsewhere), so before answering 404 it waits for the replica
// to catch up with the leader and looks again.
func (h *handler) findJob(r *http.Request, id string) *fsm.Job {
	if j := h.backend.State().Job(id); j != nil {
		return j
	}
	if in, ok := h.backend.(Internal); ok && r.URL.Query().Get("consistent") != "true" {
		if in.ReadBarrier(r.Context()) == nil {
			return h.backend.State().Job(id)
		}
	}
	return nil
}

// jobView wraps a read of one job, answering 404 for an unknown id.
func (h *handler) jobView(fn func(http.ResponseWriter, *http.Request, *fsm.Job)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		j, err := h.lookupJob(r, id)
		if err != nil {
			h.writeError(w, r, err)
			return
		}
		if j == nil {
			h.writeError(w, r, notFound("No job with id %s", id))
			return
		}
		fn(w, r, h.withQueuePosition(j))
	}
}

// QueuePositions is implemented by a backend that queues jobs: a queued
// job's place in line, worked out when it is read.
type QueuePositions interface {
	// QueuePosition returns the job's place in line from 1, 0 when it
	// does not wait.
	QueuePosition(id string) int
}

// withQueuePosition returns j, or for a queued job a copy whose message
// gives its place in line now.
func (h *handler) withQueuePosition(j *fsm.Job) *fsm.Job {
	q, ok := h.backend.(QueuePositions)
	if !ok || !j.Queued() {
		return j
	}
	pos := q.QueuePosition(j.ID)
	if pos == 0 {
		return j
	}
	c := *j
	c.StatusMsg = fsm.QueuedMsg(pos)
	if j.StatusMsg == fsm.MsgRequeuedLost {
		c.StatusMsg += " Its first node was lost."
	}
	return &c
}

// submitJob: decode → validate → hand to the node (resolve, place, commit)
// → 202 with the job's location.
func (h *handler) submitJob(w http.ResponseWriter, r *http.Request) {
	var dto *api.JobRequest
	var files []attachment
	mt, params := "application/json", map[string]string{}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		var err error
		if mt, params, err = mime.ParseMediaType(ct); err != nil {
			h.writeError(w, r, &RequestError{Status: http.StatusUnsupportedMediaType, Message: "unreadable Content-Type: " + ct})
			return
		}
	}
	switch {
	case mt == "multipart/form-data":
		var err error
		if dto, files, err = readMultipartJob(r, params["boundary"]); err != nil {
			h.writeError(w, r, err)
			return
		}
	case mt == "application/json" || strings.HasSuffix(mt, "+json"):
		dto = new(api.JobRequest)
		if err := decodeJSON(r, dto); err != nil {
			h.writeError(w, r, err)
			return
		}
	default:
		h.writeError(w, r, &RequestError{Status: http.StatusUnsupportedMediaType, Message: "job requests are application/json or multipart/form-data, not " + mt})
		return
	}
	// The job runs as the token's user: a request naming none takes it,
	// one naming another needs an admin token.
	user, err := authorizerOf(r).SubmitAs(dto.User)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	dto.User = user
	req, err := jobRequestFromDTO(dto)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	sub := &Submission{
		Request:     req,
		RequestHash: requestHash(&req),
		ClientHost:  clientHost(r),
		UserAgent:   r.UserAgent(),
	}
	if len(files) > 0 {
		if sub.Request.ID == "" {
			sub.Request.ID = uuid.NewString()
		}
		sub.RequestHash = requestHash(&sub.Request) + "+" + attachmentsHash(files)
		if err := h.storeAttachments(r.Context(), sub, files); err != nil {
			h.writeError(w, r, err)
			return
		}
	}
	res, err := h.backend.SubmitJob(r.Context(), sub)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	w.Header().Set("Location", baseURL(r)+"/api/v3/jobs/"+res.Job.ID)
	w.WriteHeader(http.StatusAccepted)
}

// clientHost is the first X-Forwarded-For entry, else the peer address.
func clientHost(r *http.Request) string {
	if xff := r.Header.Get("X-Forwarded-For"); xff != "" {
		first, _, _ := strings.Cut(xff, ",")
		if first = strings.TrimSpace(first); first != "" {
			return first
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func (h *handler) searchJobs(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	paging, err := parsePaging(q, 10)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	f := fsm.JobFilter{
		ID:               q.Get("id"),
		Name:             q.Get("name"),
		User:             q.Get("user"),
		Tags:             multiValues(q["tag"]),
		ClusterName:      q.Get("clusterName"),
		ClusterID:        q.Get("clusterId"),
		CommandName:      q.Get("commandName"),
		CommandID:        q.Get("commandId"),
		Grouping:         q.Get("grouping"),
		GroupingInstance: q.Get("groupingInstance"),
	}
	f.OldestFirst = oldestFirst(q["sort"])
	for _, s := range normalizedValues(q["status"]) {
		st, err := api.ParseJobStatus(s)
		if err != nil {
			h.writeError(w, r, invalid("status", "%v", err))
			return
		}
		f.Statuses = append(f.Statuses, fsm.JobStatus(st))
	}
	for _, b := range []struct {
		name string
		dst  *int64
	}{{"minStarted", &f.MinStarted}, {"maxStarted", &f.MaxStarted}, {"minFinished", &f.MinFinished}, {"maxFinished", &f.MaxFinished}} {
		if *b.dst, err = millisParam(q, b.name); err != nil {
			h.writeError(w, r, err)
			return
		}
	}
	jobs, total := h.backend.State().Jobs(f, paging.offset(), paging.size)
	base, now := baseURL(r), time.Now()
	items := make([]api.JobSearchResult, 0, len(jobs))
	for _, j := range jobs {
		items = append(items, jobSearchResultToDTO(h.withQueuePosition(j), base, now))
	}
	writeHAL(w, http.StatusOK, paging.page(r, total, &api.PageEmbedded{Jobs: items}))
}

func (h *handler) killJob(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	j, err := h.lookupJob(r, id)
	switch {
	case err != nil:
		h.writeError(w, r, err)
		return
	case j == nil:
		h.writeError(w, r, notFound("No job with id %s", id))
		return
	case h.backend.State().Job(id) == nil:
		// Retired, so long finished: a kill leaves it as it is.
		w.WriteHeader(http.StatusAccepted)
		return
	}
	err = h.backend.KillJob(r.Context(), id)
	var elsewhere *ElsewhereError
	if errors.As(err, &elsewhere) {
		h.proxy(w, r, elsewhere)
		return
	}
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusAccepted)
}

// jobOutput serves the job directory: listings, and files with ranges.
func (h *handler) jobOutput(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	switch r.URL.Query().Get("follow") {
	case "true":
		h.followOutput(w, r, id)
		return
	case "", "false":
	default:
		h.writeError(w, r, badRequest("follow", "follow is true or false, not %q", r.URL.Query().Get("follow")))
		return
	}
	h.serveJobOutput(w, r, id)
}

// serveJobOutput answers a read of the job's output as it is now.
func (h *handler) serveJobOutput(w http.ResponseWriter, r *http.Request, id string) {
	j, err := h.lookupJob(r, id)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	if j == nil {
		h.writeError(w, r, notFound("No job with id %s", id))
		return
	}
	switch j.ArchiveStatus {
	case fsm.ArchiveNoFiles:
		h.writeError(w, r, notFound("Job %s has no output files.", id))
		return
	case fsm.ArchiveFailed:
		if j.Status.Terminal() {
			h.writeError(w, r, notFound("Job %s output could not be archived and is gone from its node.", id))
			return
		}
	}
	fsys, err := h.backend.JobOutput(r.Context(), j)
	var elsewhere *ElsewhereError
	if errors.As(err, &elsewhere) {
		h.proxy(w, r, elsewhere)
		return
	}
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	ServeOutput(w, r, OutputRequest{
		FS:      fsys,
		Path:    r.PathValue("path"),
		BaseURL: outputBaseURL(r, id),
	})
}

// oldestFirst reads Spring's sort parameter ("property,direction"): the
// jobs are kept in submission order, so "created,asc" lists the oldest
// first; any other sort keeps Genie's default, newest first.
func oldestFirst(sorts []string) bool {
	if len(sorts) == 0 {
		return false
	}
	prop, dir, _ := strings.Cut(sorts[0], ",")
	return strings.EqualFold(strings.TrimSpace(prop), "created") && strings.EqualFold(strings.TrimSpace(dir), "asc")
}
