package node

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/genie-cluster/genie/api"
	"github.com/genie-cluster/genie/fsm"
	"github.com/genie-cluster/genie/transport"
)

// aliveMembers counts the members n sees alive.
func aliveMembers(n *Node) int {
	alive := 0
	for _, m := range n.Members() {
		if m.Status == "alive" {
			alive++
		}
	}
	return alive
}

// wholeCluster reports whether every running node sees exactly want
// members, all alive.
func wholeCluster(c *TestCluster, want int) bool {
	for _, n := range c.Nodes {
		if n.running() && (len(n.Members()) != want || aliveMembers(n) != want) {
			return false
		}
	}
	return true
}

func TestGossipEncryptionKeepsOutNodesWithoutTheKey(t *testing.T) {
	key := testKey(1, 32)
	c := MakeCluster(t, 3, func(_ int, cfg *Config) { cfg.EncryptKey = key })
	waitFor(t, 30*time.Second, "three alive members everywhere", func() bool { return wholeCluster(c, 3) })
	for _, n := range c.Nodes {
		if !n.GossipEncrypted() || !reflect.DeepEqual(n.GossipKeys(), []string{key}) {
			t.Fatalf("%s: encrypted %v keys %d", n.Name(), n.GossipEncrypted(), len(n.GossipKeys()))
		}
	}

	for _, outsiderKey := range []string{testKey(2, 32), ""} {
		name := "other-key"
		if outsiderKey == "" {
			name = "no-key"
		}
		t.Run(name, func(t *testing.T) {
			cfg := TestConfig(t, t.TempDir())
			cfg.NodeName = name
			cfg.BootstrapExpect = 3
			cfg.EncryptKey = outsiderKey
			cfg.Join = []string{c.Config(0).GossipAddr}
			cfg.JoinTimeout = time.Second
			logs := captureLogs(t, cfg)
			outsider, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { outsider.Shutdown() })
			if _, err := outsider.gossip.Join([]string{c.Config(1).GossipAddr}); err == nil {
				t.Fatal("memberlist join succeeded without the cluster's key")
			}
			waitFor(t, 30*time.Second, "the join to give up", func() bool { return logs.contains("could not join the cluster") })
			if n := outsider.gossip.NumMembers(); n != 1 {
				t.Fatalf("the outsider sees %d members", n)
			}
			if outsider.IsLeader() || outsider.hasRaftState() {
				t.Fatal("the outsider formed a group of its own")
			}
			// The cluster never saw it.
			if !wholeCluster(c, 3) {
				for _, n := range c.Nodes {
					t.Logf("%s sees %+v", n.Name(), n.Members())
				}
				t.Fatal("the cluster's members changed")
			}
			if v, nv := raftServers(t, c); len(v) != 3 || len(nv) != 0 {
				t.Fatalf("raft configuration changed: %v %v", v, nv)
			}
		})
	}
}

func TestGossipKeyRotationOnALiveClusterSurvivesARestart(t *testing.T) {
	oldKey, newKey := testKey(1, 32), testKey(2, 32)
	c := MakeCluster(t, 3, func(_ int, cfg *Config) { cfg.EncryptKey = oldKey })
	waitFor(t, 30*time.Second, "three alive members everywhere", func() bool { return wholeCluster(c, 3) })
	ctx := context.Background()
	// Through a follower: every change reaches all nodes from any node.
	op := client(t, c.Followers()[0]).Operator()

	// Refusals first: nothing may change.
	if _, err := op.KeyringOp(ctx, api.KeyringUse, newKey); !api.IsNotFound(err) || !strings.Contains(err.Error(), "failed on 3 of 3 nodes") {
		t.Fatalf("use of a key not installed: %v", err)
	}
	if _, err := op.KeyringOp(ctx, api.KeyringRemove, oldKey); !api.HasStatus(err, 412) || !strings.Contains(err.Error(), "primary") {
		t.Fatalf("removing the primary key: %v", err)
	}
	if _, err := op.KeyringOp(ctx, api.KeyringInstall, testKey(3, 20)); !api.HasStatus(err, 412) {
		t.Fatalf("installing a key of 20 bytes: %v", err)
	}
	if _, err := op.KeyringOp(ctx, "rotate", newKey); !api.HasStatus(err, 412) {
		t.Fatalf("an unknown op: %v", err)
	}

	// Install: every node reads both keys, still sends with the old one.
	res, err := op.KeyringOp(ctx, api.KeyringInstall, newKey)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Nodes) != 3 {
		t.Fatalf("install reached %+v", res.Nodes)
	}
	ring, err := op.Keyring(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if ring.NumNodes != 3 || len(ring.Keys) != 2 || ring.Keys[0].Key != oldKey || len(ring.Keys[0].PrimaryOn) != 3 ||
		ring.Keys[1].Key != newKey || ring.Keys[1].Nodes != 3 || len(ring.Keys[1].PrimaryOn) != 0 {
		t.Fatalf("keyring after install: %+v", ring)
	}

	// Use, then remove the old key: the new one alone is left.
	if _, err := op.KeyringOp(ctx, api.KeyringUse, newKey); err != nil {
		t.Fatal(err)
	}
	if _, err := op.KeyringOp(ctx, api.KeyringRemove, oldKey); err != nil {
		t.Fatal(err)
	}
	// Again: harmless, so a change that failed somewhere can be retried.
	if _, err := op.KeyringOp(ctx, api.KeyringRemove, oldKey); err != nil {
		t.Fatalf("repeated remove: %v", err)
	}
	for i, n := range c.Nodes {
		if got := n.GossipKeys(); !reflect.DeepEqual(got, []string{newKey}) {
			t.Fatalf("%s holds %d keys after the rotation", n.Name(), len(got))
		}
		onDisk, err := loadKeyringFile(filepath.Join(c.Config(i).DataDir, keyringFileName))
		if err != nil || len(onDisk) != 1 || encodeGossipKey(onDisk[0]) != newKey {
			t.Fatalf("%s keyring file: %d keys, %v", n.Name(), len(onDisk), err)
		}
	}
	if ring, err = op.Keyring(ctx); err != nil || len(ring.Keys) != 1 || len(ring.Keys[0].PrimaryOn) != 3 {
		t.Fatalf("keyring after the rotation: %+v %v", ring, err)
	}
	waitFor(t, 10*time.Second, "gossip to stay whole on the new key", func() bool { return wholeCluster(c, 3) })

	// A node restarts with its old -encrypt: its keyring file wins.
	victim := c.Followers()[0]
	i := victim.indexIn(c)
	if err := victim.Shutdown(); err != nil {
		t.Fatal(err)
	}
	cfg := *c.Config(i)
	cfg.Join = []string{c.Config(c.WaitForLeader().indexIn(c)).GossipAddr}
	logs := captureLogs(t, &cfg)
	back := StartNode(t, &cfg)
	c.Nodes[i] = back
	if !logs.contains("-encrypt is ignored because the node has a keyring") {
		t.Fatal("no warning that -encrypt is ignored")
	}
	if got := back.GossipKeys(); !reflect.DeepEqual(got, []string{newKey}) {
		t.Fatalf("the restarted node holds %d keys", len(got))
	}
	waitFor(t, 30*time.Second, "three alive members after the restart", func() bool { return wholeCluster(c, 3) })
	c.WaitForLeader()
	if _, err := client(t, back).Clusters().Create(ctx, &api.Cluster{Name: "after-rotation", User: "ops", Version: "1", Status: api.ClusterStatusUp}); err != nil {
		t.Fatalf("write after the restart: %v", err)
	}
}

func TestGossipKeyringOffWithoutEncryptKey(t *testing.T) {
	n := MakeNode(t, nil)
	if n.GossipEncrypted() || n.GossipKeys() != nil {
		t.Fatal("a node without EncryptKey encrypts gossip")
	}
	_, err := client(t, n).Operator().KeyringOp(context.Background(), api.KeyringInstall, testKey(1, 32))
	if !api.HasStatus(err, 412) || !strings.Contains(err.Error(), "without -encrypt") {
		t.Fatalf("install on a node without encryption: %v", err)
	}
	ring, err := client(t, n).Operator().Keyring(context.Background())
	if err != nil || ring.NumNodes != 1 || len(ring.Keys) != 0 || ring.Nodes[0].Encrypted {
		t.Fatalf("%+v %v", ring, err)
	}
}

func TestKeyringSummaryCountsHoldersAndPrimaries(t *testing.T) {
	got := summarizeKeyrings([]api.NodeKeyring{
		{Node: "a", Keys: []string{"old", "new"}},
		{Node: "b", Keys: []string{"new", "old"}},
		{Node: "c", Keys: []string{"new"}},
		{Node: "d", Keys: []string{}, Error: "no answer"},
	})
	want := []api.GossipKey{
		{Key: "new", Nodes: 3, PrimaryOn: []string{"b", "c"}},
		{Key: "old", Nodes: 2, PrimaryOn: []string{"a"}},
	}
	if got.NumNodes != 4 || !reflect.DeepEqual(got.Keys, want) {
		t.Fatalf("%+v", got)
	}
}

func TestKeyringFailureNamesTheNodes(t *testing.T) {
	results := []api.KeyringNodeResult{{Node: "a"}, {Node: "b"}, {Node: "c"}}
	notInstalled := fsm.Errorf(fsm.ErrCodeNotFound, "not installed")
	for _, tc := range []struct {
		errs []error
		// code is the refusal every failing node made; 0: retry (503).
		code fsm.ErrorCode
		want string
	}{
		{[]error{nil, notInstalled, nil}, fsm.ErrCodeNotFound, "keyring use failed on 1 of 3 nodes (b: not installed); done on a, c"},
		{[]error{notInstalled, notInstalled, notInstalled}, fsm.ErrCodeNotFound, "done on no node"},
		{[]error{nil, notInstalled, errors.New("no answer")}, 0, "(b: not installed; c: no answer); done on a"},
	} {
		err := keyringFailure(api.KeyringUse, results, tc.errs)
		var unavailable *transport.UnavailableError
		if err == nil || fsm.CodeOf(err) != tc.code || (tc.code == 0) != errors.As(err, &unavailable) || !strings.Contains(err.Error(), tc.want) {
			t.Fatalf("%v (%T), want code %v and %q", err, err, tc.code, tc.want)
		}
	}
	if err := keyringFailure(api.KeyringUse, results, make([]error, 3)); err != nil {
		t.Fatal(err)
	}
}
