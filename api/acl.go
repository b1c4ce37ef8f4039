package api

import (
	"context"
	"net/http"
)

// ACLToken is a token as the API shows it. SecretID is filled only in the
// answer that creates the token: no later answer holds a secret.
type ACLToken struct {
	AccessorID     string `json:"accessorId"`
	SecretID       string `json:"secretId,omitempty"`
	Name           string `json:"name"`
	User           string `json:"user"`
	Role           string `json:"role"`
	CreateTime     Time   `json:"createTime"`
	ExpirationTime Time   `json:"expirationTime"`
}

// ACLTokenCreateRequest asks for a new token. TTL is a Go duration
// ("72h"); empty means the token does not expire.
type ACLTokenCreateRequest struct {
	Name string `json:"name"`
	User string `json:"user"`
	Role string `json:"role"`
	TTL  string `json:"ttl,omitempty"`
}

// ACL calls the /v1/acl endpoints.
type ACL struct {
	c *Client
}

// ACL returns the ACL endpoints.
func (c *Client) ACL() *ACL { return &ACL{c: c} }

// Bootstrap creates the cluster's first admin token; it works once, or
// again after an operator writes a node's reset file.
func (a *ACL) Bootstrap(ctx context.Context) (*ACLToken, error) {
	var out ACLToken
	if _, err := a.c.write(ctx, http.MethodPost, "/v1/acl/bootstrap", nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// CreateToken creates a token; the answer holds its secret.
func (a *ACL) CreateToken(ctx context.Context, req *ACLTokenCreateRequest) (*ACLToken, error) {
	var out ACLToken
	if _, err := a.c.write(ctx, http.MethodPost, "/v1/acl/tokens", nil, req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ListTokens lists every token, without secrets.
func (a *ACL) ListTokens(ctx context.Context) ([]ACLToken, error) {
	return getList[ACLToken](ctx, a.c, "/v1/acl/tokens", nil)
}

// Token reads the token with accessorID.
func (a *ACL) Token(ctx context.Context, accessorID string) (*ACLToken, error) {
	var out ACLToken
	if err := a.c.get(ctx, pathOf("/v1/acl/token", accessorID), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Self reads the token the client sends.
func (a *ACL) Self(ctx context.Context) (*ACLToken, error) {
	var out ACLToken
	if err := a.c.get(ctx, "/v1/acl/token/self", nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteToken deletes the token with accessorID.
func (a *ACL) DeleteToken(ctx context.Context, accessorID string) error {
	_, err := a.c.write(ctx, http.MethodDelete, pathOf("/v1/acl/token", accessorID), nil, nil, nil)
	return err
}
