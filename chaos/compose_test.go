//go:build chaos

package chaos

import (
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/genie-cluster/genie/api"
)

// TestComposeScaleAndReplace runs the README's container session through
// scripts/compose.sh: three secured nodes, grow to four, replace one
// red-black, shrink to three; the raft group follows every step, and jobs
// cannot read the nodes' secrets.
func TestComposeScaleAndReplace(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	image := os.Getenv("GENIE_IMAGE")
	if image == "" {
		image = "genie:chaos"
	}
	// The script's secrets and admin token, apart from a developer's own
	// group.
	state := t.TempDir()
	secrets := filepath.Join(state, "secrets")
	d := &dockerCluster{t: t, root: root, project: "geniescale", secure: secureFromEnv(t), env: append(os.Environ(),
		"GENIE_PROJECT=geniescale", "GENIE_IMAGE="+image, "GENIE_S3_IMAGE="+s3Image(image), "GENIE_NO_BUILD=1",
		"GENIE_CLUSTER_SUBNET=10.213.3.0/24", "GENIE_CLIENT_SUBNET=10.213.4.0/24", "GENIE_COMPOSE_DIR="+state)}
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
	d.connect(filepath.Join(secrets, caFileName))
	if d.secure {
		token, err := os.ReadFile(filepath.Join(secrets, "bootstrap-token"))
		if err != nil {
			t.Fatalf("compose.sh up kept no admin token: %v", err)
		}
		d.client.token = strings.TrimSpace(string(token))
	}
	wantVoters(t, d, 3)
	archivesToS3(t, d)
	if d.secure {
		gossipKey, err := os.ReadFile(filepath.Join(secrets, "gossip.key"))
		if err != nil {
			t.Fatal(err)
		}
		jobsCannotReadSecrets(t, d, strings.TrimSpace(string(gossipKey)))
	}
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
		err = d.client.getJSON(nodes[0].url()+"/v1/operator/raft/peers", &peers)
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
	c := d.apiClient(nodes[0], d.client.token)
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
	other := d.apiClient(nodes[len(nodes)-1], d.client.token)
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

// jobsCannotReadSecrets runs jobs with a user's token that go after the
// node's secrets: the TLS key mounted at /secrets and the raft log under
// /data. Jobs run as nobody, so both are refused, and the gossip key the
// node has in its environment is not in theirs.
func jobsCannotReadSecrets(t *testing.T, d *dockerCluster, gossipKey string) {
	t.Helper()
	ctx := context.Background()
	nodes := d.nodes()
	tok, err := d.apiClient(nodes[0], d.client.token).ACL().CreateToken(ctx,
		&api.ACLTokenCreateRequest{Name: "isolation", User: "alice", Role: "user"})
	if err != nil {
		t.Fatal(err)
	}
	c := d.apiClient(nodes[len(nodes)-1], tok.SecretID)
	// run runs script as a job and returns its status, exit code, stdout
	// and stderr, once its output is archived.
	run := func(script string) (api.JobStatus, int, string, string) {
		t.Helper()
		id, err := c.Jobs().Submit(ctx, &api.JobRequest{Name: "isolation", User: "alice", Version: "1",
			ClusterCriterias: []api.ClusterCriteria{{Tags: []string{"sched:adhoc"}}}, CommandCriteria: []string{"type:shell"},
			CommandArguments: []string{script}})
		if err != nil {
			t.Fatalf("submit %q: %v", script, err)
		}
		var exec *api.JobExecution
		if !waitUntil(time.Minute, 200*time.Millisecond, func() bool {
			exec, err = c.Jobs().Execution(ctx, id)
			return err == nil && exec.ArchiveStatus == api.ArchiveStatusArchived
		}) {
			t.Fatalf("job %q not archived after a minute: %+v, %v", script, exec, err)
		}
		status, err := c.Jobs().Status(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		code := -1
		if exec.ExitCode != nil {
			code = *exec.ExitCode
		}
		read := func(name string) string {
			f, err := c.Jobs().OutputFile(ctx, id, name, 0)
			if err != nil {
				t.Fatalf("job %q: %s: %v", script, name, err)
			}
			defer f.Close()
			out, _ := io.ReadAll(f)
			return string(out)
		}
		return status, code, read("stdout"), read("stderr")
	}
	for _, script := range []string{"cat /secrets/*key*", "cat /data/raft/raft.db"} {
		status, code, stdout, stderr := run(script)
		if status != api.JobStatusFailed || code == 0 || !strings.Contains(stderr, "Permission denied") {
			t.Errorf("job %q: %s, exit code %d, stderr %q (%d bytes of stdout): want it FAILED, refused with Permission denied",
				script, status, code, stderr, len(stdout))
		}
		t.Logf("job %q: %s, exit code %d: %s", script, status, code, strings.TrimSpace(stderr))
	}
	status, _, stdout, stderr := run("id -u; env")
	uid, _, _ := strings.Cut(stdout, "\n")
	if n, err := strconv.Atoi(uid); status != api.JobStatusSucceeded || err != nil || n == 0 || !strings.Contains(stdout, "GENIE_JOB_ID=") {
		t.Fatalf("job \"id -u; env\": %s, stdout %q, stderr %q: want it SUCCEEDED, not as root", status, stdout, stderr)
	}
	if strings.Contains(stdout, "GENIE_ENCRYPT") || strings.Contains(stdout, gossipKey) {
		t.Errorf("a job's environment holds the gossip key:\n%s", stdout)
	}
}
