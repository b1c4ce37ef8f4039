package node

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/raft"

	"github.com/genie-cluster/genie/api"
	"github.com/genie-cluster/genie/fsm"
	"github.com/genie-cluster/genie/tlsutil"
	"github.com/genie-cluster/genie/transport"
)

// tlsClient is an API client of n that trusts ca and sends secret.
func tlsClient(t testing.TB, n *Node, ca *tlsutil.TestCA, secret string) *api.Client {
	t.Helper()
	dir := t.TempDir()
	caFile := dir + "/ca.pem"
	if err := os.WriteFile(caFile, []byte(ca.CertPEM), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := api.NewClient(&api.Config{Address: n.URL(), Token: secret, TLS: &api.TLSConfig{CACert: caFile}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// bootstrapTLS bootstraps ACLs through n over TLS, registers the test
// cluster and command, and returns an admin client and its secret.
func bootstrapTLS(t testing.TB, n *Node, ca *tlsutil.TestCA) (*api.Client, string) {
	t.Helper()
	boot, err := tlsClient(t, n, ca, "").ACL().Bootstrap(context.Background())
	if err != nil {
		t.Fatalf("bootstrap over TLS: %v", err)
	}
	admin := tlsClient(t, n, ca, boot.SecretID)
	register(t, admin)
	return admin, boot.SecretID
}

// httpsWith is an HTTPS client trusting ca that presents cert, if any.
func httpsWith(t testing.TB, ca *tlsutil.TestCA, certPEM, keyPEM string) *http.Client {
	t.Helper()
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM([]byte(ca.CertPEM))
	conf := &tls.Config{RootCAs: pool, ServerName: tlsutil.ServerName(tlsutil.DefaultRegion)}
	if certPEM != "" {
		pair, err := tls.X509KeyPair([]byte(certPEM), []byte(keyPEM))
		if err != nil {
			t.Fatal(err)
		}
		conf.Certificates = []tls.Certificate{pair}
	}
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: conf}}
}

// TestTLSClusterWorksAndRefusesForgedPeers: three nodes on mutual TLS take
// a job through a follower (internal calls, raft and output all cross TLS),
// while forged internal calls, a rogue raft peer and plain HTTP get nowhere.
func TestTLSClusterWorksAndRefusesForgedPeers(t *testing.T) {
	ca := tlsutil.NewTestCA(t)
	c := MakeCluster(t, 3, func(i int, cfg *Config) {
		cfg.ACLEnabled = true
		cfg.TLS = ca.Config(t, tlsutil.CertOpts{Kind: tlsutil.ServerCert})
	})
	ctx := context.Background()
	leader := c.WaitForLeader()
	follower := c.Followers()[0]
	admin, adminSecret := bootstrapTLS(t, follower, ca)
	id, err := admin.Jobs().Submit(ctx, shellJob("echo over tls"))
	if err != nil {
		t.Fatal(err)
	}
	waitStatus(t, admin, id, api.JobStatusSucceeded, 30*time.Second)
	for _, n := range c.Nodes {
		if out, err := readStdout(ctx, tlsClient(t, n, ca, adminSecret), id); err != nil || out != "over tls\n" {
			t.Fatalf("output through %s: %q %v", n.Name(), out, err)
		}
	}

	// Forged internal calls: a valid entry that would set a limit.
	entry, err := fsm.Encode(fsm.LimitsRequestType, &fsm.LimitsRequest{UserActive: 1})
	if err != nil {
		t.Fatal(err)
	}
	other := tlsutil.NewTestCA(t)
	clientCert, clientKey := ca.Cert(t, tlsutil.CertOpts{Kind: tlsutil.ClientCert})
	strangerCert, strangerKey := other.Cert(t, tlsutil.CertOpts{Kind: tlsutil.ServerCert})
	noName, noNameKey := ca.Cert(t, tlsutil.CertOpts{Kind: tlsutil.ServerCert, Region: "elsewhere"})
	expired, expiredKey := ca.Cert(t, tlsutil.CertOpts{Kind: tlsutil.ServerCert,
		NotBefore: time.Now().Add(-48 * time.Hour), NotAfter: time.Now().Add(-24 * time.Hour)})
	forgers := map[string]*http.Client{
		"no certificate":          httpsWith(t, ca, "", ""),
		"a client certificate":    httpsWith(t, ca, clientCert, clientKey),
		"another CA":              httpsWith(t, ca, strangerCert, strangerKey),
		"without the server name": httpsWith(t, ca, noName, noNameKey),
		"an expired certificate":  httpsWith(t, ca, expired, expiredKey),
	}
	for name, hc := range forgers {
		for _, path := range []string{transport.InternalApplyPath} {
			req, _ := http.NewRequest(http.MethodPost, leader.URL()+path, bytes.NewReader(entry))
			req.Header.Set("Authorization", "Bearer "+adminSecret)
			resp, err := hc.Do(req)
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode != http.StatusForbidden {
					t.Errorf("%s on %s: %d", name, path, resp.StatusCode)
				}
			}
		}
	}
	if l := leader.State().Limits(); l != nil {
		t.Fatalf("a forged entry was applied: %+v", l)
	}

	// A rogue raft peer without a certificate delivers nothing.
	rogue, err := raft.NewTCPTransport("127.0.0.1:0", nil, 1, time.Second, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer rogue.Close()
	var voteResp raft.RequestVoteResponse
	err = rogue.RequestVote(raft.ServerID(leader.ID()), leader.raftTransport.LocalAddr(),
		&raft.RequestVoteRequest{RPCHeader: raft.RPCHeader{ID: []byte("rogue"), Addr: []byte(rogue.LocalAddr())}, Term: 1 << 40}, &voteResp)
	if err == nil {
		t.Fatal("a plain raft peer got an answer")
	}
	if term := leader.Raft().Stats()["term"]; len(term) > 6 {
		t.Fatalf("the rogue's term reached the leader: %s", term)
	}

	// Plain HTTP to the TLS port gets no API.
	resp, err := http.Get("http://" + leader.HTTPAddr() + "/v1/health")
	if err == nil {
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("plain HTTP answered %d", resp.StatusCode)
		}
	}
}

// TestTLSReloadServesTheNewCertificateWhileAJobRuns: a node's certificate
// files replaced and reloaded are served to new connections; a running job
// and the connections in use carry on.
func TestTLSReloadServesTheNewCertificateWhileAJobRuns(t *testing.T) {
	ca := tlsutil.NewTestCA(t)
	tlsCfg := ca.Config(t, tlsutil.CertOpts{Kind: tlsutil.ServerCert})
	n := MakeNode(t, func(cfg *Config) { cfg.TLS = tlsCfg })
	ctx := context.Background()
	c := tlsClient(t, n, ca, "")
	register(t, c)
	id, err := c.Jobs().Submit(ctx, shellJob("sleep 2; echo done"))
	if err != nil {
		t.Fatal(err)
	}
	waitStatus(t, c, id, api.JobStatusRunning, 30*time.Second)

	serial := func() string {
		conn, err := tls.Dial("tcp", n.HTTPAddr(), &tls.Config{InsecureSkipVerify: true})
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		return conn.ConnectionState().PeerCertificates[0].SerialNumber.String()
	}
	before := serial()
	cert, key := ca.Cert(t, tlsutil.CertOpts{Kind: tlsutil.ServerCert, DNSNames: []string{"rotated.example"}})
	tlsutil.WriteFiles(t, tlsCfg, ca.CertPEM, cert, key)
	if err := n.ReloadTLS(); err != nil {
		t.Fatal(err)
	}
	if after := serial(); after == before {
		t.Fatal("the old certificate is still served after the reload")
	}
	j := waitStatus(t, c, id, api.JobStatusSucceeded, 30*time.Second)
	if out, err := readStdout(ctx, c, j.ID); err != nil || !strings.Contains(out, "done") {
		t.Fatalf("output after reload: %q %v", out, err)
	}

	// A broken file is refused and the node keeps serving what it had.
	if err := os.WriteFile(tlsCfg.CertFile, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := n.ReloadTLS(); err == nil {
		t.Fatal("a broken certificate file was loaded")
	}
	if _, err := c.Jobs().Get(ctx, id); err != nil {
		t.Fatalf("after a failed reload: %v", err)
	}
}
