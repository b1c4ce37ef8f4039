package tlsutil

import (
	"crypto/tls"
	"io"
	"log"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// httpsNode serves over IncomingHTTPS of c. The handler answers "server" to
// a peer server and "user" to anyone else, and counts the requests it saw.
type httpsNode struct {
	addr     string
	requests atomic.Int64
}

func serveHTTPS(t *testing.T, c *Configurator) *httpsNode {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	n := &httpsNode{addr: ln.Addr().String()}
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			n.requests.Add(1)
			if c.IsServerPeer(r) {
				io.WriteString(w, "server")
				return
			}
			io.WriteString(w, "user")
		}),
		// Refused handshakes are the point of these tests.
		ErrorLog: log.New(io.Discard, "", 0),
	}
	go srv.Serve(tls.NewListener(ln, c.IncomingHTTPS()))
	t.Cleanup(func() { srv.Close() })
	return n
}

// get requests path over a fresh connection made with cfg and returns the
// body.
func get(t *testing.T, url string, cfg *tls.Config) (string, *http.Response, error) {
	t.Helper()
	tr := &http.Transport{TLSClientConfig: cfg, DisableKeepAlives: true}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	resp, err := client.Get(url)
	if err != nil {
		return "", nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return string(body), resp, err
}

func TestHTTPSServesTokenClientsWithoutCertificates(t *testing.T) {
	ca := NewTestCA(t)
	c := newConfigurator(t, ca.Config(t, serverCert))
	n := serveHTTPS(t, c)

	// A user's client trusts the CA and reaches the node by IP.
	body, resp, err := get(t, "https://"+n.addr+"/v1/jobs", &tls.Config{RootCAs: poolOf(t, ca.CertPEM)})
	if err != nil {
		t.Fatal(err)
	}
	if body != "user" {
		t.Fatalf("body %q", body)
	}
	if resp.TLS.Version < tls.VersionTLS12 {
		t.Fatalf("version %x", resp.TLS.Version)
	}
}

func TestHTTPSTellsServersFromUsers(t *testing.T) {
	ca := NewTestCA(t)
	c := newConfigurator(t, ca.Config(t, serverCert))
	n := serveHTTPS(t, c)
	url := "https://" + n.addr + "/v1/internal/x"

	peer := newConfigurator(t, ca.Config(t, serverCert))
	if body, _, err := get(t, url, peer.OutgoingHTTPS()); err != nil || body != "server" {
		t.Fatalf("peer server: body %q, err %v", body, err)
	}

	roots := poolOf(t, ca.CertPEM)
	for name, cert := range badPeers(t, ca) {
		cfg := &tls.Config{RootCAs: roots}
		if cert != nil {
			cfg.Certificates = []tls.Certificate{*cert}
		}
		body, _, err := get(t, url, cfg)
		switch name {
		case "no certificate", "client certificate", "other region", "wildcard of the region":
			// Valid under the CA: served, as a user.
			if err != nil || body != "user" {
				t.Errorf("%s: body %q, err %v", name, body, err)
			}
		default:
			// A certificate that is given must verify.
			if err == nil {
				t.Errorf("%s: served %q", name, body)
			}
		}
	}
}

func TestHTTPSVerifyHTTPSClientRequiresCertificate(t *testing.T) {
	ca := NewTestCA(t)
	cfg := ca.Config(t, serverCert)
	cfg.VerifyHTTPSClient = true
	n := serveHTTPS(t, newConfigurator(t, cfg))
	roots := poolOf(t, ca.CertPEM)

	if body, _, err := get(t, "https://"+n.addr+"/", &tls.Config{RootCAs: roots}); err == nil {
		t.Fatalf("served %q without a certificate", body)
	}
	user := certPair(t, ca, clientCert)
	if body, _, err := get(t, "https://"+n.addr+"/", &tls.Config{RootCAs: roots, Certificates: []tls.Certificate{user}}); err != nil || body != "user" {
		t.Fatalf("body %q, err %v", body, err)
	}
}

func TestPlainHTTPToTheTLSPortFails(t *testing.T) {
	ca := NewTestCA(t)
	n := serveHTTPS(t, newConfigurator(t, ca.Config(t, serverCert)))

	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Get("http://" + n.addr + "/v1/jobs")
	if err == nil {
		// Go's server answers plain HTTP with a 400 of its own.
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "HTTPS") {
			t.Fatalf("status %d body %q", resp.StatusCode, body)
		}
	}
	if got := n.requests.Load(); got != 0 {
		t.Fatalf("handler ran %d times", got)
	}
}
