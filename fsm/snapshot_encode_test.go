package fsm

import (
	"bytes"
	"fmt"
	"io"
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
	rows, err := allJobs(txn, true)
	if err != nil {
		t.Fatal(err)
	}
	for r := rows.next(); r != nil; r = rows.next() {
		enc.Encode(recordJob)
		enc.Encode(r.record())
	}
	enc.Encode(recordEnd)
	if !bytes.Equal(got, want.Bytes()) {
		t.Fatalf("the snapshot (%d bytes) is not the records in order (%d bytes)", len(got), want.Len())
	}
}

func TestSnapshotOfManyChunksRestoresWholeOrNotAtAll(t *testing.T) {
	tf := newTestFSM(t)
	n := 2*snapshotChunk + 5
	for i := 0; i < n; i++ {
		tf.mustApply(JobSubmitRequestType, submit(fmt.Sprintf("job-%05d", i), JobInvalid))
	}
	buf := snapshotBytes(t, tf.fsm)
	restored := restoreFrom(t, buf)
	if _, total := restored.State().Jobs(JobFilter{}, 0, 1); total != n {
		t.Fatalf("%d jobs restored, want %d", total, n)
	}
	if again := snapshotBytes(t, restored); !bytes.Equal(again, buf) {
		t.Fatal("the restored state's snapshot differs")
	}
	// Cut anywhere, even inside the second chunk, it is refused and the
	// state stays as it was.
	for _, cut := range []int{len(buf) / 3, len(buf) / 2, len(buf) - 1} {
		f, _ := New(&Config{})
		tf2 := &testFSM{t: t, fsm: f}
		tf2.mustApply(JobSubmitRequestType, submit("kept", JobInvalid))
		if err := f.Restore(io.NopCloser(bytes.NewReader(buf[:cut]))); err == nil {
			t.Fatalf("a snapshot cut at %d of %d bytes restored", cut, len(buf))
		}
		if f.State().Job("kept") == nil {
			t.Fatal("a failed restore changed the state")
		}
	}
}
