package api

import (
	"net/url"
	"strconv"
	"time"
)

// QueryOptions filters and pages a search of clusters, commands or
// applications. Zero fields do not filter. String filters match exactly,
// or as SQL LIKE patterns when they contain %.
type QueryOptions struct {
	Name string
	// User filters commands and applications.
	User string
	// Type filters applications.
	Type string
	// Status matches any of the statuses.
	Status []string
	// Tags must all be present; "genie.id:X" and "genie.name:X" match the
	// id and the name.
	Tags []string
	// MinUpdateTime and MaxUpdateTime bound clusters' update times.
	MinUpdateTime time.Time
	MaxUpdateTime time.Time

	// Page is 0-based; Size 0 means the server's default.
	Page int
	Size int
	// Sort entries are "property,asc" or "property,desc".
	Sort []string
	// Consistent reads from the raft leader instead of the node's replica.
	Consistent bool
}

func (q *QueryOptions) values() url.Values {
	v := url.Values{}
	if q == nil {
		return v
	}
	setString(v, "name", q.Name)
	setString(v, "user", q.User)
	setString(v, "type", q.Type)
	setStrings(v, "status", q.Status)
	setStrings(v, "tag", q.Tags)
	setMillis(v, "minUpdateTime", q.MinUpdateTime)
	setMillis(v, "maxUpdateTime", q.MaxUpdateTime)
	setPaging(v, q.Page, q.Size, q.Sort, q.Consistent)
	return v
}

// JobQuery filters and pages a search of jobs. Zero fields do not filter.
type JobQuery struct {
	ID   string
	Name string
	User string
	// Status matches any of the statuses.
	Status []JobStatus
	// Tags must all be present.
	Tags             []string
	ClusterName      string
	ClusterID        string
	CommandName      string
	CommandID        string
	Grouping         string
	GroupingInstance string
	// Min bounds are included, max bounds excluded.
	MinStarted  time.Time
	MaxStarted  time.Time
	MinFinished time.Time
	MaxFinished time.Time

	// Page is 0-based; Size 0 means the server's default.
	Page int
	Size int
	// Sort entries are "property,asc" or "property,desc".
	Sort []string
	// Consistent reads from the raft leader instead of the node's replica.
	Consistent bool
}

func (q *JobQuery) values() url.Values {
	v := url.Values{}
	if q == nil {
		return v
	}
	setString(v, "id", q.ID)
	setString(v, "name", q.Name)
	setString(v, "user", q.User)
	for _, s := range q.Status {
		v.Add("status", string(s))
	}
	setStrings(v, "tag", q.Tags)
	setString(v, "clusterName", q.ClusterName)
	setString(v, "clusterId", q.ClusterID)
	setString(v, "commandName", q.CommandName)
	setString(v, "commandId", q.CommandID)
	setString(v, "grouping", q.Grouping)
	setString(v, "groupingInstance", q.GroupingInstance)
	setMillis(v, "minStarted", q.MinStarted)
	setMillis(v, "maxStarted", q.MaxStarted)
	setMillis(v, "minFinished", q.MinFinished)
	setMillis(v, "maxFinished", q.MaxFinished)
	setPaging(v, q.Page, q.Size, q.Sort, q.Consistent)
	return v
}

func setString(v url.Values, key, s string) {
	if s != "" {
		v.Set(key, s)
	}
}

func setStrings(v url.Values, key string, ss []string) {
	for _, s := range ss {
		v.Add(key, s)
	}
}

func setMillis(v url.Values, key string, t time.Time) {
	if !t.IsZero() {
		v.Set(key, strconv.FormatInt(t.UnixMilli(), 10))
	}
}

func setPaging(v url.Values, page, size int, sort []string, consistent bool) {
	if page > 0 {
		v.Set("page", strconv.Itoa(page))
	}
	if size > 0 {
		v.Set("size", strconv.Itoa(size))
	}
	setStrings(v, "sort", sort)
	if consistent {
		v.Set("consistent", "")
	}
}

func statusValues[S ~string](statuses []S) url.Values {
	v := url.Values{}
	for _, s := range statuses {
		v.Add("status", string(s))
	}
	return v
}
