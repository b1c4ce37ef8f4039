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
	// Self describes this node and its progress through the log.
	Self() api.AgentSelf
	// ReadIndex confirms this node leads and returns its commit index, for
	// a follower's linearizable read.
	ReadIndex(ctx context.Context) (uint64, error)
	// ReadBarrier waits until this node's replica reflects every write
	// committed before the call: the ?consistent=true read.
	ReadBarrier(ctx context.Context) error
}

// Paths of the node-to-node endpoints.
const (
	InternalApplyPath = "/v1/internal/apply"
	InternalReadIndex = "/v1/internal/read-index"
	InternalSelfPath  = "/v1/internal/self"
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

// CallInternal posts body to url, a node's internal endpoint, and decodes
// its InternalResponse.
func CallInternal(ctx context.Context, hc *http.Client, url, from string, body []byte) (*InternalResponse, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytesReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", msgpackContentType)
	req.Header.Set(ForwardedFromHeader, from)
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	buf, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != msgpackContentType {
		return nil, fmt.Errorf("%s answered %d: %s", url, resp.StatusCode, buf)
	}
	var out InternalResponse
	if err := fsm.Decode(buf, &out); err != nil {
		return nil, fmt.Errorf("decode answer of %s: %w", url, err)
	}
	return &out, nil
}
