package transport

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/genie-cluster/genie/api"
	"github.com/genie-cluster/genie/fsm"
)

// internalBackend is the fake backend with the node-to-node side: it
// counts the waits for this node's own writes and applies batches as a
// leader would, each entry on its own.
type internalBackend struct {
	*fakeBackend
	ownWriteWaits atomic.Int64
	batches       atomic.Int64
}

var _ Internal = (*internalBackend)(nil)

func (b *internalBackend) ApplyEntry(ctx context.Context, entry []byte) (*fsm.ApplyResult, error) {
	if err := fsm.CheckEntry(entry); err != nil {
		return nil, err
	}
	return b.applyEncoded(entry)
}

func (b *internalBackend) ApplyEntries(ctx context.Context, entries [][]byte) []AppliedEntry {
	b.batches.Add(1)
	out := make([]AppliedEntry, len(entries))
	for i, e := range entries {
		out[i].Result, out[i].Err = b.ApplyEntry(ctx, e)
	}
	return out
}

func (b *internalBackend) Self() api.AgentSelf                           { return api.AgentSelf{ID: "n1"} }
func (b *internalBackend) ReadIndex(ctx context.Context) (uint64, error) { return 0, nil }
func (b *internalBackend) ReadBarrier(ctx context.Context) error         { return nil }
func (b *internalBackend) ReadOwnWrites(ctx context.Context)             { b.ownWriteWaits.Add(1) }

func internalAPI(t *testing.T) (*internalBackend, *api.Client, *httptest.Server) {
	t.Helper()
	b := &internalBackend{fakeBackend: newFakeBackend(t)}
	c, srv := serveAPI(t, b)
	return b, c, srv
}

// A submission is answered from the leader's commit; what the client asks
// next on the node waits for the node's replica to hold it. Health and the
// node-to-node calls never wait on the replica.
func TestReadsWaitForTheNodesOwnWritesAndSubmissionsDoNot(t *testing.T) {
	b, c, srv := internalAPI(t)
	ctx := context.Background()
	c.Clusters().Create(ctx, newCluster("local", "local", api.ClusterStatusUp, "sched:adhoc"))
	c.Commands().Create(ctx, &api.Command{ID: "sh", Name: "sh", User: "ops", Version: "1", Status: api.CommandStatusActive,
		Tags: []string{"type:shell"}, ExecutableAndArguments: []string{"/bin/sh", "-c"}})

	waits := func(what string, want int64, do func() error) {
		t.Helper()
		before := b.ownWriteWaits.Load()
		if err := do(); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if got := b.ownWriteWaits.Load() - before; got != want {
			t.Errorf("%s waited for own writes %d times, want %d", what, got, want)
		}
	}
	var id string
	waits("a submission", 0, func() (err error) {
		id, err = c.Jobs().Submit(ctx, &api.JobRequest{Name: "n", User: "u",
			ClusterCriterias: []api.ClusterCriteria{{Tags: []string{"sched:adhoc"}}},
			CommandCriteria:  []string{"type:shell"}, CommandArgs: "true"})
		return err
	})
	waits("a job read", 1, func() error { _, err := c.Jobs().Get(ctx, id); return err })
	waits("a job search", 1, func() error { _, _, err := c.Jobs().List(ctx, &api.JobQuery{}); return err })
	waits("a kill", 1, func() error { return c.Jobs().Kill(ctx, id) })
	for _, path := range []string{"/v1/health", InternalSelfPath} {
		waits(path, 0, func() error {
			resp, err := http.Get(srv.URL + path)
			if err == nil {
				resp.Body.Close()
			}
			return err
		})
	}
}

// The batch endpoint answers each entry on its own, in order, without the
// job records, and refuses a body that is not a list of entries.
func TestApplyBatchAnswersEachEntry(t *testing.T) {
	b, _, srv := internalAPI(t)
	job := func(id, hash string) []byte {
		buf, err := fsm.Encode(fsm.JobSubmitRequestType, &fsm.JobSubmitRequest{Job: fsm.Job{
			ID: id, RequestHash: hash, Status: fsm.JobAccepted, Node: "n1", NodeName: "node-1",
			ArchiveStatus: fsm.ArchivePending,
		}})
		if err != nil {
			t.Fatal(err)
		}
		return buf
	}
	entries := [][]byte{job("a", "h1"), job("b", "h1"), job("a", "h2"), {0xff}}
	resps, err := CallInternalBatch(context.Background(), srv.Client(), srv.URL+InternalApplyBatchPath, "test", entries)
	if err != nil {
		t.Fatal(err)
	}
	if b.batches.Load() != 1 {
		t.Fatalf("%d batches applied, want 1", b.batches.Load())
	}
	for i, want := range []fsm.ErrorCode{0, 0, fsm.ErrCodeConflict, fsm.ErrCodeInvalid} {
		res, err := resps[i].Result()
		if got := fsm.CodeOf(err); got != want {
			t.Errorf("entry %d: error %v (code %v), want code %v", i, err, got, want)
		}
		if err == nil && (res.Index == 0 || res.Job != nil) {
			t.Errorf("entry %d: answer %+v, want an index and no record", i, res)
		}
	}
	if state := b.State(); state.Job("a") == nil || state.Job("b") == nil {
		t.Fatal("the accepted entries were not applied")
	}

	for _, body := range [][]byte{[]byte("not msgpack"), mustMarshal(t, [][]byte{})} {
		resp, err := srv.Client().Post(srv.URL+InternalApplyBatchPath, msgpackContentType, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("batch body %q answered %d, want 400", body, resp.StatusCode)
		}
	}
}

func mustMarshal(t *testing.T, v interface{}) []byte {
	t.Helper()
	buf, err := fsm.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return buf
}
