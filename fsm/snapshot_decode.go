package fsm

import (
	"fmt"

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

// decodedChunk is a run of records decoded together; err is why reading
// or decoding stopped in it.
type decodedChunk struct {
	records []decodedRecord
	err     error
}

// decodeRecords reads the records of a snapshot up to its end record and
// hands each, decoded, to insert in the order they were written. The
// records are only split apart here and decoded on every core; insert
// runs on the caller's goroutine.
func decodeRecords(dec *codec.Decoder, insert func(table string, obj interface{}) error) error {
	end := false
	next := func() (*decodedChunk, bool) {
		if end {
			return nil, false
		}
		c := &decodedChunk{}
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
		return c, true
	}
	decode := func(c *decodedChunk) {
		for i := range c.records {
			r := &c.records[i]
			var err error
			if r.table, r.obj, err = newRecord(r.kind); err == nil {
				if err = Decode(r.raw, r.obj); err != nil {
					err = fmt.Errorf("%s: %w", r.table, err)
				}
			}
			if err != nil {
				c.records, c.err = c.records[:i], err
				return
			}
			r.raw = nil
			if j, ok := r.obj.(*Job); ok {
				internJob(j)
				if settled(j) {
					if r.obj, err = freeze(j); err != nil {
						c.records, c.err = c.records[:i], err
						return
					}
				}
			}
		}
	}
	use := func(c *decodedChunk) error {
		for _, r := range c.records {
			if err := insert(r.table, r.obj); err != nil {
				return fmt.Errorf("%s: %w", r.table, err)
			}
		}
		return c.err
	}
	return inOrder(next, decode, use)
}
