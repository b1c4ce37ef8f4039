package fsm

import (
	"fmt"
	"sort"
	"strings"
)

// Resolution is what a job request resolves to: the command, the clusters
// any of which may run it, and the applications to set up.
type Resolution struct {
	Command      *Command
	Clusters     []*Cluster // every UP cluster the winning criterion matched
	Applications []*Application
	// Criterion is the merged cluster criterion that matched.
	Criterion Criterion
}

// ResolveError says why a request matched nothing, naming what was tried.
type ResolveError struct {
	CommandCriteria []string
	Tried           []Criterion
	Reason          string
}

func (e *ResolveError) Error() string {
	var b strings.Builder
	b.WriteString(e.Reason)
	fmt.Fprintf(&b, " (command criteria %v", e.CommandCriteria)
	if len(e.Tried) > 0 {
		b.WriteString("; cluster criteria tried:")
		for i, c := range e.Tried {
			if i > 0 {
				b.WriteString(",")
			}
			b.WriteString(" " + c.String())
		}
	}
	b.WriteString(")")
	return b.String()
}

// String renders a criterion the way error messages name it.
func (c Criterion) String() string {
	var parts []string
	if c.ID != "" {
		parts = append(parts, "id="+c.ID)
	}
	if c.Name != "" {
		parts = append(parts, "name="+c.Name)
	}
	if c.Version != "" {
		parts = append(parts, "version="+c.Version)
	}
	if c.Status != "" {
		parts = append(parts, "status="+c.Status)
	}
	if len(c.Tags) > 0 {
		parts = append(parts, "tags="+strings.Join(c.Tags, ","))
	}
	return "{" + strings.Join(parts, " ") + "}"
}

// Resolve applies Genie's rule. The job's command criteria select ACTIVE
// commands. For each command, its own cluster criteria (in order) are joined
// with each of the job's cluster criteria (in order); the first joined
// criterion that matches at least one UP cluster wins. When several
// commands can run, the one whose match came from the job's earliest
// criterion wins, then the most recently updated, then the lowest id, so
// the choice is deterministic.
func (s *State) Resolve(req *JobRequest) (*Resolution, error) {
	commands := s.Commands(ResourceFilter{Tags: req.CommandCriteria, Statuses: []string{string(StatusActive)}})
	if len(commands) == 0 {
		return nil, &ResolveError{CommandCriteria: req.CommandCriteria, Reason: "no ACTIVE command matches the command criteria"}
	}
	clusters := s.Clusters(ResourceFilter{Statuses: []string{string(ClusterUp)}})

	type candidate struct {
		res     *Resolution
		jobRank int
	}
	var best *candidate
	var tried []Criterion
	for _, cmd := range commands {
		res, rank, attempts := resolveCommand(cmd, req.ClusterCriterias, clusters)
		tried = append(tried, attempts...)
		if res == nil {
			continue
		}
		if best == nil || rank < best.jobRank {
			best = &candidate{res: res, jobRank: rank}
		}
	}
	if best == nil {
		return nil, &ResolveError{CommandCriteria: req.CommandCriteria, Tried: dedupeCriteria(tried), Reason: "no UP cluster matches the cluster criteria"}
	}

	appIDs := best.res.Command.Applications
	if len(req.Applications) > 0 {
		appIDs = req.Applications
	}
	for _, id := range appIDs {
		app := s.Application(id)
		if app == nil {
			return nil, &ResolveError{CommandCriteria: req.CommandCriteria, Reason: fmt.Sprintf("application %s does not exist", id)}
		}
		best.res.Applications = append(best.res.Applications, app)
	}
	return best.res, nil
}

// resolveCommand finds the first joined criterion of cmd that matches an UP
// cluster. rank is the index of the job criterion it came from.
func resolveCommand(cmd *Command, jobCriteria [][]string, up []*Cluster) (*Resolution, int, []Criterion) {
	cmdCriteria := cmd.ClusterCriteria
	if len(cmdCriteria) == 0 {
		cmdCriteria = []Criterion{{}}
	}
	var tried []Criterion
	for _, cc := range cmdCriteria {
		for rank, jobTags := range jobCriteria {
			merged, ok := mergeCriterion(cc, jobTags)
			if !ok {
				continue
			}
			tried = append(tried, merged)
			var matched []*Cluster
			for _, cl := range up {
				if merged.matches(cl) {
					matched = append(matched, cl)
				}
			}
			if len(matched) > 0 {
				sort.Slice(matched, func(i, j int) bool { return matched[i].ID < matched[j].ID })
				return &Resolution{Command: cmd, Clusters: matched, Criterion: merged}, rank, tried
			}
		}
	}
	return nil, 0, tried
}

// mergeCriterion joins a command's cluster criterion with a job's tags. It
// fails when both name a different id, name, version or status.
func mergeCriterion(c Criterion, jobTags []string) (Criterion, bool) {
	out := Criterion{ID: c.ID, Name: c.Name, Version: c.Version, Status: c.Status}
	seen := make(map[string]bool)
	for _, t := range append(append([]string{}, c.Tags...), jobTags...) {
		if seen[t] {
			continue
		}
		seen[t] = true
		// Implicit tags fold into the fields they stand for.
		if v, ok := strings.CutPrefix(t, TagPrefixID); ok {
			if out.ID != "" && out.ID != v {
				return Criterion{}, false
			}
			out.ID = v
			continue
		}
		if v, ok := strings.CutPrefix(t, TagPrefixName); ok {
			if out.Name != "" && out.Name != v {
				return Criterion{}, false
			}
			out.Name = v
			continue
		}
		out.Tags = append(out.Tags, t)
	}
	sort.Strings(out.Tags)
	return out, true
}

func (c Criterion) matches(cl *Cluster) bool {
	return cl.Status == ClusterUp && c.Matches(cl)
}

// Matches reports whether cl satisfies every field the criterion sets,
// whatever the cluster's status when the criterion names none.
func (c Criterion) Matches(cl *Cluster) bool {
	if c.Status != "" && !strings.EqualFold(c.Status, string(cl.Status)) {
		return false
	}
	if c.ID != "" && c.ID != cl.ID {
		return false
	}
	if c.Name != "" && c.Name != cl.Name {
		return false
	}
	if c.Version != "" && c.Version != cl.Version {
		return false
	}
	return cl.HasTags(c.Tags)
}

// ClustersMatching returns the clusters c matches, most recently updated
// first.
func (s *State) ClustersMatching(c Criterion) []*Cluster {
	var out []*Cluster
	for _, cl := range s.Clusters(ResourceFilter{}) {
		if c.Matches(cl) {
			out = append(out, cl)
		}
	}
	return out
}

func dedupeCriteria(in []Criterion) []Criterion {
	seen := make(map[string]bool)
	var out []Criterion
	for _, c := range in {
		k := c.String()
		if !seen[k] {
			seen[k] = true
			out = append(out, c)
		}
	}
	return out
}
