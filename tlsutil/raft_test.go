package tlsutil

import (
	"crypto/tls"
	"crypto/x509"
	"testing"
)

func TestRaftMutualTLSBetweenServers(t *testing.T) {
	ca := NewTestCA(t)
	a := newConfigurator(t, ca.Config(t, serverCert))
	b := newConfigurator(t, ca.Config(t, serverCert))

	addr, results := echoServer(t, a.IncomingRaft())
	state, err := echo(addr, b.OutgoingRaft())
	if err != nil {
		t.Fatal(err)
	}
	if err := handshakeResult(t, results); err != nil {
		t.Fatal(err)
	}
	if state.Version != tls.VersionTLS13 {
		t.Fatalf("version %x", state.Version)
	}
	if got, want := state.PeerCertificates[0].SerialNumber, a.certificate().Leaf.SerialNumber; got.Cmp(want) != 0 {
		t.Fatalf("peer serial %s, want a's %s", got, want)
	}
}

// badPeers are certificates a server of the "global" region signed by ca
// must refuse: each is paired with the chain a refused peer would send.
func badPeers(t *testing.T, ca *TestCA) map[string]*tls.Certificate {
	other := NewTestCA(t)
	pair := func(ca *TestCA, opts CertOpts) *tls.Certificate {
		p := certPair(t, ca, opts)
		return &p
	}
	return map[string]*tls.Certificate{
		"no certificate":         nil,
		"other CA":               pair(other, serverCert),
		"client certificate":     pair(ca, clientCert),
		"expired":                pair(ca, expired(serverCert)),
		"other region":           pair(ca, CertOpts{Kind: ServerCert, Region: "eu"}),
		"wildcard of the region": pair(ca, CertOpts{Kind: ServerCert, Region: "eu", DNSNames: []string{"*.global.genie"}}),
	}
}

func TestIncomingRaftRefusesNonServers(t *testing.T) {
	ca := NewTestCA(t)
	server := newConfigurator(t, ca.Config(t, serverCert))
	addr, results := echoServer(t, server.IncomingRaft())

	for name, cert := range badPeers(t, ca) {
		t.Run(name, func(t *testing.T) {
			// The peer trusts the server, so only the server can refuse.
			cfg := &tls.Config{RootCAs: poolOf(t, ca.CertPEM), ServerName: server.ServerName()}
			if cert != nil {
				cfg.Certificates = []tls.Certificate{*cert}
			}
			if _, err := echo(addr, cfg); err == nil {
				t.Fatal("echo worked")
			}
			if err := handshakeResult(t, results); err == nil {
				t.Fatal("server completed the handshake")
			}
			// The same peer on an HTTPS connection is not a server either.
			var state tls.ConnectionState
			if cert != nil {
				state.PeerCertificates = []*x509.Certificate{cert.Leaf}
			}
			if err := server.VerifyServerPeer(state); err == nil {
				t.Fatal("VerifyServerPeer accepted it")
			}
		})
	}
}

func TestOutgoingRaftRefusesNonServers(t *testing.T) {
	ca := NewTestCA(t)
	client := newConfigurator(t, ca.Config(t, serverCert))

	for name, cert := range badPeers(t, ca) {
		if cert == nil {
			continue // a TLS server always has a certificate
		}
		t.Run(name, func(t *testing.T) {
			addr, _ := echoServer(t, &tls.Config{Certificates: []tls.Certificate{*cert}})
			if _, err := echo(addr, client.OutgoingRaft()); err == nil {
				t.Fatal("dial accepted the server")
			}
			if _, err := echo(addr, client.OutgoingHTTPS()); err == nil {
				t.Fatal("HTTPS dial accepted the server")
			}
		})
	}
}

func TestVerifyServerPeerAcceptsServers(t *testing.T) {
	ca := NewTestCA(t)
	c := newConfigurator(t, ca.Config(t, serverCert))
	peer := certPair(t, ca, serverCert)
	if err := c.VerifyServerPeer(tls.ConnectionState{PeerCertificates: []*x509.Certificate{peer.Leaf}}); err != nil {
		t.Fatal(err)
	}
}
