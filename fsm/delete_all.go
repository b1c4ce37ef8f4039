package fsm

import (
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/go-memdb"
)

// usersOf maps each id of a resource in use to what uses it ("unfinished
// job j1", "command c1").
type usersOf func(txn *memdb.Txn) (map[string]string, error)

// deleteAllNamed is how many of the resources in use a refused delete-all
// names; the message counts the rest.
const deleteAllNamed = 5

// deleteAll removes every record of a registry table in one entry, or
// none: as Genie's delete-all endpoints do, a kind whose resources are in
// use is refused whole, naming them. A retry of a delete-all that was
// committed while its answer was lost is recognised by its token and
// removes nothing created since.
func deleteAll(txn *memdb.Txn, index uint64, table, token string, users usersOf) interface{} {
	if res, ok := retriedDelete(txn, table, "", token); ok {
		return res
	}
	it, err := txn.Get(table, indexID)
	if err != nil {
		return err
	}
	var all []interface{}
	for raw := it.Next(); raw != nil; raw = it.Next() {
		all = append(all, raw)
	}
	used, err := users(txn)
	if err != nil {
		return err
	}
	var busy []string
	for _, raw := range all {
		id := resourceOf(raw).ID
		if by, ok := used[id]; ok {
			busy = append(busy, fmt.Sprintf("%s (used by %s)", id, by))
		}
	}
	if len(busy) > 0 {
		sort.Strings(busy)
		msg := strings.Join(busy[:min(len(busy), deleteAllNamed)], ", ")
		if more := len(busy) - deleteAllNamed; more > 0 {
			msg += fmt.Sprintf(" and %d more", more)
		}
		return Errorf(ErrCodeInUse, "no %s deleted: %d in use: %s", table, len(busy), msg)
	}
	for _, raw := range all {
		if err := txn.Delete(table, raw); err != nil {
			return err
		}
	}
	if err := recordDelete(txn, index, table, "", token); err != nil {
		return err
	}
	return &ApplyResult{Index: index}
}

// activeJobsUsing finds the resources unfinished jobs refer to through ref.
func activeJobsUsing(ref func(*Job) string) usersOf {
	return func(txn *memdb.Txn) (map[string]string, error) {
		used := map[string]string{}
		for _, st := range ActiveJobStatuses {
			it, err := txn.Get(tableJobs, indexActive, string(st))
			if err != nil {
				return nil, err
			}
			for raw := it.Next(); raw != nil; raw = it.Next() {
				j := raw.(*Job)
				if _, ok := used[ref(j)]; !ok {
					used[ref(j)] = "unfinished job " + j.ID
				}
			}
		}
		return used, nil
	}
}

// commandsUsing finds the applications commands refer to.
func commandsUsing(txn *memdb.Txn) (map[string]string, error) {
	it, err := txn.Get(tableCommands, indexID)
	if err != nil {
		return nil, err
	}
	used := map[string]string{}
	for raw := it.Next(); raw != nil; raw = it.Next() {
		c := raw.(*Command)
		for _, a := range c.Applications {
			if _, ok := used[a]; !ok {
				used[a] = "command " + c.ID
			}
		}
	}
	return used, nil
}

// resourceOf is the Resource a cluster, command or application embeds.
func resourceOf(raw interface{}) *Resource {
	switch r := raw.(type) {
	case *Cluster:
		return &r.Resource
	case *Command:
		return &r.Resource
	case *Application:
		return &r.Resource
	}
	panic(fmt.Sprintf("not a registry resource: %T", raw))
}
