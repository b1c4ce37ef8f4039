package transport

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/genie-cluster/genie/acl"
	"github.com/genie-cluster/genie/fsm"
)

// RequestError is a client error about one request: bad JSON (400) or a
// field that fails validation (412). Field names the JSON field at fault.
type RequestError struct {
	Status  int
	Field   string
	Message string
}

func (e *RequestError) Error() string {
	if e.Field != "" {
		return e.Field + ": " + e.Message
	}
	return e.Message
}

func badRequest(field, format string, args ...interface{}) *RequestError {
	return &RequestError{Status: http.StatusBadRequest, Field: field, Message: fmt.Sprintf(format, args...)}
}

func invalid(field, format string, args ...interface{}) *RequestError {
	return &RequestError{Status: http.StatusPreconditionFailed, Field: field, Message: fmt.Sprintf(format, args...)}
}

func notFound(format string, args ...interface{}) *RequestError {
	return &RequestError{Status: http.StatusNotFound, Message: fmt.Sprintf(format, args...)}
}

// UnavailableError means the node cannot take the request now but may
// soon: no raft leader, at capacity, starting. Answered 503 + Retry-After.
type UnavailableError struct {
	Reason     string
	RetryAfter time.Duration
}

func (e *UnavailableError) Error() string { return e.Reason }

// limitRetryAfterSeconds is the Retry-After of a submission over its
// user's limit.
const limitRetryAfterSeconds = 5

// errorBody is Genie's error body plus the field at fault.
type errorBody struct {
	ErrorCode int    `json:"errorCode"`
	Message   string `json:"message"`
	Field     string `json:"field,omitempty"`
}

// statusOf maps an error to the status the API answers with. It is the one
// place where errors meet status codes.
func statusOf(err error) (int, string) {
	var reqErr *RequestError
	var unavailable *UnavailableError
	var resolveErr *fsm.ResolveError
	var maxBytes *http.MaxBytesError
	var unauth *UnauthenticatedError
	var denied *acl.DeniedError
	switch {
	case errors.As(err, &unauth):
		return http.StatusUnauthorized, ""
	case errors.As(err, &denied):
		return http.StatusForbidden, ""
	case errors.As(err, &reqErr):
		return reqErr.Status, reqErr.Field
	case errors.As(err, &unavailable):
		return http.StatusServiceUnavailable, ""
	case errors.As(err, &resolveErr):
		return http.StatusPreconditionFailed, ""
	case errors.As(err, &maxBytes):
		return http.StatusRequestEntityTooLarge, ""
	}
	switch fsm.CodeOf(err) {
	case fsm.ErrCodeNotFound:
		return http.StatusNotFound, ""
	case fsm.ErrCodeExists, fsm.ErrCodeConflict, fsm.ErrCodeModified, fsm.ErrCodeStatus, fsm.ErrCodeInUse:
		return http.StatusConflict, ""
	case fsm.ErrCodeInvalid:
		return http.StatusPreconditionFailed, ""
	case fsm.ErrCodeLimit:
		return http.StatusTooManyRequests, ""
	case fsm.ErrCodeACLBootstrapped:
		return http.StatusForbidden, ""
	}
	return http.StatusInternalServerError, ""
}

// writeError answers with err's status and a JSON body naming the field.
func (h *handler) writeError(w http.ResponseWriter, r *http.Request, err error) {
	status, field := statusOf(err)
	msg := err.Error()
	var maxBytes *http.MaxBytesError
	if errors.As(err, &maxBytes) {
		msg = fmt.Sprintf("request body is larger than %d bytes", maxBytes.Limit)
	}
	if status == http.StatusInternalServerError && r.Context().Err() == nil {
		// (A request whose client went away is not the node's failure.)
		h.logger.Error("request failed", "method", r.Method, "path", r.URL.Path, "error", err)
	}
	var unavailable *UnavailableError
	switch {
	case errors.As(err, &unavailable):
		secs := int(unavailable.RetryAfter.Round(time.Second) / time.Second)
		if secs < 1 {
			secs = 1
		}
		w.Header().Set("Retry-After", strconv.Itoa(secs))
	case status == http.StatusTooManyRequests:
		// A place frees when one of the user's jobs ends.
		w.Header().Set("Retry-After", strconv.Itoa(limitRetryAfterSeconds))
	case status == http.StatusUnauthorized:
		w.Header().Set("WWW-Authenticate", `Bearer realm="genie"`)
	}
	writeJSON(w, status, errorBody{ErrorCode: status, Message: msg, Field: field})
}

// writeJSON writes v as the response body with status.
func writeJSON(w http.ResponseWriter, status int, v interface{}) {
	writeTyped(w, status, "application/json", v)
}

// writeHAL writes a HAL resource or page.
func writeHAL(w http.ResponseWriter, status int, v interface{}) {
	writeTyped(w, status, "application/hal+json", v)
}

func writeTyped(w http.ResponseWriter, status int, contentType string, v interface{}) {
	buf, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		contentType = "application/json"
		buf = []byte(`{"errorCode":500,"message":"cannot encode response"}`)
	}
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	w.Write(buf)
	w.Write([]byte("\n"))
}
