// Package acl holds genie's access rules: the roles a token can have, what
// each route needs, and the authorizer a request's token resolves to.
package acl
