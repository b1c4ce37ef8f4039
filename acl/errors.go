package acl

import "errors"

// ErrNoToken, ErrTokenNotFound and ErrTokenExpired say why a request is not
// authenticated: the API answers 401.
var (
	ErrNoToken       = errors.New("ACL token required: send it as Authorization: Bearer <secret> or X-Genie-Token")
	ErrTokenNotFound = errors.New("ACL token not found")
	ErrTokenExpired  = errors.New("ACL token expired")
)

// DeniedError is an authenticated caller asking for more than its token
// allows: the API answers 403.
type DeniedError struct {
	Reason string
}

func (e *DeniedError) Error() string { return "Permission denied: " + e.Reason }
