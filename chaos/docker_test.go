//go:build chaos

package chaos

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/genie-cluster/genie/api"
	"github.com/genie-cluster/genie/tlsutil"
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
	// secure is a cluster with ACLs, TLS and gossip encryption; caFile is
	// then the CA clients verify the nodes with.
	secure bool
	caFile string
	// client is how the suite calls the nodes, with the admin token once
	// ACLs are bootstrapped.
	client *client
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
	scheme    string // http, or https in a secured cluster
}

func (n node) url() string { return n.scheme + "://" + n.ClientIP + ":8080" }

// secureFromEnv reads GENIE_SECURE as scripts/compose.sh does: the
// cluster is secured unless it is 0.
func secureFromEnv(t testing.TB) bool {
	switch v := strings.ToLower(os.Getenv("GENIE_SECURE")); v {
	case "", "1", "true", "yes", "on":
		return true
	case "0", "false", "no", "off":
		return false
	default:
		t.Fatalf("GENIE_SECURE=%q: want 1 or 0", v)
		return false
	}
}

// Where a node finds its secrets: the directory compose mounts at
// /secrets, with the names `genie tls` gives the files.
const (
	caFileName   = "genie-agent-ca.pem"
	certFileName = "global-server-genie.pem"
	keyFileName  = "global-server-genie-key.pem"
)

// writeSecrets makes in dir what a secured cluster needs, as
// scripts/compose.sh does: the CA, and in dir/agent (what compose mounts
// at /secrets) the CA certificate and the one server certificate every
// node shares, with its key readable by root only. It returns the gossip
// key.
func writeSecrets(dir string) (gossipKey string, err error) {
	caPEM, caKeyPEM, err := tlsutil.GenerateCA(tlsutil.CAOpts{})
	if err != nil {
		return "", err
	}
	certPEM, keyPEM, err := tlsutil.GenerateCert(tlsutil.CertOpts{CACertPEM: caPEM, CAKeyPEM: caKeyPEM, Kind: tlsutil.ServerCert})
	if err != nil {
		return "", err
	}
	agent := filepath.Join(dir, "agent")
	if err := os.MkdirAll(agent, 0o755); err != nil {
		return "", err
	}
	files := []struct {
		path string
		data string
		mode os.FileMode
	}{
		{filepath.Join(dir, caFileName), caPEM, 0o644},
		{filepath.Join(dir, "genie-agent-ca-key.pem"), caKeyPEM, 0o600},
		{filepath.Join(agent, caFileName), caPEM, 0o644},
		{filepath.Join(agent, certFileName), certPEM, 0o644},
		{filepath.Join(agent, keyFileName), keyPEM, 0o600},
	}
	for _, f := range files {
		if err := os.WriteFile(f.path, []byte(f.data), f.mode); err != nil {
			return "", err
		}
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(key), nil
}

// secureEnv is what compose passes the nodes for the mode of d.
func (d *dockerCluster) secureEnv(secrets, gossipKey string) []string {
	if !d.secure {
		return []string{"GENIE_ACL_ENABLED=false", "GENIE_INSECURE=true", "GENIE_ENCRYPT=",
			"GENIE_TLS_CA_FILE=", "GENIE_TLS_CERT_FILE=", "GENIE_TLS_KEY_FILE="}
	}
	return []string{
		"GENIE_SECRETS_DIR=" + filepath.Join(secrets, "agent"),
		"GENIE_TLS_CA_FILE=/secrets/" + caFileName,
		"GENIE_TLS_CERT_FILE=/secrets/" + certFileName,
		"GENIE_TLS_KEY_FILE=/secrets/" + keyFileName,
		"GENIE_ENCRYPT=" + gossipKey,
		"GENIE_ACL_ENABLED=true",
		"GENIE_INSECURE=false",
	}
}

// connect makes the suite's client: with the CA in caFile when the cluster
// is secured.
func (d *dockerCluster) connect(caFile string) {
	d.t.Helper()
	if !d.secure {
		caFile = ""
	}
	c, err := newClient(caFile)
	if err != nil {
		d.t.Fatal(err)
	}
	d.caFile, d.client = caFile, c
}

// apiClient is a Go API client of node n, sending token.
func (d *dockerCluster) apiClient(n node, token string) *api.Client {
	d.t.Helper()
	cfg := &api.Config{Address: n.url(), Token: token}
	if d.caFile != "" {
		cfg.TLS = &api.TLSConfig{CACert: d.caFile}
	}
	c, err := api.NewClient(cfg)
	if err != nil {
		d.t.Fatal(err)
	}
	return c
}

// bootstrapACL waits until every node serves and makes the cluster's first
// admin token, which the suite's client sends from then on.
func (d *dockerCluster) bootstrapACL() {
	d.t.Helper()
	if !d.secure {
		return
	}
	var last reply
	healthy := waitUntil(2*time.Minute, 200*time.Millisecond, func() bool {
		for _, n := range d.nodes() {
			if n.ClientIP == "" {
				return false
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			last = d.client.call(ctx, http.MethodGet, n.url()+"/v1/health", nil)
			cancel()
			if last.code != http.StatusOK {
				return false
			}
		}
		return true
	})
	if !healthy {
		d.t.Fatalf("the nodes are not healthy after 2m: %s", last)
	}
	// Retried while a leader settles; an answer lost after the bootstrap
	// committed would leave the secret unknown, so a refusal ends it.
	waitUntil(30*time.Second, 200*time.Millisecond, func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		last = d.client.call(ctx, http.MethodPost, d.nodes()[0].url()+"/v1/acl/bootstrap", nil)
		return last.verdict() == answered || last.code == http.StatusForbidden
	})
	var tok api.ACLToken
	if last.verdict() != answered || json.Unmarshal(last.body, &tok) != nil || tok.SecretID == "" {
		d.t.Fatalf("ACL bootstrap: %s", last)
	}
	d.client.token = tok.SecretID
}

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
	// Jobs run as nobody and leave their markers in runs.
	for _, dir := range []string{shared, filepath.Join(shared, "runs")} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(dir, 0o1777); err != nil {
			t.Fatal(err)
		}
	}
	secrets := t.TempDir()
	gossipKey, err := writeSecrets(secrets)
	if err != nil {
		t.Fatalf("secrets: %v", err)
	}
	image := os.Getenv("GENIE_IMAGE")
	if image == "" {
		image = "genie:chaos"
	}
	d := &dockerCluster{
		t: t, root: root, project: "geniechaos", shared: shared, secure: secureFromEnv(t),
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
			"GENIE_MAX_JOBS="+strconv.Itoa(maxJobs),
			"GENIE_LOG_LEVEL=debug",
		),
	}
	d.env = append(d.env, d.secureEnv(secrets, gossipKey)...)
	d.connect(filepath.Join(secrets, caFileName))
	if _, err := d.docker("image", "inspect", image); err != nil {
		t.Fatalf("image %s is missing: build it with scripts/image.sh %s (make chaos does)", image, image)
	}
	d.compose("down", "-v", "--remove-orphans")
	// The store and the nodes only: the suite starts them itself, and it
	// opens the shared directory to the jobs as init-shared would.
	if out, err := d.compose("up", "--no-start", "--no-deps", "--scale", fmt.Sprintf("genie=%d", size), "s3", "genie"); err != nil {
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
	d.bootstrapACL()
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
			ClusterIP: strings.TrimSuffix(f[2], "-"), ClientIP: strings.TrimSuffix(f[3], "-"), scheme: d.scheme()})
	}
	sort.Slice(nodes, func(i, j int) bool { return nodes[i].Name < nodes[j].Name })
	return nodes
}

func (d *dockerCluster) scheme() string {
	if d.secure {
		return "https"
	}
	return "http"
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
