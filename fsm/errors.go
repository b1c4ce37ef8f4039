package fsm

import (
	"errors"
	"fmt"
)

// ErrorCode classifies why the state machine refused a request, so the API
// can answer with the right status wherever the request was applied.
type ErrorCode uint8

const (
	ErrCodeNotFound ErrorCode = iota + 1
	ErrCodeExists
	ErrCodeModified
	ErrCodeStatus
	ErrCodeInUse
	ErrCodeInvalid
	ErrCodeConflict
	// ErrCodeLimit: the user holds its limit of active jobs (429).
	ErrCodeLimit
	// ErrCodeACLBootstrapped: the ACL bootstrap has run (403).
	ErrCodeACLBootstrapped
	// ErrCodeQueueFull: the queue holds its bound (503).
	ErrCodeQueueFull
)

func (c ErrorCode) String() string {
	switch c {
	case ErrCodeNotFound:
		return "not found"
	case ErrCodeExists:
		return "already exists"
	case ErrCodeModified:
		return "modified concurrently"
	case ErrCodeStatus:
		return "wrong status"
	case ErrCodeInUse:
		return "in use"
	case ErrCodeInvalid:
		return "invalid"
	case ErrCodeConflict:
		return "conflict"
	case ErrCodeLimit:
		return "over limit"
	case ErrCodeACLBootstrapped:
		return "ACL bootstrapped"
	case ErrCodeQueueFull:
		return "queue full"
	}
	return fmt.Sprintf("error(%d)", uint8(c))
}

// Error is a refusal by the state machine. It crosses the wire between nodes
// as its code and message.
type Error struct {
	Code    ErrorCode
	Message string
}

func (e *Error) Error() string { return e.Message }

// Errorf builds an *Error.
func Errorf(code ErrorCode, format string, args ...interface{}) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// CodeOf returns the code of err if it is (or wraps) an *Error, else 0.
func CodeOf(err error) ErrorCode {
	var fe *Error
	if errors.As(err, &fe) {
		return fe.Code
	}
	return 0
}
