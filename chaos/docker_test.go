//go:build chaos

package chaos

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// s3Image is the store's image built beside genie's: genie-s3 with the
// same version.
func s3Image(image string) string {
	_, version, _ := strings.Cut(image, ":")
	return "genie-s3:" + version
}

// Networks of the chaos project; distinct from the compose file's defaults
// so a developer's own compose cluster can run beside the suite.
const (
	clusterSubnet = "10.213.1.0/24"
	clientSubnet  = "10.213.2.0/24"
)

// dockerCluster drives a compose project of genie nodes.
type dockerCluster struct {
	t       testing.TB
	root    string // the repository
	project string
	env     []string
	shared  string // host directory mounted at /shared in every node
}

// node is one container of the project.
type node struct {
	ID   string // container id
	Name string // container name
	Host string // the container's host name: the genie node name
	// ClusterIP and ClientIP are its addresses on the two networks, as
	// last seen running (a stopped container has none).
	ClusterIP string
	ClientIP  string
}

func (n node) url() string { return "http://" + n.ClientIP + ":8080" }

func newDockerCluster(t testing.TB, size int) *dockerCluster {
	t.Helper()
	if _, err := exec.LookPath("docker"); err != nil {
		t.Fatalf("the chaos suite needs Docker: %v", err)
	}
	if _, err := exec.LookPath("docker-compose"); err != nil {
		t.Fatalf("the chaos suite needs docker-compose: %v", err)
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	shared := filepath.Join(root, ".tmp", "chaos-shared")
	os.RemoveAll(shared)
	if err := os.MkdirAll(filepath.Join(shared, "runs"), 0o777); err != nil {
		t.Fatal(err)
	}
	image := os.Getenv("GENIE_IMAGE")
	if image == "" {
		image = "genie:chaos"
	}
	d := &dockerCluster{
		t: t, root: root, project: "geniechaos", shared: shared,
		env: append(os.Environ(),
			"GENIE_IMAGE="+image,
			"GENIE_S3_IMAGE="+s3Image(image),
			"GENIE_BOOTSTRAP_EXPECT=3",
			"GENIE_CLUSTER_SUBNET="+clusterSubnet,
			"GENIE_CLIENT_SUBNET="+clientSubnet,
			"GENIE_SHARED_DIR="+shared,
			"GENIE_NODE_LOST_GRACE="+nodeLostGrace.String(),
			"GENIE_DRAIN_TIMEOUT=20s",
			"GENIE_KILL_GRACE=2s",
			"GENIE_MAX_JOBS=200",
			"GENIE_LOG_LEVEL=debug",
		),
	}
	if _, err := d.docker("image", "inspect", image); err != nil {
		t.Fatalf("image %s is missing: build it with scripts/image.sh %s (make chaos does)", image, image)
	}
	d.compose("down", "-v", "--remove-orphans")
	if out, err := d.compose("up", "--no-start", "--scale", fmt.Sprintf("genie=%d", size)); err != nil {
		t.Fatalf("compose up: %v\n%s", err, out)
	}
	// Every node gets a fixed address on the cluster network, as it would
	// keep its host's address in an auto-scaling group: a node put back on
	// the network after a cut must have the address it advertised, and a
	// fixed one cannot be taken by another node that starts first.
	for i, n := range d.nodes() {
		net := d.project + "_cluster"
		// A created container may not be on the network yet.
		d.docker("network", "disconnect", net, n.ID)
		d.must("network", "connect", "--ip", fmt.Sprintf("10.213.1.%d", 10+i), net, n.ID)
	}
	// The S3 store first: the nodes archive to it.
	s3, err := d.docker("ps", "-aq", "--filter", "label=com.docker.compose.project="+d.project,
		"--filter", "label=com.docker.compose.service=s3")
	if err != nil || strings.TrimSpace(s3) == "" {
		t.Fatalf("no s3 container: %v", err)
	}
	d.must("start", strings.TrimSpace(s3))
	for _, n := range d.nodes() {
		d.start(n)
	}
	return d
}

func (d *dockerCluster) compose(args ...string) (string, error) {
	base := []string{"-p", d.project, "-f", filepath.Join(d.root, "deploy", "compose.yaml")}
	return d.run("docker-compose", append(base, args...)...)
}

func (d *dockerCluster) docker(args ...string) (string, error) {
	return d.run("docker", args...)
}

func (d *dockerCluster) run(name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = d.env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if err != nil {
		err = fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(out.String()))
	}
	return out.String(), err
}

// must runs a docker command the suite cannot go on without.
func (d *dockerCluster) must(args ...string) {
	d.t.Helper()
	if _, err := d.docker(args...); err != nil {
		d.t.Fatal(err)
	}
}

// nodes lists the project's containers, running or not, by name.
func (d *dockerCluster) nodes() []node {
	d.t.Helper()
	out, err := d.docker("ps", "-aq", "--filter", "label=com.docker.compose.project="+d.project,
		"--filter", "label=com.docker.compose.service=genie")
	if err != nil {
		d.t.Fatal(err)
	}
	var nodes []node
	for _, id := range strings.Fields(out) {
		format := fmt.Sprintf(`{{.Name}} {{.Config.Hostname}} {{with index .NetworkSettings.Networks "%s_cluster"}}{{.IPAddress}}{{end}}- {{with index .NetworkSettings.Networks "%s_clients"}}{{.IPAddress}}{{end}}-`, d.project, d.project)
		info, err := d.docker("inspect", "-f", format, id)
		if err != nil {
			continue // removed meanwhile
		}
		f := strings.Fields(info)
		if len(f) != 4 {
			d.t.Fatalf("inspect %s: %q", id, info)
		}
		nodes = append(nodes, node{ID: id, Name: strings.TrimPrefix(f[0], "/"), Host: f[1],
			ClusterIP: strings.TrimSuffix(f[2], "-"), ClientIP: strings.TrimSuffix(f[3], "-")})
	}
	sort.Slice(nodes, func(i, j int) bool { return nodes[i].Name < nodes[j].Name })
	return nodes
}

func (d *dockerCluster) kill(n node)    { d.must("kill", "-s", "KILL", n.ID) }
func (d *dockerCluster) start(n node)   { d.must("start", n.ID) }
func (d *dockerCluster) pause(n node)   { d.must("pause", n.ID) }
func (d *dockerCluster) unpause(n node) { d.must("unpause", n.ID) }

// restart stops the node with SIGTERM (a graceful leave) and starts it.
func (d *dockerCluster) restart(n node) { d.must("restart", "-t", "40", n.ID) }

// cut takes the node off the cluster network: its peers lose it, clients
// still reach it on the clients network.
func (d *dockerCluster) cut(n node) { d.must("network", "disconnect", d.project+"_cluster", n.ID) }

// heal puts the node back on the cluster network at its fixed address.
func (d *dockerCluster) heal(n node) {
	d.must("network", "connect", "--ip", n.ClusterIP, d.project+"_cluster", n.ID)
}

// saveLogs writes every container's log into dir.
func (d *dockerCluster) saveLogs(dir string) {
	for _, n := range d.nodes() {
		out, _ := d.docker("logs", "--timestamps", n.ID)
		os.WriteFile(filepath.Join(dir, n.Name+".log"), []byte(out), 0o644)
	}
}

func (d *dockerCluster) down() {
	if _, err := d.compose("down", "-v", "--remove-orphans"); err != nil {
		d.t.Logf("compose down: %v", err)
	}
}
