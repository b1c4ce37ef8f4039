package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/genie-cluster/genie/api"
	"github.com/genie-cluster/genie/node"
)

// TestACLCommandsAgainstANode drives a real node with ACLs on through the
// CLI: bootstrap, tokens, a job run as the token's user, a refused one,
// and limits.
func TestACLCommandsAgainstANode(t *testing.T) {
	n := node.MakeNode(t, func(cfg *node.Config) {
		cfg.ACLEnabled = true
		cfg.Dev = true
	})
	t.Setenv("GENIE_ADDR", "http://"+n.HTTPAddr())
	t.Setenv("GENIE_TOKEN", "")

	r := run(t, nil, "jobs", "list").want(t, 1)
	if !strings.Contains(r.stderr, "401") {
		t.Fatalf("no token: %s", r.stderr)
	}
	var boot api.ACLToken
	r = run(t, nil, "acl", "bootstrap", "-json").want(t, 0)
	if err := json.Unmarshal([]byte(r.stdout), &boot); err != nil || boot.SecretID == "" || boot.Role != "admin" {
		t.Fatalf("bootstrap: %v %s", err, r.stdout)
	}
	if r = run(t, nil, "acl", "bootstrap").want(t, 1); !strings.Contains(r.stderr, "already done") {
		t.Fatalf("second bootstrap: %s", r.stderr)
	}
	r = run(t, nil, "acl", "token", "create", "-token", boot.SecretID, "-name", "alice", "-user", "alice", "-role", "user").want(t, 0)
	secret := fieldValue(r.stdout, "Secret ID")
	accessor := fieldValue(r.stdout, "Accessor ID")
	if secret == "" || accessor == "" {
		t.Fatalf("create printed:\n%s", r.stdout)
	}

	t.Setenv("GENIE_TOKEN", secret)
	if r = run(t, nil, "acl", "whoami").want(t, 0); fieldValue(r.stdout, "User") != "alice" || fieldValue(r.stdout, "Secret ID") != "" {
		t.Fatalf("whoami:\n%s", r.stdout)
	}
	r = run(t, nil, "jobs", "submit", "-wait", "--", "echo", "hi").want(t, 0)
	id := strings.TrimSpace(r.lines()[0])
	var job api.Job
	r = run(t, nil, "jobs", "get", "-json", id).want(t, 0)
	if err := json.Unmarshal([]byte(r.stdout), &job); err != nil || job.User != "alice" {
		t.Fatalf("job: %v %s", err, r.stdout)
	}
	if r = run(t, nil, "jobs", "submit", "-user", "bob", "--", "true").want(t, 1); !strings.Contains(r.stderr, "403") {
		t.Fatalf("submit as bob: %s", r.stderr)
	}
	if r = run(t, nil, "acl", "token", "list").want(t, 1); !strings.Contains(r.stderr, "403") {
		t.Fatalf("user lists tokens: %s", r.stderr)
	}

	t.Setenv("GENIE_TOKEN", boot.SecretID)
	run(t, nil, "operator", "limits", "set", "-user-active", "3").want(t, 0)
	run(t, nil, "operator", "limits", "set", "-user-active", "7", "-user", "etl").want(t, 0)
	r = run(t, nil, "operator", "limits").want(t, 0)
	if !strings.Contains(r.stdout, "(every user)  3") || !strings.Contains(r.stdout, "etl           7") {
		t.Fatalf("limits:\n%s", r.stdout)
	}
	if r = run(t, nil, "acl", "token", "list").want(t, 0); !strings.Contains(r.stdout, accessor) || strings.Contains(r.stdout, secret) {
		t.Fatalf("list:\n%s", r.stdout)
	}
	run(t, nil, "acl", "token", "info", accessor).want(t, 0)
	run(t, nil, "acl", "token", "delete", accessor).want(t, 0)
	if r = run(t, nil, "acl", "whoami", "-token", secret).want(t, 1); !strings.Contains(r.stderr, "401") {
		t.Fatalf("deleted token: %s", r.stderr)
	}
}

// fieldValue returns the value of a "Key = value" line.
func fieldValue(out, key string) string {
	for _, line := range strings.Split(out, "\n") {
		k, v, ok := strings.Cut(line, "=")
		if ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return ""
}
