package fsm

import (
	"bytes"
	"fmt"
	"slices"
	"sync"

	"github.com/hashicorp/go-msgpack/v2/codec"
)

// jobKey is what searches, counts and retirement read of a job. A frozen
// job keeps it unpacked, so a walk over a million of them decodes none.
type jobKey struct {
	ID, Name, User                                 string
	Status                                         JobStatus
	Tags                                           []string
	ClusterID, ClusterName, CommandID, CommandName string
	Grouping, GroupingInstance, Node               string
	Created, Started, Finished                     int64
	CreateIndex, ModifyIndex                       uint64
}

func (j *Job) key() jobKey {
	return jobKey{
		ID: j.ID, Name: j.Request.Name, User: j.Request.User, Status: j.Status, Tags: j.Request.Tags,
		ClusterID: j.ClusterID, ClusterName: j.ClusterName, CommandID: j.CommandID, CommandName: j.CommandName,
		Grouping: j.Request.Grouping, GroupingInstance: j.Request.GroupingInstance, Node: j.Node,
		Created: j.Created, Started: j.Started, Finished: j.Finished,
		CreateIndex: j.CreateIndex, ModifyIndex: j.ModifyIndex,
	}
}

// withKey sets j's fields from k.
func (j *Job) withKey(k *jobKey) {
	j.ID, j.Request.Name, j.Request.User, j.Status, j.Request.Tags = k.ID, k.Name, k.User, k.Status, k.Tags
	j.ClusterID, j.ClusterName, j.CommandID, j.CommandName = k.ClusterID, k.ClusterName, k.CommandID, k.CommandName
	j.Request.Grouping, j.Request.GroupingInstance, j.Node = k.Grouping, k.GroupingInstance, k.Node
	j.Created, j.Started, j.Finished = k.Created, k.Started, k.Finished
	j.CreateIndex, j.ModifyIndex = k.CreateIndex, k.ModifyIndex
}

// frozenJob is a settled job in about half the memory of its Job: the key,
// and the rest of the record packed as a msgpack array (no field names).
// The packing never leaves the process, so its layout is free to change
// with the Job type.
type frozenJob struct {
	jobKey
	packed []byte
}

var packHandle = func() *codec.MsgpackHandle {
	h := &codec.MsgpackHandle{}
	h.RawToString = true
	h.WriteExt = true
	h.StructToArray = true
	return h
}()

var packBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// freeze packs a settled job.
func freeze(j *Job) (*frozenJob, error) {
	f := &frozenJob{jobKey: j.key()}
	// A record unpacked and changed holds its own copies of the strings.
	k := &f.jobKey
	for _, p := range []*string{&k.Name, &k.User, &k.ClusterID, &k.ClusterName, &k.CommandID, &k.CommandName, &k.Grouping, &k.Node} {
		*p = intern(*p)
	}
	// The tags' array may be shared with the record being replaced, which
	// readers still hold: intern into a copy.
	k.Tags = slices.Clone(k.Tags)
	internAll(k.Tags)
	rest := *j
	rest.withKey(&jobKey{})
	buf := packBuffers.Get().(*bytes.Buffer)
	defer packBuffers.Put(buf)
	buf.Reset()
	if err := codec.NewEncoder(buf, packHandle).Encode(&rest); err != nil {
		return nil, fmt.Errorf("pack job %s: %w", j.ID, err)
	}
	f.packed = bytes.Clone(buf.Bytes())
	return f, nil
}

// record unpacks the whole job.
func (f *frozenJob) record() *Job {
	j := &Job{}
	if err := codec.NewDecoderBytes(f.packed, packHandle).Decode(j); err != nil {
		// The bytes were packed by freeze in this process: failing to read
		// them back is a defect, not bad input.
		panic(fmt.Errorf("unpack frozen job %s: %w", f.ID, err))
	}
	j.withKey(&f.jobKey)
	return j
}

// jobRow is a job as the state keeps it: a *Job in the jobs table, or a
// *frozenJob.
type jobRow interface {
	order() uint64
	rowKey() *jobKey
	record() *Job
}

func (j *Job) order() uint64 { return j.CreateIndex }

func (j *Job) rowKey() *jobKey {
	k := j.key()
	return &k
}

func (j *Job) record() *Job { return j }

func (f *frozenJob) order() uint64 { return f.CreateIndex }

func (f *frozenJob) rowKey() *jobKey { return &f.jobKey }
