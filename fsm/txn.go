package fsm

import (
	"github.com/hashicorp/go-memdb"
)

// writeTxn is the transaction a batch of entries applies in. The usage
// rows its entries change are kept aside and written once, when the batch
// commits: a row written through memdb costs about what the job itself
// does, and every job change moves two or three of them, so in a batch of
// submissions most of those writes would be overwritten by the next.
type writeTxn struct {
	*memdb.Txn
	usage map[string]*Usage
}

func newWriteTxn(txn *memdb.Txn) *writeTxn {
	return &writeTxn{Txn: txn, usage: map[string]*Usage{}}
}

// usageOf is the row keyed key as the batch has left it so far.
func (w *writeTxn) usageOf(key string) Usage {
	if u, ok := w.usage[key]; ok {
		return *u
	}
	return usageOf(w.Txn, key)
}

// addUsage moves the row keyed key by jobs and memory.
func (w *writeTxn) addUsage(key string, jobs, memory int) {
	u, ok := w.usage[key]
	if !ok {
		row := usageOf(w.Txn, key)
		u = &row
		w.usage[key] = u
	}
	u.Jobs += jobs
	u.Memory += memory
}

// flushUsage writes the rows the batch changed; one back at zero leaves
// the table.
func (w *writeTxn) flushUsage() error {
	for _, u := range w.usage {
		if u.Jobs == 0 && u.Memory == 0 {
			if err := w.Delete(tableUsage, u); err != nil && err != memdb.ErrNotFound {
				return err
			}
			continue
		}
		if err := w.Insert(tableUsage, u); err != nil {
			return err
		}
	}
	clear(w.usage)
	return nil
}
