package tlsutil

import (
	"bufio"
	"crypto/tls"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

// rawHTTPConn is one kept-open HTTP/1.1 connection.
type rawHTTPConn struct {
	conn *tls.Conn
	r    *bufio.Reader
}

func dialRawHTTP(t *testing.T, addr string, cfg *tls.Config) *rawHTTPConn {
	t.Helper()
	conn, err := tls.Dial("tcp", addr, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return &rawHTTPConn{conn: conn, r: bufio.NewReader(conn)}
}

func (c *rawHTTPConn) get(t *testing.T) string {
	t.Helper()
	c.conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c.conn, "GET / HTTP/1.1\r\nHost: genie\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(c.r, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(body)
}

func TestReloadToNewCAReachesNewConnectionsOnly(t *testing.T) {
	oldCA, newCA := NewTestCA(t), NewTestCA(t)
	serverCfg, peerCfg := oldCA.Config(t, serverCert), oldCA.Config(t, serverCert)
	server, peer := newConfigurator(t, serverCfg), newConfigurator(t, peerCfg)
	n := serveHTTPS(t, server)
	url := "https://" + n.addr + "/"

	// Built before the reload and kept: a node's transport to its peers.
	tr := &http.Transport{TLSClientConfig: peer.OutgoingHTTPS()}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}

	existing := dialRawHTTP(t, n.addr, peer.OutgoingHTTPS())
	if got := existing.get(t); got != "server" {
		t.Fatalf("before reload: %q", got)
	}
	oldSerial := server.certificate().Leaf.SerialNumber

	// Rotate both nodes to the new CA.
	serverCert2, serverKey2 := newCA.Cert(t, serverCert)
	WriteFiles(t, serverCfg, newCA.CertPEM, serverCert2, serverKey2)
	if err := server.Reload(); err != nil {
		t.Fatal(err)
	}
	peerCert2, peerKey2 := newCA.Cert(t, serverCert)
	WriteFiles(t, peerCfg, newCA.CertPEM, peerCert2, peerKey2)
	if err := peer.Reload(); err != nil {
		t.Fatal(err)
	}

	// A new connection, through the transport built before, sees the new
	// certificate and is verified against the new CA both ways.
	tr.CloseIdleConnections()
	resp, err := client.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "server" {
		t.Fatalf("after reload: %q", body)
	}
	got := resp.TLS.PeerCertificates[0]
	if got.SerialNumber.Cmp(oldSerial) == 0 || got.SerialNumber.Cmp(parseCert(t, serverCert2).SerialNumber) != 0 {
		t.Fatalf("new connection got serial %s", got.SerialNumber)
	}

	// The connection made before the reload still works. Its peer's
	// certificate is of the old CA, so it no longer counts as a server's.
	if got := existing.get(t); got != "user" {
		t.Fatalf("existing connection: %q", got)
	}

	// A client trusting only the old CA cannot connect anew.
	if _, _, err := get(t, url, &tls.Config{RootCAs: poolOf(t, oldCA.CertPEM)}); err == nil {
		t.Fatal("old CA still verifies the server")
	}
}

func TestReloadRaftRefusesPeersOfTheOldCA(t *testing.T) {
	oldCA, newCA := NewTestCA(t), NewTestCA(t)
	serverCfg := oldCA.Config(t, serverCert)
	server := newConfigurator(t, serverCfg)
	oldPeer := newConfigurator(t, oldCA.Config(t, serverCert))
	newPeer := newConfigurator(t, newCA.Config(t, serverCert))
	addr, results := echoServer(t, server.IncomingRaft())

	if _, err := echo(addr, oldPeer.OutgoingRaft()); err != nil {
		t.Fatal(err)
	}
	handshakeResult(t, results)

	certPEM, keyPEM := newCA.Cert(t, serverCert)
	WriteFiles(t, serverCfg, newCA.CertPEM, certPEM, keyPEM)
	if err := server.Reload(); err != nil {
		t.Fatal(err)
	}
	// The old peer trusts the new CA, so only the server can refuse it.
	oldCert := oldPeer.certificate()
	cfg := &tls.Config{RootCAs: poolOf(t, newCA.CertPEM), ServerName: server.ServerName(), Certificates: []tls.Certificate{*oldCert}}
	if _, err := echo(addr, cfg); err == nil {
		t.Fatal("peer of the old CA accepted")
	}
	if err := handshakeResult(t, results); err == nil {
		t.Fatal("server completed the handshake with a peer of the old CA")
	}
	if _, err := echo(addr, newPeer.OutgoingRaft()); err != nil {
		t.Fatal(err)
	}
	if err := handshakeResult(t, results); err != nil {
		t.Fatal(err)
	}
}

func TestFailedReloadKeepsThePreviousFiles(t *testing.T) {
	ca := NewTestCA(t)
	cfg := ca.Config(t, serverCert)
	c := newConfigurator(t, cfg)
	n := serveHTTPS(t, c)
	serial := c.certificate().Leaf.SerialNumber

	if err := os.WriteFile(cfg.CertFile, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := c.Reload(); err == nil || !strings.HasPrefix(err.Error(), "CertFile: ") {
		t.Fatalf("reload error %v", err)
	}
	// A key of another certificate: the pair does not match.
	_, otherKey := ca.Cert(t, serverCert)
	certPEM, _ := ca.Cert(t, serverCert)
	WriteFiles(t, cfg, ca.CertPEM, certPEM, otherKey)
	if err := c.Reload(); err == nil || !strings.HasPrefix(err.Error(), "KeyFile: ") {
		t.Fatalf("reload error %v", err)
	}
	bad := cfg
	bad.CAFile = ""
	if err := c.Update(bad); err == nil {
		t.Fatal("update without CA")
	}

	_, resp, err := get(t, "https://"+n.addr+"/", &tls.Config{RootCAs: poolOf(t, ca.CertPEM)})
	if err != nil {
		t.Fatal(err)
	}
	if resp.TLS.PeerCertificates[0].SerialNumber.Cmp(serial) != 0 {
		t.Fatal("serving another certificate after failed reloads")
	}
	if c.Config() != cfg {
		t.Fatalf("config %+v", c.Config())
	}
}

func TestUpdateSwitchesFilesAndRegion(t *testing.T) {
	ca := NewTestCA(t)
	c := newConfigurator(t, ca.Config(t, serverCert))
	eu := ca.Config(t, CertOpts{Kind: ServerCert, Region: "eu"})
	if err := c.Update(eu); err != nil {
		t.Fatal(err)
	}
	if c.ServerName() != "server.eu.genie" || c.Config() != eu {
		t.Fatalf("server name %q", c.ServerName())
	}
	peer := newConfigurator(t, ca.Config(t, CertOpts{Kind: ServerCert, Region: "eu"}))
	addr, _ := echoServer(t, c.IncomingRaft())
	if _, err := echo(addr, peer.OutgoingRaft()); err != nil {
		t.Fatal(err)
	}
}
