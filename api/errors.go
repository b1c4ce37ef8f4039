package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Error is the body of every error response: Genie's errorCode and message,
// and the request field at fault when there is one.
type Error struct {
	ErrorCode int    `json:"errorCode"`
	Message   string `json:"message"`
	Field     string `json:"field,omitempty"`
}

func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s (field %s)", e.Message, e.Field)
	}
	return e.Message
}

// StatusError is a response outside 2xx. Message and Field come from the
// JSON error body when there is one.
type StatusError struct {
	Code    int
	Message string
	Field   string
	// RetryAfter is the server's Retry-After, zero when absent.
	RetryAfter time.Duration
}

func (e *StatusError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d %s", e.Code, http.StatusText(e.Code))
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	if e.Field != "" {
		b.WriteString(" (field " + e.Field + ")")
	}
	return b.String()
}

// IsNotFound reports whether err is a 404 response.
func IsNotFound(err error) bool { return HasStatus(err, http.StatusNotFound) }

// HasStatus reports whether err is a response with status code.
func HasStatus(err error, code int) bool {
	var se *StatusError
	return errors.As(err, &se) && se.Code == code
}

// maxErrorBody bounds how much of an error response is read.
const maxErrorBody = 64 << 10

// statusError reads the body of resp (a response outside 2xx) into a
// StatusError and closes it.
func statusError(resp *http.Response) *StatusError {
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	se := &StatusError{Code: resp.StatusCode, RetryAfter: retryAfter(resp.Header)}
	var e Error
	text := strings.TrimSpace(string(body))
	switch {
	case text == "":
	case json.Unmarshal(body, &e) == nil && (e.Message != "" || e.ErrorCode != 0):
		se.Message, se.Field = e.Message, e.Field
	case strings.HasPrefix(text, "{"):
		// JSON without a message, such as {"message": null}.
	default:
		se.Message = text
	}
	return se
}

// retryAfter parses a Retry-After header: seconds or an HTTP date.
func retryAfter(h http.Header) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if secs, err := strconv.Atoi(v); err == nil {
		if secs < 0 {
			return 0
		}
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := time.Until(t); d > 0 {
			return d
		}
	}
	return 0
}
