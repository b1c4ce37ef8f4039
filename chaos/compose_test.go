//go:build chaos

package chaos

import (
	"context"
	"io"
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
		"GENIE_PROJECT=geniescale", "GENIE_IMAGE="+image, "GENIE_S3_IMAGE="+s3Image(image), "GENIE_NO_BUILD=1",
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
	archivesToS3(t, d)
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
	var peers []api.RaftPeer
	var err error
	var nodes []node
	ok := waitUntil(time.Minute, 200*time.Millisecond, func() bool {
		nodes = d.nodes()
		peers = nil
		err = getJSON(nodes[0].url()+"/v1/operator/raft/peers", &peers)
		got := 0
		for _, p := range peers {
			if p.Voter {
				got++
			}
		}
		return err == nil && got == voters && len(peers) == len(nodes)
	})
	if !ok {
		t.Fatalf("raft peers %+v (%v), want %d voters among %d nodes", peers, err, voters, len(nodes))
	}
}

// archivesToS3 runs a job in the group and reads its output, archived to
// the group's S3 store, through another node.
func archivesToS3(t *testing.T, d *dockerCluster) {
	t.Helper()
	nodes := d.nodes()
	c, err := api.NewClient(&api.Config{Address: nodes[0].url()})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := c.Clusters().Create(ctx, &api.Cluster{ID: "local", Name: "local", User: "ops", Version: "1",
		Tags: []string{"sched:adhoc"}, Status: api.ClusterStatusUp}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Commands().Create(ctx, &api.Command{ID: "sh", Name: "sh", User: "ops", Version: "1",
		Tags: []string{"type:shell"}, Status: api.CommandStatusActive, ExecutableAndArguments: []string{"/bin/sh", "-c"}}); err != nil {
		t.Fatal(err)
	}
	id, err := c.Jobs().Submit(ctx, &api.JobRequest{Name: "hello", User: "ops", Version: "1",
		ClusterCriterias: []api.ClusterCriteria{{Tags: []string{"sched:adhoc"}}}, CommandCriteria: []string{"type:shell"},
		CommandArguments: []string{"echo hello from $(hostname)"}})
	if err != nil {
		t.Fatal(err)
	}
	var exec *api.JobExecution
	archived := waitUntil(time.Minute, 200*time.Millisecond, func() bool {
		exec, err = c.Jobs().Execution(ctx, id)
		return err == nil && exec.ArchiveStatus == api.ArchiveStatusArchived
	})
	if !archived {
		t.Fatalf("job %s not archived after a minute: %+v, %v", id, exec, err)
	}
	other, err := api.NewClient(&api.Config{Address: nodes[len(nodes)-1].url()})
	if err != nil {
		t.Fatal(err)
	}
	f, err := other.Jobs().OutputFile(ctx, id, "stdout", 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out, _ := io.ReadAll(f)
	if !strings.HasPrefix(string(out), "hello from ") {
		t.Fatalf("stdout %q", out)
	}
	j, err := other.Jobs().Get(ctx, id)
	if err != nil || !strings.HasPrefix(j.ArchiveLocation, "s3://genie/jobs/"+id) {
		t.Fatalf("archive location %q, %v", j.ArchiveLocation, err)
	}
}
