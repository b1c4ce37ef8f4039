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
)

// Index names.
const (
	indexID        = "id"
	indexName      = "name"
	indexStatus    = "status"
	indexTags      = "tags"
	indexUser      = "user"
	indexCreate    = "create"
	indexNodeState = "node_status"
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

// jobsTable indexes what the API and the node query. Every index costs
// every job write, so jobs are indexed only where a scan would not do:
// finding a job of a resource only matters for unfinished ones, which the
// status index reaches.
func jobsTable() *memdb.TableSchema {
	return &memdb.TableSchema{
		Name: tableJobs,
		Indexes: map[string]*memdb.IndexSchema{
			indexID:     {Name: indexID, Unique: true, Indexer: &memdb.StringFieldIndex{Field: "ID"}},
			indexCreate: {Name: indexCreate, Unique: true, Indexer: &memdb.UintFieldIndex{Field: "CreateIndex"}},
			indexStatus: {Name: indexStatus, Indexer: &memdb.StringFieldIndex{Field: "Status"}},
			indexUser:   {Name: indexUser, AllowMissing: true, Indexer: &jobUserIndex{}},
			indexTags:   {Name: indexTags, AllowMissing: true, Indexer: &jobTagsIndex{}},
			indexNodeState: {Name: indexNodeState, AllowMissing: true, Indexer: &memdb.CompoundIndex{
				Indexes: []memdb.Indexer{
					&memdb.StringFieldIndex{Field: "Node"},
					&memdb.StringFieldIndex{Field: "Status"},
				},
			}},
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
		},
	}
}

// jobUserIndex indexes Job.Request.User (a nested field StringFieldIndex
// cannot reach).
type jobUserIndex struct{}

func (jobUserIndex) FromObject(obj interface{}) (bool, []byte, error) {
	j, ok := obj.(*Job)
	if !ok {
		return false, nil, fmt.Errorf("jobUserIndex: unexpected %T", obj)
	}
	if j.Request.User == "" {
		return false, nil, nil
	}
	return true, []byte(j.Request.User + "\x00"), nil
}

func (jobUserIndex) FromArgs(args ...interface{}) ([]byte, error) {
	return stringArg(args)
}

// jobTagsIndex indexes Job.Request.Tags.
type jobTagsIndex struct{}

func (jobTagsIndex) FromObject(obj interface{}) (bool, [][]byte, error) {
	j, ok := obj.(*Job)
	if !ok {
		return false, nil, fmt.Errorf("jobTagsIndex: unexpected %T", obj)
	}
	if len(j.Request.Tags) == 0 {
		return false, nil, nil
	}
	out := make([][]byte, 0, len(j.Request.Tags))
	for _, t := range j.Request.Tags {
		out = append(out, []byte(t+"\x00"))
	}
	return true, out, nil
}

func (jobTagsIndex) FromArgs(args ...interface{}) ([]byte, error) {
	return stringArg(args)
}

func stringArg(args []interface{}) ([]byte, error) {
	if len(args) != 1 {
		return nil, fmt.Errorf("must provide only a single argument")
	}
	s, ok := args[0].(string)
	if !ok {
		return nil, fmt.Errorf("argument must be a string: %#v", args[0])
	}
	return []byte(s + "\x00"), nil
}
