package node

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/genie-cluster/genie/acl"
	"github.com/genie-cluster/genie/api"
	"github.com/genie-cluster/genie/tlsutil"
	"github.com/genie-cluster/genie/transport"
)

// aclNode starts a node with ACLs on and returns it with an admin client.
func aclNode(t *testing.T, mutate func(*Config)) (*Node, *api.Client) {
	n, admin, _ := aclNodeSecret(t, mutate)
	return n, admin
}

// aclNodeSecret is aclNode that also returns the admin token's secret.
func aclNodeSecret(t *testing.T, mutate func(*Config)) (*Node, *api.Client, string) {
	t.Helper()
	n := MakeNode(t, func(cfg *Config) {
		cfg.ACLEnabled = true
		if mutate != nil {
			mutate(cfg)
		}
	})
	tok, err := client(t, n).ACL().Bootstrap(context.Background())
	if err != nil {
		t.Fatalf("bootstrap: %v", err)
	}
	return n, tokenClient(t, n, tok.SecretID), tok.SecretID
}

// tokenClient is a client of n that sends secret.
func tokenClient(t testing.TB, n *Node, secret string) *api.Client {
	t.Helper()
	c, err := api.NewClient(&api.Config{Address: "http://" + n.HTTPAddr(), Token: secret})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// newToken creates a token with admin and returns its secret.
func newToken(t testing.TB, admin *api.Client, user, role string) string {
	t.Helper()
	tok, err := admin.ACL().CreateToken(context.Background(), &api.ACLTokenCreateRequest{Name: user + "-" + role, User: user, Role: role})
	if err != nil {
		t.Fatalf("create %s token for %s: %v", role, user, err)
	}
	if tok.SecretID == "" || tok.AccessorID == "" {
		t.Fatalf("created token %+v", tok)
	}
	return tok.SecretID
}

func wantStatus(t testing.TB, err error, code int) {
	t.Helper()
	var se *api.StatusError
	if !errors.As(err, &se) || se.Code != code {
		t.Fatalf("want %d, got %v", code, err)
	}
}

// TestEveryRouteAnswersItsAccessRule walks the route table itself, so a new
// route is covered without editing the test: each caller gets 401, 403 or
// through, and never a 500. The node runs with TLS, so a peer with a server
// certificate is a caller too.
func TestEveryRouteAnswersItsAccessRule(t *testing.T) {
	ca := tlsutil.NewTestCA(t)
	n := MakeNode(t, func(cfg *Config) {
		cfg.ACLEnabled = true
		cfg.TLS = ca.Config(t, tlsutil.CertOpts{Kind: tlsutil.ServerCert})
	})
	ctx := context.Background()
	admin, adminSecret := bootstrapTLS(t, n, ca)
	secrets := map[string]string{
		"readonly": newToken(t, admin, "reader", "readonly"),
		"alice":    newToken(t, admin, "alice", "user"),
		"bob":      newToken(t, admin, "bob", "user"),
	}
	jobOf := map[string]string{}
	for _, user := range []string{"alice", "bob"} {
		id, err := tlsClient(t, n, ca, secrets[user]).Jobs().Submit(ctx, shellJobAs("", "sleep 600"))
		if err != nil {
			t.Fatalf("submit as %s: %v", user, err)
		}
		jobOf[user] = id
	}
	serverCert, serverKey := ca.Cert(t, tlsutil.CertOpts{Kind: tlsutil.ServerCert})
	plain, server := httpsWith(t, ca, "", ""), httpsWith(t, ca, serverCert, serverKey)
	callers := []struct {
		name   string
		secret string
		role   acl.Role
		owns   bool // alice's job is the caller's
		hc     *http.Client
	}{
		{"none", "", "", false, plain},
		{"readonly", secrets["readonly"], acl.RoleReadOnly, false, plain},
		{"user-own-job", secrets["alice"], acl.RoleUser, true, plain},
		{"user-other-job", secrets["bob"], acl.RoleUser, false, plain},
		{"admin", adminSecret, acl.RoleAdmin, false, plain},
		{"server", "", "server", false, server},
	}
	routes := transport.Routes(n.apiHandler)
	if len(routes) < 50 {
		t.Fatalf("route table has %d routes", len(routes))
	}
	for _, route := range routes {
		if route.Pattern == "POST /v1/acl/bootstrap" {
			continue // once per cluster: TestACLBootstrapOnceAndResetFile
		}
		method, path, _ := strings.Cut(route.Pattern, " ")
		path = strings.NewReplacer("{id}", jobOf["alice"], "{path...}", "stdout", "{tag}", "x", "{appId}", "nope",
			"{priority}", "0", "{accessorId}", "nope", "{commandId}", "nope").Replace(path)
		if !strings.HasPrefix(path, "/api/v3/jobs") {
			path = strings.ReplaceAll(path, jobOf["alice"], "nope")
		}
		for _, c := range callers {
			body := bytes.NewReader(nil)
			if method != http.MethodGet {
				body = bytes.NewReader([]byte("{}"))
			}
			req, _ := http.NewRequest(method, n.URL()+path, body)
			req.Header.Set("Content-Type", "application/json")
			if c.secret != "" {
				req.Header.Set("Authorization", "Bearer "+c.secret)
			}
			resp, err := c.hc.Do(req)
			if err != nil {
				t.Fatalf("%s as %s: %v", route.Pattern, c.name, err)
			}
			resp.Body.Close()
			want := expectedAccess(route.Access, c.role, c.secret != "", c.owns)
			got := resp.StatusCode
			switch {
			case got >= 500:
				t.Errorf("%s %s as %s: %d", method, path, c.name, got)
			case want != 0 && got != want:
				t.Errorf("%s %s as %s (%s): got %d, want %d", method, path, c.name, route.Access, got, want)
			case want == 0 && (got == http.StatusUnauthorized || got == http.StatusForbidden):
				t.Errorf("%s %s as %s (%s): got %d, want through", method, path, c.name, route.Access, got)
			}
		}
	}
}

// expectedAccess is 401, 403, or 0 for "let through" (whatever the route
// then answers). A server of the cluster may call anything.
func expectedAccess(access acl.Access, role acl.Role, hasToken, owns bool) int {
	switch {
	case role == "server", access == acl.Anyone:
		return 0
	case access == acl.Server:
		return http.StatusForbidden
	case !hasToken:
		return http.StatusUnauthorized
	}
	switch access {
	case acl.Submit:
		if role == acl.RoleReadOnly {
			return http.StatusForbidden
		}
	case acl.OwnJob:
		if role == acl.RoleReadOnly || (role == acl.RoleUser && !owns) {
			return http.StatusForbidden
		}
	case acl.Admin:
		if role != acl.RoleAdmin {
			return http.StatusForbidden
		}
	}
	return 0
}

func TestACLBootstrapOnceAndResetFile(t *testing.T) {
	n, admin := aclNode(t, nil)
	ctx := context.Background()
	_, err := client(t, n).ACL().Bootstrap(ctx)
	wantStatus(t, err, http.StatusForbidden)
	var se *api.StatusError
	errors.As(err, &se)
	i := strings.Index(se.Message, "reset index: ")
	if i < 0 {
		t.Fatalf("refusal names no reset index: %q", se.Message)
	}
	index, _ := strconv.Atoi(strings.TrimSuffix(se.Message[i+len("reset index: "):], ")"))
	if err := os.WriteFile(filepath.Join(n.config.DataDir, aclResetFile), []byte(strconv.Itoa(index)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tok, err := client(t, n).ACL().Bootstrap(ctx)
	if err != nil {
		t.Fatalf("bootstrap after reset: %v", err)
	}
	if self, err := tokenClient(t, n, tok.SecretID).ACL().Self(ctx); err != nil || self.Role != "admin" || self.SecretID != "" {
		t.Fatalf("self of new bootstrap token: %+v %v", self, err)
	}
	// The first admin token still works; the reset index is spent.
	if _, err := admin.ACL().ListTokens(ctx); err != nil {
		t.Fatal(err)
	}
	_, err = client(t, n).ACL().Bootstrap(ctx)
	wantStatus(t, err, http.StatusForbidden)
}

func TestTokensAuthenticateAndExpire(t *testing.T) {
	n, admin := aclNode(t, nil)
	ctx := context.Background()
	_, _, err := client(t, n).Clusters().List(ctx, nil)
	wantStatus(t, err, http.StatusUnauthorized)
	_, _, err = tokenClient(t, n, "not-a-token").Clusters().List(ctx, nil)
	wantStatus(t, err, http.StatusUnauthorized)

	short, err := admin.ACL().CreateToken(ctx, &api.ACLTokenCreateRequest{Name: "short", User: "carol", Role: "readonly", TTL: "1s"})
	if err != nil {
		t.Fatal(err)
	}
	if short.ExpirationTime.IsZero() {
		t.Fatalf("no expiration on %+v", short)
	}
	c := tokenClient(t, n, short.SecretID)
	if _, _, err := c.Clusters().List(ctx, nil); err != nil {
		t.Fatalf("fresh token: %v", err)
	}
	waitFor(t, 10*time.Second, "the token to expire", func() bool {
		_, _, err := c.Clusters().List(ctx, nil)
		var se *api.StatusError
		return errors.As(err, &se) && se.Code == http.StatusUnauthorized
	})

	for _, bad := range []*api.ACLTokenCreateRequest{
		{Name: "x", User: "u", Role: "root"},
		{Name: "", User: "u", Role: "user"},
		{Name: "x", User: "u", Role: "user", TTL: "soon"},
	} {
		_, err := admin.ACL().CreateToken(ctx, bad)
		wantStatus(t, err, http.StatusPreconditionFailed)
	}

	// Listing and reading never show a secret; a deleted token stops working.
	list, err := admin.ACL().ListTokens(ctx)
	if err != nil || len(list) != 2 {
		t.Fatalf("list: %v %v", list, err)
	}
	for _, tok := range list {
		if tok.SecretID != "" {
			t.Fatalf("listed secret %+v", tok)
		}
	}
	if err := admin.ACL().DeleteToken(ctx, short.AccessorID); err != nil {
		t.Fatal(err)
	}
	_, err = admin.ACL().Token(ctx, short.AccessorID)
	wantStatus(t, err, http.StatusNotFound)
}

func TestJobUserIsTheTokensUser(t *testing.T) {
	n, admin := aclNode(t, nil)
	register(t, admin)
	ctx := context.Background()
	alice := tokenClient(t, n, newToken(t, admin, "alice", "user"))
	bob := tokenClient(t, n, newToken(t, admin, "bob", "user"))

	req := shellJob("echo secret-of-alice")
	req.User = ""
	id, err := alice.Jobs().Submit(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	j := waitStatus(t, alice, id, api.JobStatusSucceeded, 30*time.Second)
	if j.User != "alice" {
		t.Fatalf("job user %q", j.User)
	}
	// Bob reads the record but not the output, and cannot kill it.
	if _, err := bob.Jobs().Get(ctx, id); err != nil {
		t.Fatal(err)
	}
	_, err = readStdout(ctx, bob, id)
	wantStatus(t, err, http.StatusForbidden)
	wantStatus(t, bob.Jobs().Kill(ctx, id), http.StatusForbidden)
	if out, err := readStdout(ctx, alice, id); err != nil || !strings.Contains(out, "secret-of-alice") {
		t.Fatalf("alice's output: %q %v", out, err)
	}
	if _, err := readStdout(ctx, admin, id); err != nil {
		t.Fatalf("admin's read: %v", err)
	}

	// Alice cannot submit as bob; an admin can.
	req = shellJob("true")
	req.User = "bob"
	_, err = alice.Jobs().Submit(ctx, req)
	wantStatus(t, err, http.StatusForbidden)
	onBehalf, err := admin.Jobs().Submit(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if j := waitStatus(t, bob, onBehalf, api.JobStatusSucceeded, 30*time.Second); j.User != "bob" {
		t.Fatalf("job for bob ran as %q", j.User)
	}

	// A long job of alice: bob cannot kill it, alice can.
	id, err = alice.Jobs().Submit(ctx, shellJobAs("", "sleep 600"))
	if err != nil {
		t.Fatal(err)
	}
	waitStatus(t, alice, id, api.JobStatusRunning, 30*time.Second)
	wantStatus(t, bob.Jobs().Kill(ctx, id), http.StatusForbidden)
	if err := alice.Jobs().Kill(ctx, id); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, alice, id, api.JobStatusKilled, 30*time.Second)
}

func shellJobAs(user, script string) *api.JobRequest {
	req := shellJob(script)
	req.User = user
	return req
}

// readStdout reads a job's whole stdout, waiting out the moment its node
// archives the directory (503).
func readStdout(ctx context.Context, c *api.Client, id string) (string, error) {
	deadline := time.Now().Add(30 * time.Second)
	for {
		f, err := c.Jobs().OutputFile(ctx, id, "stdout", 0)
		if api.HasStatus(err, http.StatusServiceUnavailable) && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
			continue
		}
		if err != nil {
			return "", err
		}
		defer f.Close()
		buf, err := io.ReadAll(f)
		return string(buf), err
	}
}

// TestNoSecretInDataDirOrLog: only hashes of secrets reach the raft log,
// the snapshots and the node's log.
func TestNoSecretInDataDirOrLog(t *testing.T) {
	var logs *logBuffer
	n, admin, bootstrapSecret := aclNodeSecret(t, func(cfg *Config) { logs = captureLogs(t, cfg) })
	secrets := []string{bootstrapSecret}
	for _, role := range []string{"admin", "user", "readonly"} {
		secrets = append(secrets, newToken(t, admin, "u-"+role, role))
	}
	// Use every token, once with a wrong one beside it, so request paths
	// that log run too.
	for _, s := range secrets {
		if _, err := tokenClient(t, n, s).ACL().Self(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if err := n.Raft().Snapshot().Error(); err != nil {
		t.Fatalf("snapshot: %v", err)
	}
	err := filepath.Walk(n.config.DataDir, func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		buf, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, s := range secrets {
			if bytes.Contains(buf, []byte(s)) {
				t.Errorf("%s holds a secret", path)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range secrets {
		if logs.contains(s) {
			t.Errorf("the node's log holds a secret")
		}
	}
	if !logs.contains("snapshot") {
		t.Fatal("the log was not captured")
	}
}

// TestUserLimitHoldsAcrossNodes: one user submitting limit+20 jobs at once
// through all three nodes ends with exactly limit active, the rest 429.
func TestUserLimitHoldsAcrossNodes(t *testing.T) {
	const limit = 5
	ca := tlsutil.NewTestCA(t)
	c := MakeCluster(t, 3, func(i int, cfg *Config) {
		cfg.ACLEnabled = true
		cfg.TLS = ca.Config(t, tlsutil.CertOpts{Kind: tlsutil.ServerCert})
	})
	ctx := context.Background()
	admin, _ := bootstrapTLS(t, c.Nodes[0], ca)
	if _, err := admin.Operator().SetLimits(ctx, &api.LimitsUpdate{UserActive: limit}); err != nil {
		t.Fatal(err)
	}
	secret := newToken(t, admin, "alice", "user")
	clients := make([]*api.Client, len(c.Nodes))
	for i, n := range c.Nodes {
		clients[i] = tlsClient(t, n, ca, secret)
	}
	type result struct {
		id  string
		err error
	}
	results := make(chan result, limit+20)
	for i := 0; i < limit+20; i++ {
		go func(i int) {
			id, err := clients[i%len(clients)].Jobs().Submit(ctx, shellJobAs("", "sleep 600"))
			results <- result{id, err}
		}(i)
	}
	var accepted []string
	refused := 0
	for i := 0; i < limit+20; i++ {
		r := <-results
		switch {
		case r.err == nil:
			accepted = append(accepted, r.id)
		case api.HasStatus(r.err, http.StatusTooManyRequests):
			var se *api.StatusError
			errors.As(r.err, &se)
			if se.RetryAfter <= 0 || !strings.HasPrefix(se.Message, "User exceeded active jobs limit (5/5)") {
				t.Errorf("429 without Retry-After or Genie's message: %+v", se)
			}
			refused++
		default:
			t.Fatalf("submission: %v", r.err)
		}
	}
	if len(accepted) != limit || refused != 20 {
		t.Fatalf("accepted %d, refused %d; want %d and 20", len(accepted), refused, limit)
	}
	// A finished job frees a place.
	if err := clients[1].Jobs().Kill(ctx, accepted[0]); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, clients[1], accepted[0], api.JobStatusKilled, 30*time.Second)
	if _, err := clients[2].Jobs().Submit(ctx, shellJobAs("", "sleep 600")); err != nil {
		t.Fatalf("submission after a kill: %v", err)
	}
	_, err := clients[0].Jobs().Submit(ctx, shellJobAs("", "sleep 600"))
	wantStatus(t, err, http.StatusTooManyRequests)
	limits, err := clients[2].Operator().Limits(ctx)
	if err != nil || limits.UserActive != limit {
		t.Fatalf("limits %+v %v", limits, err)
	}
}
