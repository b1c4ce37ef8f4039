//go:build chaos

package chaos

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/genie-cluster/genie/api"
)

// TestComposeScaleAndReplace runs the README's container session through
// scripts/compose.sh: three nodes, grow to four, replace one red-black,
// shrink to three; the raft group follows every step.
func TestComposeScaleAndReplace(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	image := os.Getenv("GENIE_IMAGE")
	if image == "" {
		image = "genie:chaos"
	}
	d := &dockerCluster{t: t, root: root, project: "geniescale", env: append(os.Environ(),
		"GENIE_PROJECT=geniescale", "GENIE_IMAGE="+image, "GENIE_NO_BUILD=1",
		"GENIE_CLUSTER_SUBNET=10.213.3.0/24", "GENIE_CLIENT_SUBNET=10.213.4.0/24")}
	if _, err := exec.LookPath("docker-compose"); err != nil {
		t.Fatalf("needs docker-compose: %v", err)
	}
	script := func(args ...string) string {
		t.Helper()
		out, err := d.run(filepath.Join(root, "scripts", "compose.sh"), args...)
		if err != nil {
			t.Fatalf("compose.sh %s: %v", strings.Join(args, " "), err)
		}
		return out
	}
	t.Cleanup(func() { d.run(filepath.Join(root, "scripts", "compose.sh"), "down") })

	script("up", "3")
	wantVoters(t, d, 3)
	script("scale", "4")
	old := d.nodes()[0]
	out := script("replace", old.Name)
	if !strings.Contains(out, "draining and removing "+old.Name) {
		t.Fatalf("replace said:\n%s", out)
	}
	for _, n := range d.nodes() {
		if n.ID == old.ID {
			t.Fatalf("%s is still there after its replacement", old.Name)
		}
	}
	script("scale", "3")
	wantVoters(t, d, 3)
}

// wantVoters waits until the raft group is exactly the running containers,
// with voters of them.
func wantVoters(t *testing.T, d *dockerCluster, voters int) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		nodes := d.nodes()
		var peers []api.RaftPeer
		err := getJSON(nodes[0].url()+"/v1/operator/raft/peers", &peers)
		got := 0
		for _, p := range peers {
			if p.Voter {
				got++
			}
		}
		if err == nil && got == voters && len(peers) == len(nodes) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("raft peers %+v (%v), want %d voters among %d nodes", peers, err, voters, len(nodes))
		}
		time.Sleep(200 * time.Millisecond)
	}
}
