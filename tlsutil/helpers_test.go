package tlsutil

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/genie-cluster/genie/internal/testlog"
)

// testLogger logs to t until the test ends, then discards.
func testLogger(t testing.TB) hclog.Logger { return testlog.New(t, "tlsutil") }

// newConfigurator builds a Configurator for cfg or fails the test.
func newConfigurator(t testing.TB, cfg Config) *Configurator {
	t.Helper()
	c, err := NewConfigurator(cfg, testLogger(t))
	if err != nil {
		t.Fatalf("new configurator: %v", err)
	}
	return c
}

// serverCert and clientCert are CertOpts of the default region.
var (
	serverCert = CertOpts{Kind: ServerCert}
	clientCert = CertOpts{Kind: ClientCert}
)

// expired returns opts for a certificate that expired an hour ago.
func expired(opts CertOpts) CertOpts {
	opts.NotBefore = time.Now().Add(-48 * time.Hour)
	opts.NotAfter = time.Now().Add(-time.Hour)
	return opts
}

// keyPair parses PEMs into a tls.Certificate.
func keyPair(t testing.TB, certPEM, keyPEM string) tls.Certificate {
	t.Helper()
	pair, err := tls.X509KeyPair([]byte(certPEM), []byte(keyPEM))
	if err != nil {
		t.Fatalf("key pair: %v", err)
	}
	return pair
}

// certPair generates a certificate signed by ca as a tls.Certificate.
func certPair(t testing.TB, ca *TestCA, opts CertOpts) tls.Certificate {
	t.Helper()
	certPEM, keyPEM := ca.Cert(t, opts)
	return keyPair(t, certPEM, keyPEM)
}

// parseCert parses one PEM certificate.
func parseCert(t testing.TB, certPEM string) *x509.Certificate {
	t.Helper()
	certs, err := parseCertificates([]byte(certPEM))
	if err != nil {
		t.Fatalf("parse certificate: %v", err)
	}
	return certs[0]
}

// poolOf returns a pool holding the PEM CA.
func poolOf(t testing.TB, caPEM string) *x509.CertPool {
	t.Helper()
	p := x509.NewCertPool()
	if !p.AppendCertsFromPEM([]byte(caPEM)) {
		t.Fatal("no CA certificate in PEM")
	}
	return p
}

// echoServer accepts TLS connections with cfg and echoes one line per
// connection after the handshake. Each handshake's outcome is sent on the
// returned channel.
func echoServer(t testing.TB, cfg *tls.Config) (string, <-chan error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	results := make(chan error, 16)
	go func() {
		for {
			raw, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				conn := tls.Server(raw, cfg)
				defer conn.Close()
				conn.SetDeadline(time.Now().Add(10 * time.Second))
				err := conn.Handshake()
				select {
				case results <- err:
				default:
				}
				if err != nil {
					return
				}
				line, err := bufio.NewReader(conn).ReadString('\n')
				if err != nil {
					return
				}
				conn.Write([]byte(line))
			}()
		}
	}()
	return ln.Addr().String(), results
}

// echo dials addr with cfg, sends a line and reads it back. With TLS 1.3 a
// client's handshake ends before the server has checked the client's
// certificate, so a refusal shows up as the read's error.
func echo(addr string, cfg *tls.Config) (*tls.ConnectionState, error) {
	d := &net.Dialer{Timeout: 10 * time.Second}
	conn, err := tls.DialWithDialer(d, "tcp", addr, cfg)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := conn.Write([]byte("ping\n")); err != nil {
		return nil, err
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return nil, err
	}
	if line != "ping\n" {
		return nil, errors.New("echo: got " + line)
	}
	state := conn.ConnectionState()
	return &state, nil
}

// handshakeResult waits for the server side's handshake outcome.
func handshakeResult(t testing.TB, results <-chan error) error {
	t.Helper()
	select {
	case err := <-results:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("no handshake on the server side within 10s")
		return nil
	}
}
