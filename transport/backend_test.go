package transport

import (
	"context"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/raft"

	"github.com/genie-cluster/genie/api"
	"github.com/genie-cluster/genie/fsm"
)

// fakeBackend applies entries straight to an FSM, as a single node's raft
// would after commit, so the API can be tested without raft or processes.
type fakeBackend struct {
	mu     sync.Mutex
	fsm    *fsm.FSM
	index  uint64
	outDir string
}

func newFakeBackend(t testing.TB) *fakeBackend {
	f, err := fsm.New(&fsm.Config{})
	if err != nil {
		t.Fatal(err)
	}
	return &fakeBackend{fsm: f, outDir: t.TempDir()}
}

func (b *fakeBackend) State() *fsm.State { return b.fsm.State() }

func (b *fakeBackend) Apply(ctx context.Context, t fsm.MessageType, msg interface{}) (*fsm.ApplyResult, error) {
	buf, err := fsm.Encode(t, msg)
	if err != nil {
		return nil, err
	}
	return b.applyEncoded(buf)
}

// applyEncoded applies an encoded entry at the next index.
func (b *fakeBackend) applyEncoded(buf []byte) (*fsm.ApplyResult, error) {
	b.mu.Lock()
	b.index++
	res := b.fsm.Apply(&raft.Log{Index: b.index, Type: raft.LogCommand, Data: buf})
	b.mu.Unlock()
	if err, ok := res.(error); ok {
		return nil, err
	}
	return res.(*fsm.ApplyResult), nil
}

func (b *fakeBackend) SubmitJob(ctx context.Context, sub *Submission) (*fsm.ApplyResult, error) {
	res, err := b.State().Resolve(&sub.Request)
	if err != nil {
		return nil, err
	}
	id := sub.Request.ID
	if id == "" {
		id = "job-" + time.Now().Format("150405.000000000")
	}
	now := time.Now().UnixMilli()
	return b.Apply(ctx, fsm.JobSubmitRequestType, &fsm.JobSubmitRequest{Job: fsm.Job{
		ID: id, Request: sub.Request, RequestHash: sub.RequestHash, Status: fsm.JobAccepted,
		Node: "n1", NodeName: "node-1", ClusterID: res.Clusters[0].ID, ClusterName: res.Clusters[0].Name,
		CommandID: res.Command.ID, CommandName: res.Command.Name, Created: now, Updated: now,
		ArchiveStatus: fsm.ArchivePending, ClientHost: sub.ClientHost, UserAgent: sub.UserAgent,
	}})
}

func (b *fakeBackend) KillJob(ctx context.Context, id string) error {
	_, err := b.Apply(ctx, fsm.JobTransitionRequestType, &fsm.JobTransitionRequest{
		ID: id, From: fsm.ActiveJobStatuses, To: fsm.JobKilled, StatusMsg: fsm.MsgKilledByUser})
	if fsm.CodeOf(err) == fsm.ErrCodeStatus {
		return nil
	}
	return err
}

func (b *fakeBackend) JobOutput(ctx context.Context, j *fsm.Job) (fs.FS, error) {
	return os.DirFS(b.outDir), nil
}

func (b *fakeBackend) Health() error              { return nil }
func (b *fakeBackend) Leader() (string, string)   { return "127.0.0.1:8300", "n1" }
func (b *fakeBackend) Metrics() http.Handler      { return http.NotFoundHandler() }
func (b *fakeBackend) LastContact() time.Duration { return 0 }

// testAPI serves the handler over a fake backend and returns a client.
func testAPI(t testing.TB) (*fakeBackend, *api.Client, *httptest.Server) {
	t.Helper()
	b := newFakeBackend(t)
	c, srv := serveAPI(t, b)
	return b, c, srv
}

// serveAPI serves the handler over backend and returns a client of it.
func serveAPI(t testing.TB, backend Backend) (*api.Client, *httptest.Server) {
	t.Helper()
	srv := httptest.NewServer(NewHandler(&HandlerConfig{Backend: backend, MaxRequestBytes: 1 << 20}))
	t.Cleanup(srv.Close)
	c, err := api.NewClient(&api.Config{Address: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	return c, srv
}
