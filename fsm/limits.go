package fsm

import (
	"fmt"

	"github.com/hashicorp/go-memdb"
)

// Limits are cluster settings that bound what one user may hold: Genie's
// active-job limit. Zero is no limit.
type Limits struct {
	ID string // always limitsID: one row
	// UserActive is every user's limit of unfinished jobs (ACCEPTED, INIT,
	// RUNNING), unless UserActiveByUser names the user.
	UserActive       int
	UserActiveByUser map[string]int
	ModifyIndex      uint64
}

const limitsID = "limits"

// ActiveLimit returns user's limit of unfinished jobs, zero for none.
func (l *Limits) ActiveLimit(user string) int {
	if l == nil {
		return 0
	}
	if n, ok := l.UserActiveByUser[user]; ok {
		return n
	}
	return l.UserActive
}

// LimitsRequest sets the active-job limit of User, or the default for every
// user when User is empty; zero removes it.
type LimitsRequest struct {
	User       string
	UserActive int
}

func settingsTable() *memdb.TableSchema {
	return &memdb.TableSchema{
		Name: tableSettings,
		Indexes: map[string]*memdb.IndexSchema{
			indexID: {Name: indexID, Unique: true, Indexer: &memdb.StringFieldIndex{Field: "ID"}},
		},
	}
}

func currentLimits(txn *memdb.Txn) (*Limits, error) {
	raw, err := txn.First(tableSettings, indexID, limitsID)
	if err != nil || raw == nil {
		return nil, err
	}
	return raw.(*Limits), nil
}

func applyLimits(txn *memdb.Txn, index uint64, req *LimitsRequest) interface{} {
	if req.UserActive < 0 {
		return Errorf(ErrCodeInvalid, "a limit must not be negative")
	}
	cur, err := currentLimits(txn)
	if err != nil {
		return err
	}
	next := &Limits{ID: limitsID, UserActiveByUser: map[string]int{}, ModifyIndex: index}
	if cur != nil {
		next.UserActive = cur.UserActive
		for u, n := range cur.UserActiveByUser {
			next.UserActiveByUser[u] = n
		}
	}
	switch {
	case req.User == "":
		next.UserActive = req.UserActive
	case req.UserActive == 0:
		delete(next.UserActiveByUser, req.User)
	default:
		next.UserActiveByUser[req.User] = req.UserActive
	}
	if err := txn.Insert(tableSettings, next); err != nil {
		return err
	}
	return &ApplyResult{Index: index}
}

// checkUserLimit refuses a new unfinished job of user when the user holds
// its limit already. It runs inside the apply, so submissions through
// different nodes can never pass the limit together.
func checkUserLimit(w *writeTxn, user string) error {
	txn := w.Txn
	limits, err := currentLimits(txn)
	if err != nil {
		return err
	}
	limit := limits.ActiveLimit(user)
	if limit <= 0 {
		return nil
	}
	if active := w.usageOf(userUsage(user)).Jobs; active >= limit {
		return &Error{Code: ErrCodeLimit, Message: fmt.Sprintf("User exceeded active jobs limit (%d/%d)", active, limit)}
	}
	return nil
}

// Limits returns the cluster's limits; nil when none were ever set.
func (s *State) Limits() *Limits {
	l, _ := currentLimits(s.db.Txn(false))
	return l
}
