package fsm

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/hashicorp/go-msgpack/v2/codec"
)

func TestSnapshotEncodedInChunksIsTheSequentialEncoding(t *testing.T) {
	tf := newTestFSM(t)
	for i := 0; i < 3*snapshotChunk+17; i++ {
		tf.mustApply(JobSubmitRequestType, submit(fmt.Sprintf("job-%05d", i), JobInvalid))
	}
	got := snapshotBytes(t, tf.fsm)

	var want bytes.Buffer
	enc := codec.NewEncoder(&want, msgpackHandle)
	enc.Encode(snapshotVersion)
	txn := tf.fsm.State().db.Txn(false)
	it, err := txn.Get(tableJobs, indexCreate)
	if err != nil {
		t.Fatal(err)
	}
	for raw := it.Next(); raw != nil; raw = it.Next() {
		enc.Encode(recordJob)
		enc.Encode(raw)
	}
	enc.Encode(recordEnd)
	if !bytes.Equal(got, want.Bytes()) {
		t.Fatalf("the snapshot (%d bytes) is not the records in order (%d bytes)", len(got), want.Len())
	}
}
