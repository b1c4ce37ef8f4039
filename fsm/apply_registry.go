package fsm

import (
	"github.com/hashicorp/go-memdb"
)

func applyCluster(txn *memdb.Txn, index uint64, req *ClusterRequest) interface{} {
	c := req.Cluster
	if req.Op == OpDeleteAll {
		return deleteAll(txn, index, tableClusters, c.WriteToken, activeJobsUsing(func(j *Job) string { return j.ClusterID }))
	}
	existing, err := firstCluster(txn, c.ID)
	if err != nil {
		return err
	}
	switch req.Op {
	case OpCreate:
		if existing != nil && retried(&existing.Resource, &c.Resource) {
			return &ApplyResult{Index: existing.ModifyIndex, Existing: true}
		}
		if existing != nil {
			return Errorf(ErrCodeExists, "a cluster with id %s already exists", c.ID)
		}
		c.ModifyIndex = index
		if err := txn.Insert(tableClusters, &c); err != nil {
			return err
		}
	case OpUpdate:
		if existing != nil && retried(&existing.Resource, &c.Resource) {
			return &ApplyResult{Index: existing.ModifyIndex, Existing: true}
		}
		if err := checkUpdate("cluster", c.ID, existing != nil, modifyIndex(existing), req.ExpectIndex); err != nil {
			return err
		}
		if existing.Status == ClusterTerminated && c.Status != ClusterTerminated {
			return Errorf(ErrCodeInvalid, "cluster %s is TERMINATED: its status is final", c.ID)
		}
		c.Created = existing.Created
		c.ModifyIndex = index
		if err := txn.Insert(tableClusters, &c); err != nil {
			return err
		}
	case OpDelete:
		if res, ok := retriedDelete(txn, tableClusters, c.ID, c.WriteToken); ok && existing == nil {
			return res
		}
		if err := checkUpdate("cluster", c.ID, existing != nil, modifyIndex(existing), req.ExpectIndex); err != nil {
			return err
		}
		if err := checkNoActiveJobs(txn, "cluster", c.ID, func(j *Job) string { return j.ClusterID }); err != nil {
			return err
		}
		if err := txn.Delete(tableClusters, existing); err != nil {
			return err
		}
		if err := recordDelete(txn, index, tableClusters, c.ID, c.WriteToken); err != nil {
			return err
		}
	default:
		return Errorf(ErrCodeInvalid, "unknown registry operation %d", req.Op)
	}
	return &ApplyResult{Index: index}
}

func applyCommand(txn *memdb.Txn, index uint64, req *CommandRequest) interface{} {
	c := req.Command
	if req.Op == OpDeleteAll {
		return deleteAll(txn, index, tableCommands, c.WriteToken, activeJobsUsing(func(j *Job) string { return j.CommandID }))
	}
	raw, err := txn.First(tableCommands, indexID, c.ID)
	if err != nil {
		return err
	}
	existing, _ := raw.(*Command)
	switch req.Op {
	case OpCreate, OpUpdate:
		if existing != nil && retried(&existing.Resource, &c.Resource) {
			return &ApplyResult{Index: existing.ModifyIndex, Existing: true}
		}
		if req.Op == OpCreate && existing != nil {
			return Errorf(ErrCodeExists, "a command with id %s already exists", c.ID)
		}
		if req.Op == OpUpdate {
			var idx uint64
			if existing != nil {
				idx = existing.ModifyIndex
			}
			if err := checkUpdate("command", c.ID, existing != nil, idx, req.ExpectIndex); err != nil {
				return err
			}
			c.Created = existing.Created
		}
		for _, appID := range c.Applications {
			app, err := txn.First(tableApplications, indexID, appID)
			if err != nil {
				return err
			}
			if app == nil {
				return Errorf(ErrCodeNotFound, "no application with id %s", appID)
			}
		}
		c.ModifyIndex = index
		if err := txn.Insert(tableCommands, &c); err != nil {
			return err
		}
	case OpDelete:
		if res, ok := retriedDelete(txn, tableCommands, c.ID, c.WriteToken); ok && existing == nil {
			return res
		}
		if existing == nil {
			return Errorf(ErrCodeNotFound, "no command with id %s", c.ID)
		}
		if req.ExpectIndex != 0 && req.ExpectIndex != existing.ModifyIndex {
			return Errorf(ErrCodeModified, "command %s was modified concurrently", c.ID)
		}
		if err := checkNoActiveJobs(txn, "command", c.ID, func(j *Job) string { return j.CommandID }); err != nil {
			return err
		}
		if err := txn.Delete(tableCommands, existing); err != nil {
			return err
		}
		if err := recordDelete(txn, index, tableCommands, c.ID, c.WriteToken); err != nil {
			return err
		}
	default:
		return Errorf(ErrCodeInvalid, "unknown registry operation %d", req.Op)
	}
	return &ApplyResult{Index: index}
}

func applyApplication(txn *memdb.Txn, index uint64, req *ApplicationRequest) interface{} {
	a := req.Application
	if req.Op == OpDeleteAll {
		return deleteAll(txn, index, tableApplications, a.WriteToken, commandsUsing)
	}
	raw, err := txn.First(tableApplications, indexID, a.ID)
	if err != nil {
		return err
	}
	existing, _ := raw.(*Application)
	var idx uint64
	if existing != nil {
		idx = existing.ModifyIndex
	}
	switch req.Op {
	case OpCreate:
		if existing != nil && retried(&existing.Resource, &a.Resource) {
			return &ApplyResult{Index: existing.ModifyIndex, Existing: true}
		}
		if existing != nil {
			return Errorf(ErrCodeExists, "an application with id %s already exists", a.ID)
		}
		a.ModifyIndex = index
		if err := txn.Insert(tableApplications, &a); err != nil {
			return err
		}
	case OpUpdate:
		if existing != nil && retried(&existing.Resource, &a.Resource) {
			return &ApplyResult{Index: existing.ModifyIndex, Existing: true}
		}
		if err := checkUpdate("application", a.ID, existing != nil, idx, req.ExpectIndex); err != nil {
			return err
		}
		a.Created = existing.Created
		a.ModifyIndex = index
		if err := txn.Insert(tableApplications, &a); err != nil {
			return err
		}
	case OpDelete:
		if res, ok := retriedDelete(txn, tableApplications, a.ID, a.WriteToken); ok && existing == nil {
			return res
		}
		if err := checkUpdate("application", a.ID, existing != nil, idx, req.ExpectIndex); err != nil {
			return err
		}
		users, err := commandsUsingApplication(txn, a.ID)
		if err != nil {
			return err
		}
		if len(users) > 0 {
			return Errorf(ErrCodeInUse, "application %s is used by command %s", a.ID, users[0].ID)
		}
		if err := txn.Delete(tableApplications, existing); err != nil {
			return err
		}
		if err := recordDelete(txn, index, tableApplications, a.ID, a.WriteToken); err != nil {
			return err
		}
	default:
		return Errorf(ErrCodeInvalid, "unknown registry operation %d", req.Op)
	}
	return &ApplyResult{Index: index}
}

// retried reports whether a write is a retry of the one that made the
// current version.
func retried(current, write *Resource) bool {
	return write.WriteToken != "" && current.WriteToken == write.WriteToken
}

func firstCluster(txn *memdb.Txn, id string) (*Cluster, error) {
	raw, err := txn.First(tableClusters, indexID, id)
	if err != nil || raw == nil {
		return nil, err
	}
	return raw.(*Cluster), nil
}

func modifyIndex(c *Cluster) uint64 {
	if c == nil {
		return 0
	}
	return c.ModifyIndex
}

// checkUpdate enforces that an update or delete names an existing resource
// and, when the proposer asked for it, that nobody changed it since it read it.
func checkUpdate(kind, id string, exists bool, have, expect uint64) error {
	if !exists {
		return Errorf(ErrCodeNotFound, "no %s with id %s", kind, id)
	}
	if expect != 0 && expect != have {
		return Errorf(ErrCodeModified, "%s %s was modified concurrently", kind, id)
	}
	return nil
}

// checkNoActiveJobs refuses to delete a resource that unfinished jobs use.
func checkNoActiveJobs(txn *memdb.Txn, kind, id string, ref func(*Job) string) error {
	for _, st := range ActiveJobStatuses {
		it, err := txn.Get(tableJobs, indexActive, string(st))
		if err != nil {
			return err
		}
		for raw := it.Next(); raw != nil; raw = it.Next() {
			if j := raw.(*Job); ref(j) == id {
				return Errorf(ErrCodeInUse, "%s %s is used by unfinished job %s", kind, id, j.ID)
			}
		}
	}
	return nil
}

func commandsUsingApplication(txn *memdb.Txn, appID string) ([]*Command, error) {
	it, err := txn.Get(tableCommands, indexID)
	if err != nil {
		return nil, err
	}
	var out []*Command
	for raw := it.Next(); raw != nil; raw = it.Next() {
		c := raw.(*Command)
		for _, a := range c.Applications {
			if a == appID {
				out = append(out, c)
				break
			}
		}
	}
	return out, nil
}
