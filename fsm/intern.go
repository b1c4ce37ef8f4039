package fsm

import "sync"

// Job records repeat the same few strings (node ids and names, cluster and
// command names, users, tags, status messages, user agents) hundreds of
// thousands of times; each record decoded from the log would hold its own
// copies. Interning them at apply keeps one copy of each, a few hundred
// bytes less a record.
//
// The table is bounded: once it holds maxInterned strings it stops adding
// (the strings already in it keep being shared), so a field that turns out
// to be unique per job (a job name with a date in it) cannot grow it
// without end.
const maxInterned = 1 << 16

var interned = struct {
	sync.Mutex
	m map[string]string
}{m: make(map[string]string)}

// intern returns the shared copy of s.
func intern(s string) string {
	if s == "" {
		return s
	}
	interned.Lock()
	defer interned.Unlock()
	if v, ok := interned.m[s]; ok {
		return v
	}
	if len(interned.m) < maxInterned {
		interned.m[s] = s
	}
	return s
}

func internAll(ss []string) {
	for i, s := range ss {
		ss[i] = intern(s)
	}
}

// internJob shares the repeated strings of a job record.
func internJob(j *Job) {
	for _, p := range []*string{&j.StatusMsg, &j.Node, &j.NodeName, &j.PinnedNode,
		&j.ClusterID, &j.ClusterName, &j.CommandID, &j.CommandName, &j.ClientHost, &j.UserAgent,
		&j.Request.Name, &j.Request.User, &j.Request.Version, &j.Request.Group, &j.Request.Email,
		&j.Request.Grouping} {
		*p = intern(*p)
	}
	internAll(j.Applications)
	internAll(j.Request.Tags)
	internAll(j.Request.CommandCriteria)
	internAll(j.Request.Applications)
	for _, c := range j.Request.ClusterCriterias {
		internAll(c)
	}
}
