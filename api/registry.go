package api

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
)

// registry holds the calls clusters, commands and applications share:
// delete, patch, and their tags, configs and dependencies.
type registry struct {
	c    *Client
	base string // "/api/v3/clusters"
}

// Delete removes the resource with id.
func (r *registry) Delete(ctx context.Context, id string) error {
	_, err := r.c.write(ctx, http.MethodDelete, pathOf(r.base, id), nil, nil, nil)
	return err
}

// DeleteAll removes every resource of the kind, or none when any is in use
// (409 naming them).
func (r *registry) DeleteAll(ctx context.Context) error {
	_, err := r.c.write(ctx, http.MethodDelete, r.base, nil, nil, nil)
	return err
}

// Patch applies JSON Patch operations to the resource's v3 JSON.
func (r *registry) Patch(ctx context.Context, id string, ops []PatchOp) error {
	_, err := r.c.write(ctx, http.MethodPatch, pathOf(r.base, id), nil, list(ops), nil)
	return err
}

// Tags returns the resource's tags, including genie.id: and genie.name:.
func (r *registry) Tags(ctx context.Context, id string) ([]string, error) {
	return r.strings(ctx, id, "tags")
}

// AddTags adds tags to the resource.
func (r *registry) AddTags(ctx context.Context, id string, tags []string) error {
	return r.writeStrings(ctx, http.MethodPost, id, "tags", tags)
}

// ReplaceTags sets the resource's tags to tags.
func (r *registry) ReplaceTags(ctx context.Context, id string, tags []string) error {
	return r.writeStrings(ctx, http.MethodPut, id, "tags", tags)
}

// RemoveAllTags removes all of the resource's tags.
func (r *registry) RemoveAllTags(ctx context.Context, id string) error {
	return r.writeStrings(ctx, http.MethodDelete, id, "tags", nil)
}

// RemoveTag removes one tag from the resource.
func (r *registry) RemoveTag(ctx context.Context, id, tag string) error {
	_, err := r.c.write(ctx, http.MethodDelete, pathOf(r.base, id, "tags", tag), nil, nil, nil)
	return err
}

// Configs returns the URIs of the resource's configuration files.
func (r *registry) Configs(ctx context.Context, id string) ([]string, error) {
	return r.strings(ctx, id, "configs")
}

// AddConfigs adds configuration file URIs to the resource.
func (r *registry) AddConfigs(ctx context.Context, id string, uris []string) error {
	return r.writeStrings(ctx, http.MethodPost, id, "configs", uris)
}

// ReplaceConfigs sets the resource's configuration file URIs.
func (r *registry) ReplaceConfigs(ctx context.Context, id string, uris []string) error {
	return r.writeStrings(ctx, http.MethodPut, id, "configs", uris)
}

// RemoveAllConfigs removes all of the resource's configuration files.
func (r *registry) RemoveAllConfigs(ctx context.Context, id string) error {
	return r.writeStrings(ctx, http.MethodDelete, id, "configs", nil)
}

// Dependencies returns the URIs of the resource's dependency files.
func (r *registry) Dependencies(ctx context.Context, id string) ([]string, error) {
	return r.strings(ctx, id, "dependencies")
}

// AddDependencies adds dependency file URIs to the resource.
func (r *registry) AddDependencies(ctx context.Context, id string, uris []string) error {
	return r.writeStrings(ctx, http.MethodPost, id, "dependencies", uris)
}

// ReplaceDependencies sets the resource's dependency file URIs.
func (r *registry) ReplaceDependencies(ctx context.Context, id string, uris []string) error {
	return r.writeStrings(ctx, http.MethodPut, id, "dependencies", uris)
}

// RemoveAllDependencies removes all of the resource's dependency files.
func (r *registry) RemoveAllDependencies(ctx context.Context, id string) error {
	return r.writeStrings(ctx, http.MethodDelete, id, "dependencies", nil)
}

func (r *registry) strings(ctx context.Context, id, what string) ([]string, error) {
	var out []string
	if err := r.c.get(ctx, pathOf(r.base, id, what), nil, &out); err != nil {
		return nil, err
	}
	return list(out), nil
}

// writeStrings sends ss as a JSON array; DELETE sends no body.
func (r *registry) writeStrings(ctx context.Context, method, id, what string, ss []string) error {
	var body any
	if method != http.MethodDelete {
		body = list(ss)
	}
	_, err := r.c.write(ctx, method, pathOf(r.base, id, what), nil, body, nil)
	return err
}

// PatchOp is one RFC 6902 JSON Patch operation, such as
// {Op: "replace", Path: "/status", Value: "OUT_OF_SERVICE"}.
type PatchOp struct {
	Op    string `json:"op"`
	Path  string `json:"path"`
	From  string `json:"from,omitempty"`
	Value any    `json:"value,omitempty"`
}

// MarshalJSON writes "value" for add, replace and test even when it is nil.
func (p PatchOp) MarshalJSON() ([]byte, error) {
	type wire PatchOp
	switch p.Op {
	case "add", "replace", "test":
		return json.Marshal(struct {
			wire
			Value any `json:"value"`
		}{wire(p), p.Value})
	}
	return json.Marshal(wire(p))
}

// getList decodes a plain JSON array of resources at p.
func getList[T any](ctx context.Context, c *Client, p string, query url.Values) ([]T, error) {
	var out []T
	if err := c.get(ctx, p, query, &out); err != nil {
		return nil, err
	}
	return list(out), nil
}

// search decodes one page of a search at p.
func search[T any](ctx context.Context, c *Client, p string, query url.Values,
	pick func(*PageEmbedded) []T) ([]T, *PageMetadata, error) {
	var page Page
	if err := c.get(ctx, p, query, &page); err != nil {
		return nil, nil, err
	}
	var items []T
	if page.Embedded != nil {
		items = pick(page.Embedded)
	}
	return list(items), &page.Page, nil
}
