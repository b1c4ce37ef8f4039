package api

import (
	"context"
	"encoding/json"
	"net/http"
)

// Cluster is an execution target jobs run against.
type Cluster struct {
	ID           string          `json:"id"`
	Created      Time            `json:"created"`
	Updated      Time            `json:"updated"`
	Version      string          `json:"version"`
	User         string          `json:"user"`
	Name         string          `json:"name"`
	Description  string          `json:"description"`
	Metadata     json.RawMessage `json:"metadata"`
	Tags         []string        `json:"tags"`
	Configs      []string        `json:"configs"`
	Dependencies []string        `json:"dependencies"`
	SetupFile    string          `json:"setupFile"`
	Status       ClusterStatus   `json:"status"`
	Links        Links           `json:"_links,omitempty"`
}

// MarshalJSON writes empty optional fields as null and nil lists as [].
func (c Cluster) MarshalJSON() ([]byte, error) { return marshalObject(c) }

// UnmarshalJSON reads a cluster; null metadata becomes nil.
func (c *Cluster) UnmarshalJSON(b []byte) error {
	type wire Cluster
	if err := json.Unmarshal(b, (*wire)(c)); err != nil {
		return err
	}
	c.Metadata = rawOrNil(c.Metadata)
	return nil
}

// Clusters calls the /api/v3/clusters endpoints.
type Clusters struct {
	registry
}

// Clusters returns the cluster endpoints.
func (c *Client) Clusters() *Clusters {
	return &Clusters{registry{c: c, base: "/api/v3/clusters"}}
}

// Create registers cl and returns its id.
func (s *Clusters) Create(ctx context.Context, cl *Cluster) (string, error) {
	return s.c.create(ctx, s.base, cl)
}

// Get returns the cluster with id.
func (s *Clusters) Get(ctx context.Context, id string) (*Cluster, error) {
	var out Cluster
	if err := s.c.get(ctx, pathOf(s.base, id), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// List returns one page of the clusters q selects.
func (s *Clusters) List(ctx context.Context, q *QueryOptions) ([]Cluster, *PageMetadata, error) {
	return search(ctx, s.c, s.base, q.values(), func(e *PageEmbedded) []Cluster { return e.Clusters })
}

// Update replaces the cluster with id by cl. An empty cl.ID is taken as id.
func (s *Clusters) Update(ctx context.Context, id string, cl *Cluster) error {
	body := *cl
	if body.ID == "" {
		body.ID = id
	}
	_, err := s.c.write(ctx, http.MethodPut, pathOf(s.base, id), nil, &body, nil)
	return err
}

// Commands returns the commands whose cluster criteria select the cluster.
func (s *Clusters) Commands(ctx context.Context, id string, statuses ...CommandStatus) ([]Command, error) {
	return getList[Command](ctx, s.c, pathOf(s.base, id, "commands"), statusValues(statuses))
}
