package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/genie-cluster/genie/api"
	"github.com/genie-cluster/genie/node"
)

func TestGossipKeygenPrintsA32ByteKey(t *testing.T) {
	t.Setenv("GENIE_ADDR", "http://127.0.0.1:1") // no node is needed
	first := run(t, nil, "operator", "gossip", "keygen").want(t, 0)
	key, err := base64.StdEncoding.DecodeString(strings.TrimSuffix(first.stdout, "\n"))
	if err != nil || len(key) != 32 || strings.Count(first.stdout, "\n") != 1 {
		t.Fatalf("keygen printed %q: %d bytes, %v", first.stdout, len(key), err)
	}
	if second := run(t, nil, "operator", "gossip", "keygen").want(t, 0); second.stdout == first.stdout {
		t.Fatal("two keygens made the same key")
	}
	run(t, nil, "operator", "gossip", "keygen", "extra").want(t, 1)
}

// TestGossipKeyringCommandRotatesANodesKey rotates the key of a real node
// through the CLI.
func TestGossipKeyringCommandRotatesANodesKey(t *testing.T) {
	oldKey := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{1}, 32))
	newKey := run(t, nil, "operator", "gossip", "keygen").want(t, 0).stdout
	newKey = strings.TrimSpace(newKey)
	n := node.MakeNode(t, func(cfg *node.Config) { cfg.EncryptKey = oldKey })
	t.Setenv("GENIE_ADDR", "http://"+n.HTTPAddr())
	t.Setenv("GENIE_TOKEN", "")

	r := run(t, nil, "operator", "gossip", "keyring", "-list").want(t, 0)
	if lines := r.lines(); len(lines) != 2 || fields(lines[1])[0] != oldKey || fields(lines[1])[1] != "1/1" || fields(lines[1])[2] != n.Name() {
		t.Fatalf("list:\n%s", r.stdout)
	}
	r = run(t, nil, "operator", "gossip", "keyring", "-install", newKey).want(t, 0)
	if r.stdout != "Installed the key on 1 nodes: "+n.Name()+"\n" {
		t.Fatalf("install printed %q", r.stdout)
	}
	if r = run(t, nil, "operator", "gossip", "keyring", "-remove", oldKey).want(t, 1); !strings.Contains(r.stderr, "primary key") {
		t.Fatalf("removing the primary key: %s", r.stderr)
	}
	run(t, nil, "operator", "gossip", "keyring", "-use", newKey).want(t, 0)
	run(t, nil, "operator", "gossip", "keyring", "-remove", oldKey).want(t, 0)

	r = run(t, nil, "operator", "gossip", "keyring", "-list", "-json").want(t, 0)
	var ring api.GossipKeyring
	if err := json.Unmarshal([]byte(r.stdout), &ring); err != nil || len(ring.Keys) != 1 || ring.Keys[0].Key != newKey {
		t.Fatalf("list after the rotation: %v\n%s", err, r.stdout)
	}
	if keys := n.GossipKeys(); len(keys) != 1 || keys[0] != newKey {
		t.Fatalf("the node holds %d keys", len(keys))
	}
}

func TestAgentEncryptFlagAndEnvironment(t *testing.T) {
	key := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{2}, 32))
	t.Setenv("GENIE_ENCRYPT", key)
	cfg := node.DefaultConfig()
	fs := (&AgentCommand{}).flagSet(cfg, new(agentFlags))
	if err := applyEnv(fs.FlagSet); err != nil || cfg.EncryptKey != key {
		t.Fatalf("GENIE_ENCRYPT: %v, EncryptKey set: %v", err, cfg.EncryptKey == key)
	}
	if err := fs.Parse([]string{"-encrypt", "bm90IGEga2V5"}); err != nil {
		t.Fatal(err)
	}
	cfg.DataDir = t.TempDir()
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "EncryptKey: ") {
		t.Fatalf("a 9-byte -encrypt key: %v", err)
	}
}

func TestGossipKeyringCommandNeedsExactlyOneAction(t *testing.T) {
	t.Setenv("GENIE_ADDR", "http://127.0.0.1:1")
	for _, args := range [][]string{{}, {"-list", "-use", "k"}, {"-install", "a", "-remove", "b"}} {
		r := run(t, nil, append([]string{"operator", "gossip", "keyring"}, args...)...).want(t, 1)
		if !strings.Contains(r.stderr, "exactly one of -list, -install, -use or -remove") {
			t.Fatalf("%v: %s", args, r.stderr)
		}
	}
}
