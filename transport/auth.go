package transport

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/genie-cluster/genie/acl"
)

type ctxKey int

const (
	authorizerKey ctxKey = iota
	secretKey
)

// UnauthenticatedError is a request whose token is missing, unknown,
// expired or malformed: 401.
type UnauthenticatedError struct {
	Err error
}

func (e *UnauthenticatedError) Error() string { return e.Err.Error() }
func (e *UnauthenticatedError) Unwrap() error { return e.Err }

// authorize is the one place that decides whether a request may reach its
// route: a server of the cluster (proven by its certificate) may do
// anything; otherwise the token it presents, resolved from the local
// replica, must meet the route's access, and for OwnJob own the job.
func (h *handler) authorize(r *http.Request, access acl.Access) (*http.Request, error) {
	if h.isServer != nil && h.isServer(r) {
		return withAuthorizer(r, acl.ManageAll(), ""), nil
	}
	if access == acl.Server {
		switch {
		case h.isServer != nil:
			return r, &acl.DeniedError{Reason: r.URL.Path + " answers only servers of this cluster (a server certificate)"}
		case h.aclEnabled:
			// Tokens guard nothing if anyone may write log entries.
			return r, &acl.DeniedError{Reason: r.URL.Path + " needs TLS: with ACLs on, only a server certificate proves a peer"}
		}
		// Without TLS or ACLs there is nothing to prove a peer with: the
		// node runs -insecure, and says so when it starts.
		return withAuthorizer(r, acl.ManageAll(), ""), nil
	}
	if !h.aclEnabled {
		return withAuthorizer(r, acl.ManageAll(), ""), nil
	}
	secret, err := acl.TokenFromHeader(r.Header.Get("Authorization"), r.Header.Get("X-Genie-Token"))
	if err != nil {
		return r, &UnauthenticatedError{Err: err}
	}
	if secret == "" {
		// The web UI's session, for the pages' own requests.
		if secret = acl.SessionSecret(r); secret != "" && !acl.SafeMethod(r.Method) && !acl.ValidCSRF(secret, r.Header.Get(acl.CSRFHeader)) {
			return r, &acl.DeniedError{Reason: "a request made with the web UI's session must carry its " + acl.CSRFHeader + " token"}
		}
	}
	if secret == "" {
		if access == acl.Anyone {
			return withAuthorizer(r, acl.ForIdentity(acl.Identity{}), ""), nil
		}
		return r, &UnauthenticatedError{Err: acl.ErrNoToken}
	}
	id, err := h.resolveToken(r, secret)
	if err != nil {
		return r, err
	}
	authz := acl.ForIdentity(id)
	if !authz.Allow(access) {
		return r, &acl.DeniedError{Reason: fmt.Sprintf("a %s token cannot %s %s", id.Role, r.Method, r.URL.Path)}
	}
	if access == acl.OwnJob {
		jobID := r.PathValue("id")
		j, err := h.lookupJob(r, jobID)
		if err != nil {
			return r, err
		}
		if j == nil {
			return r, notFound("No job with id %s", jobID)
		}
		if !authz.AllowJob(j.Request.User) {
			return r, &acl.DeniedError{Reason: fmt.Sprintf("job %s belongs to user %q, not to %q", jobID, j.Request.User, id.User)}
		}
	}
	return withAuthorizer(r, authz, secret), nil
}

// resolveToken finds the token with secret in the local replica. A token
// the replica does not know may have just been created through another
// node: it waits for the replica to catch up before saying so.
func (h *handler) resolveToken(r *http.Request, secret string) (acl.Identity, error) {
	hash := acl.HashSecret(secret)
	tok := h.backend.State().ACLTokenBySecretHash(hash)
	if tok == nil {
		if in, ok := h.backend.(Internal); ok {
			// Without a leader to say how far the log goes, the node
			// cannot tell an unknown token from one it has not seen yet:
			// the client is told to come back, not that it is refused.
			if err := in.ReadBarrier(r.Context()); err != nil {
				var unavailable *UnavailableError
				if errors.As(err, &unavailable) {
					return acl.Identity{}, err
				}
			}
			tok = h.backend.State().ACLTokenBySecretHash(hash)
		}
	}
	if tok == nil {
		return acl.Identity{}, &UnauthenticatedError{Err: acl.ErrTokenNotFound}
	}
	if tok.Expired(time.Now().UnixMilli()) {
		return acl.Identity{}, &UnauthenticatedError{Err: acl.ErrTokenExpired}
	}
	role, err := acl.ParseRole(tok.Role)
	if err != nil {
		return acl.Identity{}, &UnauthenticatedError{Err: err}
	}
	return acl.Identity{AccessorID: tok.AccessorID, Name: tok.Name, User: tok.User, Role: role}, nil
}

func withAuthorizer(r *http.Request, a *acl.Authorizer, secret string) *http.Request {
	ctx := context.WithValue(r.Context(), authorizerKey, a)
	if secret != "" {
		ctx = context.WithValue(ctx, secretKey, secret)
	}
	return r.WithContext(ctx)
}

// authorizerOf is the authorizer the middleware resolved for r; a request
// that did not pass it may do nothing.
func authorizerOf(r *http.Request) *acl.Authorizer {
	if a, ok := r.Context().Value(authorizerKey).(*acl.Authorizer); ok {
		return a
	}
	return acl.ForIdentity(acl.Identity{})
}

// ForwardToken sets on req, a call one node makes to another on a client's
// behalf, the token the client presented in ctx, so the other node
// authorizes the client, not the node.
func ForwardToken(ctx context.Context, req *http.Request) {
	if secret, ok := ctx.Value(secretKey).(string); ok && secret != "" {
		req.Header.Set("X-Genie-Token", secret)
	}
}
