package transport

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/genie-cluster/genie/acl"
	"github.com/genie-cluster/genie/archive"
	"github.com/genie-cluster/genie/fsm"
)

// RetiredJobs is implemented by a backend that retires finished jobs from
// the state and answers for them from the archive.
type RetiredJobs interface {
	// RetiredJob returns a retired job's record, nil and no error for a
	// job that was never retired.
	RetiredJob(ctx context.Context, id string) (*fsm.Job, error)
	// LocalRecord reads a retired job's record from this node's own
	// archive, for a peer that has no access to it.
	LocalRecord(ctx context.Context, id string) (location string, record []byte, err error)
}

// ArchiveLocationHeader carries, with a record a peer sends, where the
// job's archive is.
const ArchiveLocationHeader = "X-Genie-Archive-Location"

// InternalRecordPath is where a node serves the records in its archive.
func InternalRecordPath(escapedID string) string {
	return "/v1/internal/jobs/" + escapedID + "/record"
}

func (h *handler) retiredRoutes() {
	rj, ok := h.backend.(RetiredJobs)
	if !ok {
		return
	}
	h.handle(acl.Server, "GET /v1/internal/jobs/{id}/record", func(w http.ResponseWriter, r *http.Request) {
		loc, b, err := rj.LocalRecord(r.Context(), r.PathValue("id"))
		if err != nil {
			h.writeError(w, r, err)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set(ArchiveLocationHeader, loc)
		w.WriteHeader(http.StatusOK)
		w.Write(b)
	})
}

// FetchRecord asks a node for a record in its archive (url is its
// InternalRecordPath). An error the node answers with comes back as the
// same error, so a 404 there is a 404 here.
func FetchRecord(ctx context.Context, hc *http.Client, url, from string) (string, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", nil, err
	}
	req.Header.Set(ForwardedFromHeader, from)
	resp, err := hc.Do(req)
	if err != nil {
		return "", nil, &UnavailableError{Reason: fmt.Sprintf("the node holding the record does not answer: %v", err), RetryAfter: time.Second}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, archive.MaxRecordBytes+1))
	if err != nil {
		return "", nil, &UnavailableError{Reason: fmt.Sprintf("reading the record from the node holding it: %v", err), RetryAfter: time.Second}
	}
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return "", nil, &fsm.Error{Code: fsm.ErrCodeNotFound, Message: errorMessage(b)}
	case resp.StatusCode != http.StatusOK:
		return "", nil, fmt.Errorf("%s answered %d: %s", url, resp.StatusCode, errorMessage(b))
	case len(b) > archive.MaxRecordBytes:
		return "", nil, fmt.Errorf("%s answered a record of more than %d bytes", url, archive.MaxRecordBytes)
	}
	return resp.Header.Get(ArchiveLocationHeader), b, nil
}

// errorMessage is the message of an error body, or the body itself.
func errorMessage(b []byte) string {
	var body errorBody
	if json.Unmarshal(b, &body) == nil && body.Message != "" {
		return body.Message
	}
	return string(b)
}

// lookupJob finds a job in the local replica (see findJob) or, once it was
// retired from the state, in the archive. It returns nil and no error for
// a job that does not exist; an error says why a retired job's record
// cannot be read.
func (h *handler) lookupJob(r *http.Request, id string) (*fsm.Job, error) {
	if j := h.findJob(r, id); j != nil {
		return j, nil
	}
	rj, ok := h.backend.(RetiredJobs)
	if !ok {
		return nil, nil
	}
	return rj.RetiredJob(r.Context(), id)
}
