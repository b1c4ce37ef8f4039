package fsm

import (
	"sort"
	"strings"

	"github.com/hashicorp/go-memdb"
)

// State is the queryable replicated state. Objects it returns are shared
// with the store and must not be modified.
type State struct {
	db        *memdb.MemDB
	abandonCh chan struct{}
}

// NewState returns an empty state store.
func NewState() (*State, error) {
	db, err := memdb.NewMemDB(schema())
	if err != nil {
		return nil, err
	}
	return &State{db: db, abandonCh: make(chan struct{})}, nil
}

// ResourceFilter selects clusters, commands or applications. Empty fields
// match everything. Name and User are patterns when they contain '%' (see
// Like), as in Genie.
type ResourceFilter struct {
	Name     string
	User     string
	Statuses []string
	// Tags must all be present; genie.id: and genie.name: tags match the id
	// and name.
	Tags []string
	Type string // applications only
	// MinUpdated and MaxUpdated bound Updated (unix ms): min included, max
	// excluded; zero means unbounded.
	MinUpdated int64
	MaxUpdated int64
}

func (f *ResourceFilter) match(r *Resource, status string) bool {
	if f.Name != "" && !Like(r.Name, f.Name) {
		return false
	}
	if f.User != "" && !Like(r.User, f.User) {
		return false
	}
	if len(f.Statuses) > 0 && !containsFold(f.Statuses, status) {
		return false
	}
	if f.MinUpdated != 0 && r.Updated < f.MinUpdated {
		return false
	}
	if f.MaxUpdated != 0 && r.Updated >= f.MaxUpdated {
		return false
	}
	return r.HasTags(f.Tags)
}

// Cluster returns the cluster with id, or nil.
func (s *State) Cluster(id string) *Cluster {
	raw, err := s.db.Txn(false).First(tableClusters, indexID, id)
	if err != nil || raw == nil {
		return nil
	}
	return raw.(*Cluster)
}

// Command returns the command with id, or nil.
func (s *State) Command(id string) *Command {
	raw, err := s.db.Txn(false).First(tableCommands, indexID, id)
	if err != nil || raw == nil {
		return nil
	}
	return raw.(*Command)
}

// Application returns the application with id, or nil.
func (s *State) Application(id string) *Application {
	raw, err := s.db.Txn(false).First(tableApplications, indexID, id)
	if err != nil || raw == nil {
		return nil
	}
	return raw.(*Application)
}

// Job returns the job with id, or nil.
func (s *State) Job(id string) *Job {
	j, _ := firstJob(s.db.Txn(false), id)
	return j
}

// Clusters returns the clusters f selects, most recently updated first.
func (s *State) Clusters(f ResourceFilter) []*Cluster {
	var out []*Cluster
	s.eachResource(tableClusters, f, func(raw interface{}) {
		c := raw.(*Cluster)
		if f.match(&c.Resource, string(c.Status)) {
			out = append(out, c)
		}
	})
	sort.SliceStable(out, func(i, j int) bool { return newer(&out[i].Resource, &out[j].Resource) })
	return out
}

// Commands returns the commands f selects, most recently updated first.
func (s *State) Commands(f ResourceFilter) []*Command {
	var out []*Command
	s.eachResource(tableCommands, f, func(raw interface{}) {
		c := raw.(*Command)
		if f.match(&c.Resource, string(c.Status)) {
			out = append(out, c)
		}
	})
	sort.SliceStable(out, func(i, j int) bool { return newer(&out[i].Resource, &out[j].Resource) })
	return out
}

// Applications returns the applications f selects, most recently updated first.
func (s *State) Applications(f ResourceFilter) []*Application {
	var out []*Application
	s.eachResource(tableApplications, f, func(raw interface{}) {
		a := raw.(*Application)
		if f.Type != "" && !Like(a.Type, f.Type) {
			return
		}
		if f.match(&a.Resource, string(a.Status)) {
			out = append(out, a)
		}
	})
	sort.SliceStable(out, func(i, j int) bool { return newer(&out[i].Resource, &out[j].Resource) })
	return out
}

// CommandsUsingApplication returns the commands that list application id.
func (s *State) CommandsUsingApplication(id string) []*Command {
	out, _ := commandsUsingApplication(s.db.Txn(false), id)
	return out
}

// eachResource walks the narrowest index the filter allows.
func (s *State) eachResource(table string, f ResourceFilter, fn func(interface{})) {
	txn := s.db.Txn(false)
	var it memdb.ResultIterator
	var err error
	switch {
	case idFromTags(f.Tags) != "":
		it, err = txn.Get(table, indexID, idFromTags(f.Tags))
	case f.Name != "" && !strings.Contains(f.Name, "%"):
		it, err = txn.Get(table, indexName, f.Name)
	case len(f.Tags) > 0 && !isImplicitTag(f.Tags[0]):
		it, err = txn.Get(table, indexTags, f.Tags[0])
	default:
		it, err = txn.Get(table, indexID)
	}
	if err != nil {
		return
	}
	for raw := it.Next(); raw != nil; raw = it.Next() {
		fn(raw)
	}
}

func idFromTags(tags []string) string {
	for _, t := range tags {
		if v, ok := strings.CutPrefix(t, TagPrefixID); ok {
			return v
		}
	}
	return ""
}

func isImplicitTag(t string) bool {
	return strings.HasPrefix(t, TagPrefixID) || strings.HasPrefix(t, TagPrefixName)
}

func newer(a, b *Resource) bool {
	if a.Updated != b.Updated {
		return a.Updated > b.Updated
	}
	return a.ID < b.ID
}

// JobFilter selects jobs. Empty fields match everything.
type JobFilter struct {
	ID               string
	Name             string
	User             string
	Statuses         []JobStatus
	Tags             []string
	ClusterName      string
	ClusterID        string
	CommandName      string
	CommandID        string
	Grouping         string
	GroupingInstance string
	Node             string
	// Bounds in unix ms: min included, max excluded, zero unbounded.
	MinStarted, MaxStarted   int64
	MinFinished, MaxFinished int64
	// OldestFirst lists in submission order instead of newest first.
	OldestFirst bool
}

// selectsAll reports whether the filter matches every job.
func (f *JobFilter) selectsAll() bool {
	return f.ID == "" && f.Name == "" && f.User == "" && len(f.Statuses) == 0 && len(f.Tags) == 0 &&
		f.ClusterName == "" && f.ClusterID == "" && f.CommandName == "" && f.CommandID == "" &&
		f.Grouping == "" && f.GroupingInstance == "" && f.Node == "" &&
		f.MinStarted == 0 && f.MaxStarted == 0 && f.MinFinished == 0 && f.MaxFinished == 0
}

func (f *JobFilter) match(j *Job) bool {
	k := j.key()
	return f.matchKey(&k)
}

func (f *JobFilter) matchKey(k *jobKey) bool {
	switch {
	case f.ID != "" && !Like(k.ID, f.ID),
		f.Name != "" && !Like(k.Name, f.Name),
		f.User != "" && !Like(k.User, f.User),
		len(f.Statuses) > 0 && !statusIn(k.Status, f.Statuses),
		f.ClusterName != "" && !Like(k.ClusterName, f.ClusterName),
		f.ClusterID != "" && k.ClusterID != f.ClusterID,
		f.CommandName != "" && !Like(k.CommandName, f.CommandName),
		f.CommandID != "" && k.CommandID != f.CommandID,
		f.Grouping != "" && !Like(k.Grouping, f.Grouping),
		f.GroupingInstance != "" && !Like(k.GroupingInstance, f.GroupingInstance),
		f.Node != "" && k.Node != f.Node,
		f.MinStarted != 0 && k.Started < f.MinStarted,
		f.MaxStarted != 0 && (k.Started == 0 || k.Started >= f.MaxStarted),
		f.MinFinished != 0 && k.Finished < f.MinFinished,
		f.MaxFinished != 0 && (k.Finished == 0 || k.Finished >= f.MaxFinished):
		return false
	}
	for _, t := range f.Tags {
		if !containsString(k.Tags, t) {
			return false
		}
	}
	return true
}

// Jobs returns one page of the jobs f selects, newest first (or oldest
// first), and how many match in all.
func (s *State) Jobs(f JobFilter, offset, limit int) ([]*Job, int) {
	txn := s.db.Txn(false)
	var matched []*Job
	collect := func(it memdb.ResultIterator) {
		for raw := it.Next(); raw != nil; raw = it.Next() {
			if j := raw.(*Job); f.match(j) {
				matched = append(matched, j)
			}
		}
	}
	switch {
	case f.ID != "" && !strings.Contains(f.ID, "%"):
		if j, err := firstJob(txn, f.ID); err == nil && j != nil && f.match(j) {
			matched = append(matched, j)
		}
	case len(f.Statuses) > 0 && allActive(f.Statuses):
		for _, st := range f.Statuses {
			if it, err := txn.Get(tableJobs, indexActive, string(st)); err == nil {
				collect(it)
			}
		}
	default:
		return jobsInOrder(txn, f, offset, limit)
	}
	sort.Slice(matched, func(a, b int) bool {
		return (matched[a].CreateIndex > matched[b].CreateIndex) != f.OldestFirst
	})
	total := len(matched)
	if offset >= total {
		return nil, total
	}
	end := total
	if limit > 0 && offset+limit < end {
		end = offset + limit
	}
	return matched[offset:end], total
}

// ActiveJobsOnNode returns the unfinished jobs recorded on node.
func (s *State) ActiveJobsOnNode(node string) []*Job {
	return s.activeJobs(func(j *Job) bool { return j.Node == node })
}

// ActiveJobs returns every unfinished job.
func (s *State) ActiveJobs() []*Job {
	return s.activeJobs(func(*Job) bool { return true })
}

func (s *State) activeJobs(keep func(*Job) bool) []*Job {
	txn := s.db.Txn(false)
	var out []*Job
	for _, st := range ActiveJobStatuses {
		it, err := txn.Get(tableJobs, indexActive, string(st))
		if err != nil {
			continue
		}
		for raw := it.Next(); raw != nil; raw = it.Next() {
			if j := raw.(*Job); keep(j) {
				out = append(out, j)
			}
		}
	}
	return out
}

// JobCounts returns the number of jobs in each status. Finished jobs are
// not indexed by status, so counting them walks every job.
func (s *State) JobCounts() map[JobStatus]int {
	out := make(map[JobStatus]int, len(AllJobStatuses))
	for _, st := range AllJobStatuses {
		out[st] = 0
	}
	srcs, err := jobSources(s.db.Txn(false), false)
	if err != nil {
		return out
	}
	for _, src := range srcs {
		for r := src.next(); r != nil; r = src.next() {
			out[r.rowKey().Status]++
		}
	}
	return out
}

func allActive(statuses []JobStatus) bool {
	for _, st := range statuses {
		if st.Terminal() {
			return false
		}
	}
	return true
}

// WatchJob returns the job with id and a channel closed when it next changes.
func (s *State) WatchJob(id string) (*Job, <-chan struct{}) {
	j, ch, _ := watchJob(s.db.Txn(false), id)
	return j, ch
}

// Like matches s against a pattern in which '%' stands for any run of
// characters, as Genie's search filters do; without '%' it is equality.
func Like(s, pattern string) bool {
	if !strings.Contains(pattern, "%") {
		return s == pattern
	}
	parts := strings.Split(pattern, "%")
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	last := parts[len(parts)-1]
	for _, p := range parts[1 : len(parts)-1] {
		i := strings.Index(s, p)
		if i < 0 {
			return false
		}
		s = s[i+len(p):]
	}
	return strings.HasSuffix(s, last)
}

func containsFold(set []string, s string) bool {
	for _, x := range set {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

func containsString(set []string, s string) bool {
	for _, x := range set {
		if x == s {
			return true
		}
	}
	return false
}
