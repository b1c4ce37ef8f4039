package acl

import "fmt"

// Identity is who a request's token names.
type Identity struct {
	AccessorID string
	Name       string
	User       string
	Role       Role
}

// Authorizer answers what the caller of one request may do. Handlers ask
// it questions; none compares roles itself.
type Authorizer struct {
	// Identity is the token's; zero for ManageAll.
	Identity
	manageAll bool
}

// ManageAll allows everything: ACLs are off, or the caller is a server of
// the cluster.
func ManageAll() *Authorizer { return &Authorizer{manageAll: true} }

// ForIdentity is the authorizer of a resolved token.
func ForIdentity(id Identity) *Authorizer { return &Authorizer{Identity: id} }

// Allow reports whether the caller meets a route's access. OwnJob also
// needs AllowJob once the job is known.
func (a *Authorizer) Allow(access Access) bool {
	if a.manageAll {
		return true
	}
	if access == Server {
		return false
	}
	return a.Role.allows(access)
}

// AllowJob reports whether the caller may read the output of, or kill, a
// job run by owner.
func (a *Authorizer) AllowJob(owner string) bool {
	if a.manageAll || a.Role == RoleAdmin {
		return true
	}
	return a.Role == RoleUser && a.User != "" && a.User == owner
}

// SubmitAs returns the user a job submission runs as: the token's user
// when the request names none, the named user when it is the token's own
// or the caller is an admin (a proxy submitting for its users).
func (a *Authorizer) SubmitAs(requested string) (string, error) {
	switch {
	case a.manageAll:
		return requested, nil
	case requested == "" || requested == a.User:
		return a.User, nil
	case a.Role == RoleAdmin:
		return requested, nil
	}
	return "", &DeniedError{Reason: fmt.Sprintf("token of user %q cannot submit a job as user %q", a.User, requested)}
}

// Enforced reports whether this authorizer comes from a token (ACLs on)
// rather than ManageAll.
func (a *Authorizer) Enforced() bool { return !a.manageAll }
