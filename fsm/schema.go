package fsm

import (
	"fmt"

	"github.com/hashicorp/go-memdb"
)

// Table names.
const (
	tableClusters     = "clusters"
	tableCommands     = "commands"
	tableApplications = "applications"
	tableJobs         = "jobs"
	tableTombstones   = "tombstones"
	tableACLTokens    = "acl_tokens"
	tableACLBootstrap = "acl_bootstrap"
	tableSettings     = "settings"
	tableNodes        = "nodes"
	tableUsage        = "usage"
)

// Index names.
const (
	indexID     = "id"
	indexName   = "name"
	indexStatus = "status"
	indexTags   = "tags"
	indexCreate = "create"
	indexActive = "active"
	indexSecret = "secret"
	// indexQueued: queued jobs by user, then submission order.
	indexQueued = "queued"
)

func resourceTable(name string) *memdb.TableSchema {
	return &memdb.TableSchema{
		Name: name,
		Indexes: map[string]*memdb.IndexSchema{
			indexID:     {Name: indexID, Unique: true, Indexer: &memdb.StringFieldIndex{Field: "ID"}},
			indexName:   {Name: indexName, Indexer: &memdb.StringFieldIndex{Field: "Name"}},
			indexStatus: {Name: indexStatus, Indexer: &memdb.StringFieldIndex{Field: "Status"}},
			indexTags:   {Name: indexTags, AllowMissing: true, Indexer: &memdb.StringSliceFieldIndex{Field: "Tags"}},
		},
	}
}

// jobsTable holds the jobs that may still change and indexes what the API
// and the node query. Every index entry costs memory for each job, so a
// finished job is indexed only by id and submission order, and one whose
// archive is settled leaves the table for the frozen segments (frozen.go):
// searches walk the jobs in submission order (a page of results needs the
// newest anyway), and what must be found quickly (a node's jobs, the jobs
// using a resource, capacity) concerns unfinished jobs, which the active
// index holds.
func jobsTable() *memdb.TableSchema {
	return &memdb.TableSchema{
		Name: tableJobs,
		Indexes: map[string]*memdb.IndexSchema{
			indexID:     {Name: indexID, Unique: true, Indexer: jobIDIndex{}},
			indexCreate: {Name: indexCreate, Unique: true, Indexer: jobCreateIndex{}},
			indexActive: {Name: indexActive, AllowMissing: true, Indexer: activeStatusIndex{}},
			indexQueued: {Name: indexQueued, AllowMissing: true, Indexer: queuedIndex{}},
		},
	}
}

// schema is the state store's shape: one table per kind of record.
func schema() *memdb.DBSchema {
	return &memdb.DBSchema{
		Tables: map[string]*memdb.TableSchema{
			tableClusters:     resourceTable(tableClusters),
			tableCommands:     resourceTable(tableCommands),
			tableApplications: resourceTable(tableApplications),
			tableJobs:         jobsTable(),
			tableFrozen:       frozenTable(),
			tableTombstones:   tombstonesTable(),
			tableACLTokens:    aclTokensTable(),
			tableACLBootstrap: aclBootstrapTable(),
			tableSettings:     settingsTable(),
			tableNodes:        nodesTable(),
			tableUsage:        usageTable(),
			tableIndexes:      tableIndexSchema(),
			tableRetired:      retiredTable(),
		},
	}
}

// activeStatusIndex indexes unfinished jobs by status and leaves finished
// ones out.
type activeStatusIndex struct{}

func (activeStatusIndex) FromObject(obj interface{}) (bool, []byte, error) {
	j, ok := obj.(*Job)
	if !ok {
		return false, nil, fmt.Errorf("activeStatusIndex: unexpected %T", obj)
	}
	if j.Status.Terminal() {
		return false, nil, nil
	}
	return true, []byte(string(j.Status) + "\x00"), nil
}

func (activeStatusIndex) FromArgs(args ...interface{}) ([]byte, error) {
	if len(args) != 1 {
		return nil, fmt.Errorf("must provide only a single argument")
	}
	st, ok := args[0].(string)
	if !ok {
		return nil, fmt.Errorf("argument must be a string: %#v", args[0])
	}
	return []byte(st + "\x00"), nil
}
