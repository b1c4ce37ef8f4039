package fsm

import (
	"fmt"
)

// The jobs table is written on every change of every job, so its two
// indexes over all jobs read their fields directly rather than by
// reflection, as memdb's field indexers do.

// jobIDIndex indexes jobs by id.
type jobIDIndex struct{}

func (jobIDIndex) FromObject(obj interface{}) (bool, []byte, error) {
	j, ok := obj.(*Job)
	if !ok {
		return false, nil, fmt.Errorf("jobIDIndex: unexpected %T", obj)
	}
	if j.ID == "" {
		return false, nil, nil
	}
	return true, append([]byte(j.ID), 0), nil
}

func (jobIDIndex) FromArgs(args ...interface{}) ([]byte, error) {
	return activeStatusIndex{}.FromArgs(args...)
}

// jobCreateIndex orders jobs by CreateIndex. The key is the index in
// fixed-width hex, not 8 bytes: keys in order share all but their last
// digits, and a radix tree node under which 256 successive keys end is
// copied whole by every transaction that adds one, where hex copies
// nodes of 16.
type jobCreateIndex struct{}

const hexDigits = "0123456789abcdef"

func (jobCreateIndex) FromObject(obj interface{}) (bool, []byte, error) {
	j, ok := obj.(*Job)
	if !ok {
		return false, nil, fmt.Errorf("jobCreateIndex: unexpected %T", obj)
	}
	key := make([]byte, 16)
	for i, v := 15, j.CreateIndex; i >= 0; i, v = i-1, v>>4 {
		key[i] = hexDigits[v&0xf]
	}
	return true, key, nil
}

func (jobCreateIndex) FromArgs(args ...interface{}) ([]byte, error) {
	if len(args) != 1 {
		return nil, fmt.Errorf("must provide only a single argument")
	}
	v, ok := args[0].(uint64)
	if !ok {
		return nil, fmt.Errorf("argument must be a uint64: %#v", args[0])
	}
	_, key, err := jobCreateIndex{}.FromObject(&Job{CreateIndex: v})
	return key, err
}
