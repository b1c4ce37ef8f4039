package fsm

import (
	"github.com/hashicorp/go-memdb"
)

// Tombstone remembers a registry delete by its write token for a while, so
// a delete retried after its answer was lost (committed by a leader whose
// connection then dropped, or that lost leadership while answering)
// succeeds instead of finding nothing.
type Tombstone struct {
	Token string
	Table string
	ID    string
	// Index is the log index of the delete.
	Index uint64
}

// tombstoneWindow is how many log entries a tombstone outlives its delete
// by: far longer than any retry takes, short enough to keep the table small.
const tombstoneWindow = 100_000

func tombstonesTable() *memdb.TableSchema {
	return &memdb.TableSchema{
		Name: tableTombstones,
		Indexes: map[string]*memdb.IndexSchema{
			indexID:     {Name: indexID, Unique: true, Indexer: &memdb.StringFieldIndex{Field: "Token"}},
			indexCreate: {Name: indexCreate, Unique: true, Indexer: &memdb.UintFieldIndex{Field: "Index"}},
		},
	}
}

// retriedDelete answers a delete of a missing resource that a tombstone
// says this very write (token) already deleted.
func retriedDelete(txn *memdb.Txn, table, id, token string) (*ApplyResult, bool) {
	if token == "" {
		return nil, false
	}
	raw, err := txn.First(tableTombstones, indexID, token)
	if err != nil || raw == nil {
		return nil, false
	}
	t := raw.(*Tombstone)
	if t.Table != table || t.ID != id {
		return nil, false
	}
	return &ApplyResult{Index: t.Index, Existing: true}, true
}

// recordDelete leaves a tombstone for a delete with a token and drops those
// past the window.
func recordDelete(txn *memdb.Txn, index uint64, table, id, token string) error {
	if token == "" {
		return nil
	}
	if err := txn.Insert(tableTombstones, &Tombstone{Token: token, Table: table, ID: id, Index: index}); err != nil {
		return err
	}
	if index <= tombstoneWindow {
		return nil
	}
	it, err := txn.Get(tableTombstones, indexCreate)
	if err != nil {
		return err
	}
	var old []interface{}
	for raw := it.Next(); raw != nil && raw.(*Tombstone).Index < index-tombstoneWindow; raw = it.Next() {
		old = append(old, raw)
	}
	for _, raw := range old {
		if err := txn.Delete(tableTombstones, raw); err != nil {
			return err
		}
	}
	return nil
}
