package transport

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/genie-cluster/genie/acl"
	"github.com/genie-cluster/genie/api"
	"github.com/genie-cluster/genie/fsm"
)

// keyringBackend is a fake backend with a keyring that records changes.
type keyringBackend struct {
	*fakeBackend
	mu   sync.Mutex
	seen []api.KeyringRequest
}

func (b *keyringBackend) LocalKeyring() api.NodeKeyring {
	return api.NodeKeyring{Node: "node-1", ID: "n1", Encrypted: true, Keys: []string{"k1"}}
}

func (b *keyringBackend) ChangeLocalKeyring(op, key string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.seen = append(b.seen, api.KeyringRequest{Op: op, Key: key})
	return nil
}

func (b *keyringBackend) ClusterKeyring(ctx context.Context) (*api.GossipKeyring, error) {
	return &api.GossipKeyring{NumNodes: 1, Keys: []api.GossipKey{{Key: "k1", Nodes: 1, PrimaryOn: []string{"node-1"}}},
		Nodes: []api.NodeKeyring{b.LocalKeyring()}}, nil
}

func (b *keyringBackend) ChangeClusterKeyring(ctx context.Context, op, key string) (*api.KeyringResult, error) {
	if key == "missing" {
		return nil, fsm.Errorf(fsm.ErrCodeNotFound, "keyring use failed on 1 of 1 nodes (node-1: not installed)")
	}
	b.ChangeLocalKeyring(op, key)
	return &api.KeyringResult{Op: op, Nodes: []api.KeyringNodeResult{{Node: "node-1", ID: "n1"}}}, nil
}

func TestKeyringRoutes(t *testing.T) {
	b := &keyringBackend{fakeBackend: newFakeBackend(t)}
	h := NewHandler(&HandlerConfig{Backend: b, MaxRequestBytes: 1 << 20})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	want := map[string]acl.Access{
		"GET /v1/operator/keyring": acl.Admin, "POST /v1/operator/keyring": acl.Admin,
		"GET " + InternalKeyringPath: acl.Server, "POST " + InternalKeyringPath: acl.Server,
	}
	for _, r := range Routes(h) {
		if access, ok := want[r.Pattern]; ok {
			if r.Access != access {
				t.Errorf("%s needs %s, want %s", r.Pattern, r.Access, access)
			}
			delete(want, r.Pattern)
		}
	}
	if len(want) > 0 {
		t.Fatalf("routes missing: %v", want)
	}

	c, err := api.NewClient(&api.Config{Address: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	ring, err := c.Operator().Keyring(ctx)
	if err != nil || ring.NumNodes != 1 || ring.Keys[0].PrimaryOn[0] != "node-1" {
		t.Fatalf("%+v %v", ring, err)
	}
	res, err := c.Operator().KeyringOp(ctx, api.KeyringInstall, "k2")
	if err != nil || res.Op != api.KeyringInstall || len(res.Nodes) != 1 {
		t.Fatalf("%+v %v", res, err)
	}
	if _, err := c.Operator().KeyringOp(ctx, api.KeyringUse, "missing"); !api.IsNotFound(err) || !strings.Contains(err.Error(), "node-1") {
		t.Fatalf("a refusal: %v", err)
	}
	if _, err := c.Operator().KeyringOp(ctx, "rotate", "k2"); !api.HasStatus(err, http.StatusPreconditionFailed) || !strings.Contains(err.Error(), "field op") {
		t.Fatalf("an unknown op: %v", err)
	}
	if _, err := c.Operator().KeyringOp(ctx, api.KeyringRemove, " "); !api.HasStatus(err, http.StatusPreconditionFailed) || !strings.Contains(err.Error(), "field key") {
		t.Fatalf("no key: %v", err)
	}

	// A peer's own keyring: read, and changed on that node alone.
	resp, err := http.Post(srv.URL+InternalKeyringPath, "application/json", strings.NewReader(`{"op":"use","key":"k3"}`))
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("internal change: %v %v", resp, err)
	}
	resp.Body.Close()
	resp, err = http.Post(srv.URL+InternalKeyringPath, "application/json", strings.NewReader(`{"op":`))
	if err != nil || resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("internal change, bad JSON: %v %v", resp, err)
	}
	resp.Body.Close()
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.seen) != 2 || b.seen[0] != (api.KeyringRequest{Op: "install", Key: "k2"}) || b.seen[1] != (api.KeyringRequest{Op: "use", Key: "k3"}) {
		t.Fatalf("changes made: %+v", b.seen)
	}
}

func FuzzKeyringRequestDecode(f *testing.F) {
	for _, s := range []string{
		`{"op":"install","key":"AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE="}`,
		`{"op":"use","key":"x"}`, `{"op":"remove","key":""}`, `{"op":"rotate","key":"k"}`,
		`{"op":1,"key":[]}`, `{"op":null}`, `{}`, `[]`, `null`, `""`, `{`, `{"op":"use","key":"k"}{}`,
		`{"op":"use","key":"k","extra":true}`, `{"op":"USE","key":"\u0000"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		r := httptest.NewRequest(http.MethodPost, "/v1/operator/keyring", strings.NewReader(string(body)))
		req, err := decodeKeyringRequest(r)
		if err != nil {
			checkDecodeError(t, err)
			return
		}
		switch req.Op {
		case api.KeyringInstall, api.KeyringUse, api.KeyringRemove:
		default:
			t.Fatalf("accepted op %q", req.Op)
		}
		if strings.TrimSpace(req.Key) == "" {
			t.Fatal("accepted a request without a key")
		}
	})
}
