package fsm

import (
	"github.com/hashicorp/go-memdb"
	"github.com/hashicorp/raft"
)

// Table names a blocking query may watch: the raft index of the last entry
// that changed the table, deletes included, is the index of a search over
// it.
type Table string

const (
	TableClusters     Table = tableClusters
	TableCommands     Table = tableCommands
	TableApplications Table = tableApplications
	TableJobs         Table = tableJobs
	TableACLTokens    Table = tableACLTokens
	TableNodes        Table = tableNodes
	// TableRaftConfiguration is not a memdb table: its index moves when a
	// raft configuration entry (a peer added or removed) is applied.
	TableRaftConfiguration Table = "raft_configuration"
)

// tableIndexes holds one TableIndex per table that has changed.
const tableIndexes = "index"

// TableIndex is the raft index of the last entry that changed Table.
type TableIndex struct {
	Table string
	Index uint64
}

func tableIndexSchema() *memdb.TableSchema {
	return &memdb.TableSchema{
		Name: tableIndexes,
		Indexes: map[string]*memdb.IndexSchema{
			indexID: {Name: indexID, Unique: true, Indexer: &memdb.StringFieldIndex{Field: "Table"}},
		},
	}
}

// tablesChangedBy lists the tables an entry of type t may change. A list
// too wide only wakes a blocking query that then finds nothing new; one
// too narrow would leave it asleep, so every table a handler writes is here.
func tablesChangedBy(t MessageType) []string {
	switch t {
	case ClusterRequestType:
		return []string{tableClusters, tableTombstones}
	case CommandRequestType:
		return []string{tableCommands, tableTombstones}
	case ApplicationRequestType:
		return []string{tableApplications, tableTombstones}
	case JobSubmitRequestType, JobTransitionRequestType, JobArchiveRequestType, JobReassignRequestType, JobAssignRequestType:
		return []string{tableJobs, tableUsage}
	case JobRetireRequestType:
		return []string{tableJobs, tableUsage, tableRetired}
	case ACLTokenRequestType, ACLBootstrapRequestType:
		return []string{tableACLTokens, tableACLBootstrap}
	case LimitsRequestType:
		return []string{tableSettings}
	case NodeUpsertRequestType, NodeDeleteRequestType:
		return []string{tableNodes, tableJobs, tableUsage}
	}
	return nil
}

// batchIndexes collects, through one batch of entries, the last index that
// changed each table; write records them in the batch's transaction.
type batchIndexes map[string]uint64

func (b batchIndexes) note(l *raft.Log, res interface{}) {
	if _, refused := res.(error); refused {
		return
	}
	switch l.Type {
	case raft.LogConfiguration:
		b[string(TableRaftConfiguration)] = l.Index
	case raft.LogCommand:
		for _, t := range tablesChangedBy(MessageType(l.Data[0])) {
			b[t] = l.Index
		}
	}
}

func (b batchIndexes) write(txn *memdb.Txn) error {
	for t, index := range b {
		if err := txn.Insert(tableIndexes, &TableIndex{Table: t, Index: index}); err != nil {
			return err
		}
	}
	return nil
}

// Index returns the highest index among tables (zero when none has
// changed yet) and adds to ws what closes when any of them changes.
func (s *State) Index(ws memdb.WatchSet, tables ...Table) uint64 {
	txn := s.db.Txn(false)
	var max uint64
	for _, t := range tables {
		ch, raw, err := txn.FirstWatch(tableIndexes, indexID, string(t))
		if err != nil {
			continue
		}
		ws.Add(ch)
		if raw != nil {
			max = maxIndex(max, raw.(*TableIndex).Index)
		}
	}
	return max
}

// LatestIndex is the highest index of any table: a blocking query asking
// for more than that asks for the future and is answered at once.
func (s *State) LatestIndex() uint64 {
	it, err := s.db.Txn(false).Get(tableIndexes, indexID)
	if err != nil {
		return 0
	}
	var max uint64
	for raw := it.Next(); raw != nil; raw = it.Next() {
		max = maxIndex(max, raw.(*TableIndex).Index)
	}
	return max
}

// JobIndex returns the job's modify index and adds its watch to ws; for a
// job not (or not yet) recorded, the jobs table's, so a query waiting for
// it to appear wakes when it does.
func (s *State) JobIndex(ws memdb.WatchSet, id string) uint64 {
	row, ch, err := watchRow(s.db.Txn(false), id)
	switch {
	case err != nil:
		return 0
	case row == nil:
		return s.Index(ws, TableJobs)
	}
	ws.Add(ch)
	return objectIndex(row)
}

// ResourceIndex is JobIndex for a cluster, command or application.
func (s *State) ResourceIndex(ws memdb.WatchSet, t Table, id string) uint64 {
	return s.recordIndex(ws, string(t), id, objectIndex)
}

func (s *State) recordIndex(ws memdb.WatchSet, table, id string, index func(interface{}) uint64) uint64 {
	ch, raw, err := s.db.Txn(false).FirstWatch(table, indexID, id)
	if err != nil {
		return 0
	}
	if raw == nil {
		return s.Index(ws, Table(table))
	}
	ws.Add(ch)
	return index(raw)
}

// AbandonCh is closed when a snapshot restore replaces this state: a
// query watching it must read the new one.
func (s *State) AbandonCh() <-chan struct{} {
	return s.abandonCh
}

func (s *State) abandon() {
	close(s.abandonCh)
}

// objectIndex is the raft index of an object's last change, as the
// object records it.
func objectIndex(obj interface{}) uint64 {
	switch o := obj.(type) {
	case *Cluster:
		return o.ModifyIndex
	case *Command:
		return o.ModifyIndex
	case *Application:
		return o.ModifyIndex
	case *Job:
		return o.ModifyIndex
	case *frozenJob:
		return o.ModifyIndex
	case *Tombstone:
		return o.Index
	case *ACLToken:
		return o.ModifyIndex
	case *ACLBootstrap:
		return o.Index
	case *Limits:
		return o.ModifyIndex
	case *Node:
		return o.ModifyIndex
	case *RetiredSegment:
		return o.Seq
	}
	return 0
}

// restoreIndexes gives every table the highest index found in a snapshot:
// at least that of its own last change the snapshot shows (a delete
// leaves a tombstone), so a query's index never falls below the data it
// read before the restore.
func restoreIndexes(txn *memdb.Txn, latest uint64) error {
	if latest == 0 {
		return nil
	}
	b := batchIndexes{string(TableRaftConfiguration): latest}
	for name := range schema().Tables {
		if name != tableIndexes {
			b[name] = latest
		}
	}
	return b.write(txn)
}

func maxIndex(a, b uint64) uint64 {
	if a > b {
		return a
	}
	return b
}
