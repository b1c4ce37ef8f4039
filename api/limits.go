package api

import (
	"context"
	"net/http"
)

// Limits are the cluster's per-user limits: UserActive bounds every user's
// unfinished jobs unless Users names the user; zero is no limit.
type Limits struct {
	UserActive int            `json:"userActive"`
	Users      map[string]int `json:"users"`
}

// LimitsUpdate sets the active-job limit of User, or every user's default
// when User is empty; zero removes it.
type LimitsUpdate struct {
	User       string `json:"user,omitempty"`
	UserActive int    `json:"userActive"`
}

// Limits reads the cluster's limits.
func (o *Operator) Limits(ctx context.Context) (*Limits, error) {
	var out Limits
	if err := o.c.get(ctx, "/v1/operator/limits", nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// SetLimits changes one limit and returns them all.
func (o *Operator) SetLimits(ctx context.Context, u *LimitsUpdate) (*Limits, error) {
	var out Limits
	if _, err := o.c.write(ctx, http.MethodPut, "/v1/operator/limits", nil, u, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
