package api

import (
	"context"
	"encoding/json"
	"net/http"
)

// Application holds binaries and setup shared by commands, such as a Spark
// version.
type Application struct {
	ID           string            `json:"id"`
	Created      Time              `json:"created"`
	Updated      Time              `json:"updated"`
	Version      string            `json:"version"`
	User         string            `json:"user"`
	Name         string            `json:"name"`
	Description  string            `json:"description"`
	Metadata     json.RawMessage   `json:"metadata"`
	Tags         []string          `json:"tags"`
	Configs      []string          `json:"configs"`
	Dependencies []string          `json:"dependencies"`
	SetupFile    string            `json:"setupFile"`
	Status       ApplicationStatus `json:"status"`
	Type         string            `json:"type"`
	Links        Links             `json:"_links,omitempty"`
}

// MarshalJSON writes empty optional fields as null and nil lists as [].
func (a Application) MarshalJSON() ([]byte, error) { return marshalObject(a) }

// UnmarshalJSON reads an application; null metadata becomes nil.
func (a *Application) UnmarshalJSON(b []byte) error {
	type wire Application
	if err := json.Unmarshal(b, (*wire)(a)); err != nil {
		return err
	}
	a.Metadata = rawOrNil(a.Metadata)
	return nil
}

// Applications calls the /api/v3/applications endpoints.
type Applications struct {
	registry
}

// Applications returns the application endpoints.
func (c *Client) Applications() *Applications {
	return &Applications{registry{c: c, base: "/api/v3/applications"}}
}

// Create registers app and returns its id.
func (s *Applications) Create(ctx context.Context, app *Application) (string, error) {
	return s.c.create(ctx, s.base, app)
}

// Get returns the application with id.
func (s *Applications) Get(ctx context.Context, id string) (*Application, error) {
	var out Application
	if err := s.c.get(ctx, pathOf(s.base, id), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// List returns one page of the applications q selects.
func (s *Applications) List(ctx context.Context, q *QueryOptions) ([]Application, *PageMetadata, error) {
	return search(ctx, s.c, s.base, q.values(), func(e *PageEmbedded) []Application { return e.Applications })
}

// Update replaces the application with id by app. An empty app.ID is taken
// as id.
func (s *Applications) Update(ctx context.Context, id string, app *Application) error {
	body := *app
	if body.ID == "" {
		body.ID = id
	}
	_, err := s.c.write(ctx, http.MethodPut, pathOf(s.base, id), nil, &body, nil)
	return err
}

// Commands returns the commands that use the application, optionally only
// those with one of statuses.
func (s *Applications) Commands(ctx context.Context, id string, statuses ...CommandStatus) ([]Command, error) {
	return getList[Command](ctx, s.c, pathOf(s.base, id, "commands"), statusValues(statuses))
}
