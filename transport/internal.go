package transport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/genie-cluster/genie/acl"
	"github.com/genie-cluster/genie/api"
	"github.com/genie-cluster/genie/fsm"
)

// Internal is what nodes ask of each other.
type Internal interface {
	// ApplyEntry commits an encoded log entry; only the leader can.
	ApplyEntry(ctx context.Context, entry []byte) (*fsm.ApplyResult, error)
	// ApplyEntries commits entries sent together, each with its own answer.
	ApplyEntries(ctx context.Context, entries [][]byte) []AppliedEntry
	// Self describes this node and its progress through the log.
	Self() api.AgentSelf
	// ReadIndex confirms this node leads and returns its commit index, for
	// a follower's linearizable read.
	ReadIndex(ctx context.Context) (uint64, error)
	// ReadBarrier waits until this node's replica reflects every write
	// committed before the call: the ?consistent=true read.
	ReadBarrier(ctx context.Context) error
	// ReadOwnWrites waits until this node's replica holds every write this
	// node acknowledged to a client, so a client reads back what it wrote
	// through this node.
	ReadOwnWrites(ctx context.Context)
}

// Paths of the node-to-node endpoints.
const (
	InternalApplyPath = "/v1/internal/apply"
	// InternalApplyBatchPath takes entries sent together, msgpack-encoded
	// as a list, and answers an InternalBatchResponse.
	InternalApplyBatchPath = "/v1/internal/apply-batch"
	InternalReadIndex      = "/v1/internal/read-index"
	InternalSelfPath       = "/v1/internal/self"
	// ForwardedFromHeader marks a request one node sends another on a
	// client's behalf, as Genie does; it carries the sender.
	ForwardedFromHeader = "Genie-Forwarded-From"
	msgpackContentType  = "application/x-msgpack"
)

// InternalResponse answers an internal call: the result, or the error the
// receiving node would have answered a client with, so the sending node
// answers its client the same way.
type InternalResponse struct {
	Index    uint64
	Job      *fsm.Job
	Existing bool
	Assigned int

	Status     int // 0 when there is no error
	ErrCode    fsm.ErrorCode
	Message    string
	Field      string
	RetryAfter time.Duration
}

// AppliedEntry is the answer for one entry of a batch.
type AppliedEntry struct {
	Result *fsm.ApplyResult
	Err    error
}

// InternalBatchResponse answers a batch of entries, one response each, in
// their order. The responses carry no job record: the sender knows what it
// sent.
type InternalBatchResponse struct {
	Responses []*InternalResponse
}

// maxBatchEntries bounds the entries one batch call may carry.
const maxBatchEntries = 4096

// NewInternalResponse wraps a result or an error.
func NewInternalResponse(res *fsm.ApplyResult, err error) *InternalResponse {
	if err != nil {
		status, field := statusOf(err)
		out := &InternalResponse{Status: status, ErrCode: fsm.CodeOf(err), Message: err.Error(), Field: field}
		var unavailable *UnavailableError
		if errors.As(err, &unavailable) {
			out.RetryAfter = unavailable.RetryAfter
		}
		return out
	}
	return &InternalResponse{Index: res.Index, Job: res.Job, Existing: res.Existing, Assigned: res.Assigned}
}

// Result turns the response back into what the remote call returned.
func (r *InternalResponse) Result() (*fsm.ApplyResult, error) {
	switch {
	case r.Status == 0:
		return &fsm.ApplyResult{Index: r.Index, Job: r.Job, Existing: r.Existing, Assigned: r.Assigned}, nil
	case r.ErrCode != 0:
		return nil, &fsm.Error{Code: r.ErrCode, Message: r.Message}
	case r.Status == http.StatusServiceUnavailable:
		return nil, &UnavailableError{Reason: r.Message, RetryAfter: r.RetryAfter}
	}
	return nil, &RequestError{Status: r.Status, Field: r.Field, Message: r.Message}
}

func (h *handler) internalRoutes() {
	in, ok := h.backend.(Internal)
	if !ok {
		return
	}
	self := func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, in.Self())
	}
	h.handle(acl.Read, "GET /v1/agent/self", self)
	h.handle(acl.Server, "GET "+InternalSelfPath, self)
	h.handle(acl.Server, "GET "+InternalReadIndex, func(w http.ResponseWriter, r *http.Request) {
		index, err := in.ReadIndex(r.Context())
		if err != nil {
			h.writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]uint64{"index": index})
	})
	h.handle(acl.Server, "POST "+InternalApplyPath, func(w http.ResponseWriter, r *http.Request) {
		entry, err := io.ReadAll(r.Body)
		if err != nil {
			h.writeError(w, r, badRequest("", "cannot read entry: %v", err))
			return
		}
		res, err := in.ApplyEntry(r.Context(), entry)
		writeMsgpack(w, NewInternalResponse(res, err))
	})
	h.handle(acl.Server, "POST "+InternalApplyBatchPath, func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			h.writeError(w, r, badRequest("", "cannot read entries: %v", err))
			return
		}
		var entries [][]byte
		if err := fsm.Decode(body, &entries); err != nil {
			h.writeError(w, r, badRequest("", "undecodable batch of entries: %v", err))
			return
		}
		if len(entries) == 0 || len(entries) > maxBatchEntries {
			h.writeError(w, r, badRequest("", "a batch holds 1 to %d entries, not %d", maxBatchEntries, len(entries)))
			return
		}
		out := &InternalBatchResponse{Responses: make([]*InternalResponse, len(entries))}
		for i, a := range in.ApplyEntries(r.Context(), entries) {
			resp := NewInternalResponse(a.Result, a.Err)
			resp.Job = nil
			out.Responses[i] = resp
		}
		writeMsgpack(w, out)
	})
}

func writeMsgpack(w http.ResponseWriter, v interface{}) {
	buf, err := fsm.Marshal(v)
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, errorBody{ErrorCode: 500, Message: fmt.Sprintf("encode response: %v", err)})
		return
	}
	w.Header().Set("Content-Type", msgpackContentType)
	w.WriteHeader(http.StatusOK)
	w.Write(buf)
}

// CallError is a node's answer to an internal call that is not one: the
// endpoint is missing (a node of an older version), or the call was
// refused whole.
type CallError struct {
	URL    string
	Status int
	Body   string
}

func (e *CallError) Error() string { return fmt.Sprintf("%s answered %d: %s", e.URL, e.Status, e.Body) }

// CallInternal posts body to url, a node's internal endpoint, and decodes
// its InternalResponse.
func CallInternal(ctx context.Context, hc *http.Client, url, from string, body []byte) (*InternalResponse, error) {
	var out InternalResponse
	if err := callInternal(ctx, hc, url, from, body, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// CallInternalBatch posts entries to url, a node's batch endpoint, and
// returns one response per entry, in their order.
func CallInternalBatch(ctx context.Context, hc *http.Client, url, from string, entries [][]byte) ([]*InternalResponse, error) {
	body, err := fsm.Marshal(entries)
	if err != nil {
		return nil, err
	}
	var out InternalBatchResponse
	if err := callInternal(ctx, hc, url, from, body, &out); err != nil {
		return nil, err
	}
	if len(out.Responses) != len(entries) {
		return nil, fmt.Errorf("%s answered %d responses for %d entries", url, len(out.Responses), len(entries))
	}
	for i, r := range out.Responses {
		if r == nil {
			return nil, fmt.Errorf("%s answered no response for entry %d", url, i)
		}
	}
	return out.Responses, nil
}

func callInternal(ctx context.Context, hc *http.Client, url, from string, body []byte, out interface{}) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytesReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", msgpackContentType)
	req.Header.Set(ForwardedFromHeader, from)
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	buf, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != msgpackContentType {
		return &CallError{URL: url, Status: resp.StatusCode, Body: string(buf)}
	}
	if err := fsm.Decode(buf, out); err != nil {
		return fmt.Errorf("decode answer of %s: %w", url, err)
	}
	return nil
}
