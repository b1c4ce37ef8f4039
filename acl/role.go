package acl

import "fmt"

// Role is what a token may do. Genie's rule that registry writes need an
// administrator holds; a user runs jobs as itself and owns them.
type Role string

const (
	// RoleAdmin may do everything: registry writes, operator endpoints,
	// ACL management, any job's output and kill, submissions for anyone.
	RoleAdmin Role = "admin"
	// RoleUser submits jobs as its own user, reads every record, and reads
	// the output of and kills only its own jobs.
	RoleUser Role = "user"
	// RoleReadOnly reads records, never output.
	RoleReadOnly Role = "readonly"
)

// Roles lists the valid roles, most powerful first.
var Roles = []Role{RoleAdmin, RoleUser, RoleReadOnly}

// ParseRole returns the role named s.
func ParseRole(s string) (Role, error) {
	for _, r := range Roles {
		if string(r) == s {
			return r, nil
		}
	}
	return "", fmt.Errorf("%q is not a role: admin, user or readonly", s)
}

// Access is what a route needs from its caller. Every route declares one.
type Access uint8

const (
	// Anyone: no token needed (health, the one-time bootstrap).
	Anyone Access = iota + 1
	// Read: any valid token; records, never job output.
	Read
	// Submit: a user or admin token.
	Submit
	// OwnJob: the job named by the route's {id}: its user's token, or an
	// admin's (output and kill).
	OwnJob
	// Admin: an admin token.
	Admin
	// Server: another node of this cluster, proven by its mutual TLS
	// certificate, whatever token it sends.
	Server
)

func (a Access) String() string {
	switch a {
	case Anyone:
		return "anyone"
	case Read:
		return "read"
	case Submit:
		return "submit"
	case OwnJob:
		return "own-job"
	case Admin:
		return "admin"
	case Server:
		return "server"
	}
	return fmt.Sprintf("access(%d)", uint8(a))
}

// allows reports whether role r meets a; OwnJob is only the role part of
// the rule (the owner is checked by the authorizer).
func (r Role) allows(a Access) bool {
	switch a {
	case Anyone:
		return true
	case Read:
		return r == RoleAdmin || r == RoleUser || r == RoleReadOnly
	case Submit, OwnJob:
		return r == RoleAdmin || r == RoleUser
	case Admin:
		return r == RoleAdmin
	}
	return false
}
