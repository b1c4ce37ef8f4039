package fsm

import (
	"fmt"
	"runtime"
	"sync"

	"github.com/hashicorp/go-msgpack/v2/codec"
)

// newRecord returns the table and an empty object of a snapshot record
// kind.
func newRecord(kind byte) (string, interface{}, error) {
	switch kind {
	case recordCluster:
		return tableClusters, &Cluster{}, nil
	case recordCommand:
		return tableCommands, &Command{}, nil
	case recordApplication:
		return tableApplications, &Application{}, nil
	case recordJob:
		return tableJobs, &Job{}, nil
	case recordTombstone:
		return tableTombstones, &Tombstone{}, nil
	case recordACLToken:
		return tableACLTokens, &ACLToken{}, nil
	case recordACLBootstrap:
		return tableACLBootstrap, &ACLBootstrap{}, nil
	case recordLimits:
		return tableSettings, &Limits{}, nil
	case recordNode:
		return tableNodes, &Node{}, nil
	case recordRetired:
		return tableRetired, &RetiredSegment{}, nil
	}
	return "", nil, fmt.Errorf("unknown record kind %d", kind)
}

// decodedRecord is one record of a snapshot: raw as read, then decoded.
type decodedRecord struct {
	kind  byte
	raw   codec.Raw
	table string
	obj   interface{}
}

// decodedChunk is a run of records decoded together.
type decodedChunk struct {
	records []decodedRecord
	err     error
	done    chan struct{}
}

// decodeRecords reads the records of a snapshot up to its end record and
// hands each, decoded, to insert in the order they were written. Decoding
// is most of a restore's time, so the records are only split apart here
// and decoded on every core; insert runs on the caller's goroutine.
func decodeRecords(dec *codec.Decoder, insert func(table string, obj interface{}) error) error {
	workers := runtime.GOMAXPROCS(0)
	ordered := make(chan *decodedChunk, 2*workers)
	tasks := make(chan *decodedChunk, workers)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range tasks {
				for i := range c.records {
					r := &c.records[i]
					if r.table, r.obj, c.err = newRecord(r.kind); c.err != nil {
						break
					}
					if err := Decode(r.raw, r.obj); err != nil {
						c.err = fmt.Errorf("%s: %w", r.table, err)
						break
					}
					r.raw = nil
					if j, ok := r.obj.(*Job); ok {
						internJob(j)
					}
				}
				close(c.done)
			}
		}()
	}
	// The reader splits the stream; a failure to read ends the last chunk.
	go func() {
		defer close(ordered)
		defer close(tasks)
		for end := false; !end; {
			c := &decodedChunk{done: make(chan struct{})}
			for len(c.records) < snapshotChunk {
				var r decodedRecord
				if err := dec.Decode(&r.kind); err != nil {
					c.err, end = fmt.Errorf("read record kind: %w", err), true
					break
				}
				if r.kind == recordEnd {
					end = true
					break
				}
				if err := dec.Decode(&r.raw); err != nil {
					c.err, end = fmt.Errorf("read record: %w", err), true
					break
				}
				c.records = append(c.records, r)
			}
			select {
			case ordered <- c:
			case <-stop:
				return
			}
			if c.err != nil {
				close(c.done)
				continue
			}
			tasks <- c
		}
	}()
	var firstErr error
	for c := range ordered {
		<-c.done
		if firstErr != nil {
			continue
		}
		for _, r := range c.records {
			if r.obj == nil {
				break
			}
			if err := insert(r.table, r.obj); err != nil {
				firstErr = fmt.Errorf("%s: %w", r.table, err)
				break
			}
		}
		if firstErr == nil {
			firstErr = c.err
		}
		if firstErr != nil {
			close(stop)
		}
	}
	wg.Wait()
	return firstErr
}
