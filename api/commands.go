package api

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// CommandCheckDelay is what Genie writes for a command's deprecated checkDelay.
const CommandCheckDelay = 10000

// Command is what a job runs: an executable with default arguments, and the
// clusters it may run on.
//
// On input, ExecutableAndArguments wins when non-empty, else Executable is
// split on spaces; after decoding both hold the same command. Memory mirrors
// Runtime.Resources.MemoryMb; on input the later of "memory" and "runtime"
// in the document applies.
type Command struct {
	ID                     string          `json:"id"`
	Created                Time            `json:"created"`
	Updated                Time            `json:"updated"`
	Version                string          `json:"version"`
	User                   string          `json:"user"`
	Name                   string          `json:"name"`
	Description            string          `json:"description"`
	Metadata               json.RawMessage `json:"metadata"`
	Tags                   []string        `json:"tags"`
	Configs                []string        `json:"configs"`
	Dependencies           []string        `json:"dependencies"`
	SetupFile              string          `json:"setupFile"`
	Status                 CommandStatus   `json:"status"`
	Executable             string          `json:"executable"`
	ExecutableAndArguments []string        `json:"executableAndArguments"`
	// CheckDelay is deprecated and ignored; it is written as CommandCheckDelay.
	CheckDelay      int64       `json:"checkDelay"`
	Memory          *int        `json:"memory"`
	ClusterCriteria []Criterion `json:"clusterCriteria"`
	Runtime         Runtime     `json:"runtime"`
	Links           Links       `json:"_links,omitempty"`
}

// Argv returns the executable and its default arguments:
// ExecutableAndArguments when non-empty, else Executable split on spaces.
func (c *Command) Argv() []string {
	if len(c.ExecutableAndArguments) > 0 {
		return c.ExecutableAndArguments
	}
	return splitSpaces(c.Executable)
}

func splitSpaces(s string) []string {
	f := strings.FieldsFunc(s, func(r rune) bool { return r == ' ' })
	if len(f) == 0 {
		return nil
	}
	return f
}

// MarshalJSON writes both forms of the executable, the memory mirrored in
// the runtime, empty optional fields as null and nil lists as [].
func (c Command) MarshalJSON() ([]byte, error) {
	argv := c.Argv()
	c.ExecutableAndArguments = argv
	c.Executable = strings.Join(argv, " ")
	c.CheckDelay = CommandCheckDelay
	c.Runtime, c.Memory = c.Runtime.withMemory(c.Memory)
	return marshalObject(c)
}

// UnmarshalJSON reads a command and reconciles the two forms of the
// executable and of the memory.
func (c *Command) UnmarshalJSON(b []byte) error {
	type wire Command
	if err := json.Unmarshal(b, (*wire)(c)); err != nil {
		return err
	}
	c.Metadata = rawOrNil(c.Metadata)
	argv := c.Argv()
	c.ExecutableAndArguments = argv
	c.Executable = strings.Join(argv, " ")
	// Key order matters only when both forms may be present; working it out
	// costs a second parse, so skip it otherwise.
	if c.Memory != nil && appliesAfter(keyOrder(b), "memory", "runtime") {
		c.Runtime.Resources.MemoryMb = intPtr64(c.Memory)
	}
	c.Memory = int64PtrInt(c.Runtime.Resources.MemoryMb)
	return nil
}

// Commands calls the /api/v3/commands endpoints.
type Commands struct {
	registry
}

// Commands returns the command endpoints.
func (c *Client) Commands() *Commands {
	return &Commands{registry{c: c, base: "/api/v3/commands"}}
}

// Create registers cmd and returns its id.
func (s *Commands) Create(ctx context.Context, cmd *Command) (string, error) {
	return s.c.create(ctx, s.base, cmd)
}

// Get returns the command with id.
func (s *Commands) Get(ctx context.Context, id string) (*Command, error) {
	var out Command
	if err := s.c.get(ctx, pathOf(s.base, id), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// List returns one page of the commands q selects.
func (s *Commands) List(ctx context.Context, q *QueryOptions) ([]Command, *PageMetadata, error) {
	return search(ctx, s.c, s.base, q.values(), func(e *PageEmbedded) []Command { return e.Commands })
}

// Update replaces the command with id by cmd. An empty cmd.ID is taken as id.
func (s *Commands) Update(ctx context.Context, id string, cmd *Command) error {
	body := *cmd
	if body.ID == "" {
		body.ID = id
	}
	_, err := s.c.write(ctx, http.MethodPut, pathOf(s.base, id), nil, &body, nil)
	return err
}

// Applications returns the command's applications in order.
func (s *Commands) Applications(ctx context.Context, id string) ([]Application, error) {
	return getList[Application](ctx, s.c, pathOf(s.base, id, "applications"), nil)
}

// AddApplications appends applications to the command's.
func (s *Commands) AddApplications(ctx context.Context, id string, applicationIDs []string) error {
	_, err := s.c.write(ctx, http.MethodPost, pathOf(s.base, id, "applications"), nil, list(applicationIDs), nil)
	return err
}

// SetApplications replaces the command's applications, in order.
func (s *Commands) SetApplications(ctx context.Context, id string, applicationIDs []string) error {
	_, err := s.c.write(ctx, http.MethodPut, pathOf(s.base, id, "applications"), nil, list(applicationIDs), nil)
	return err
}

// RemoveAllApplications removes all of the command's applications.
func (s *Commands) RemoveAllApplications(ctx context.Context, id string) error {
	_, err := s.c.write(ctx, http.MethodDelete, pathOf(s.base, id, "applications"), nil, nil, nil)
	return err
}

// RemoveApplication removes one application from the command.
func (s *Commands) RemoveApplication(ctx context.Context, id, applicationID string) error {
	_, err := s.c.write(ctx, http.MethodDelete, pathOf(s.base, id, "applications", applicationID), nil, nil, nil)
	return err
}

// Clusters returns the clusters the command's criteria match, optionally
// only those with one of statuses.
func (s *Commands) Clusters(ctx context.Context, id string, statuses ...ClusterStatus) ([]Cluster, error) {
	return getList[Cluster](ctx, s.c, pathOf(s.base, id, "clusters"), statusValues(statuses))
}

// ClusterCriteria returns the command's cluster criteria in priority order.
func (s *Commands) ClusterCriteria(ctx context.Context, id string) ([]Criterion, error) {
	return getList[Criterion](ctx, s.c, pathOf(s.base, id, "clusterCriteria"), nil)
}

// AddClusterCriterion adds c as the command's lowest-priority criterion.
func (s *Commands) AddClusterCriterion(ctx context.Context, id string, c Criterion) error {
	_, err := s.c.write(ctx, http.MethodPost, pathOf(s.base, id, "clusterCriteria"), nil, c, nil)
	return err
}

// SetClusterCriteria replaces the command's cluster criteria.
func (s *Commands) SetClusterCriteria(ctx context.Context, id string, cs []Criterion) error {
	_, err := s.c.write(ctx, http.MethodPut, pathOf(s.base, id, "clusterCriteria"), nil, list(cs), nil)
	return err
}

// InsertClusterCriterion inserts c at priority (0 is the highest).
func (s *Commands) InsertClusterCriterion(ctx context.Context, id string, priority int, c Criterion) error {
	p := pathOf(s.base, id, "clusterCriteria", strconv.Itoa(priority))
	_, err := s.c.write(ctx, http.MethodPut, p, nil, c, nil)
	return err
}

// RemoveAllClusterCriteria removes all of the command's cluster criteria.
func (s *Commands) RemoveAllClusterCriteria(ctx context.Context, id string) error {
	_, err := s.c.write(ctx, http.MethodDelete, pathOf(s.base, id, "clusterCriteria"), nil, nil, nil)
	return err
}

// RemoveClusterCriterion removes the criterion at priority.
func (s *Commands) RemoveClusterCriterion(ctx context.Context, id string, priority int) error {
	p := pathOf(s.base, id, "clusterCriteria", strconv.Itoa(priority))
	_, err := s.c.write(ctx, http.MethodDelete, p, nil, nil, nil)
	return err
}

// ResolvedClusters returns, for each of the command's criteria, the clusters
// it selects. With addDefaultStatus, criteria without a status match only UP
// clusters.
func (s *Commands) ResolvedClusters(ctx context.Context, id string, addDefaultStatus bool) ([]ResolvedResources, error) {
	q := url.Values{"addDefaultStatus": {strconv.FormatBool(addDefaultStatus)}}
	return getList[ResolvedResources](ctx, s.c, pathOf(s.base, id, "resolvedClusters"), q)
}
