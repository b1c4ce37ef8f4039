package tlsutil

import (
	"crypto/x509"
	"errors"
	"testing"
	"time"
)

func TestPeerCacheVerifiesAChainOnce(t *testing.T) {
	var p peerCache
	leaf := &x509.Certificate{Raw: []byte("leaf"), NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	calls := 0
	ok := func() error { calls++; return nil }
	for i := 0; i < 3; i++ {
		if err := p.check([]*x509.Certificate{leaf}, ok); err != nil {
			t.Fatal(err)
		}
	}
	if calls != 1 {
		t.Fatalf("verified %d times", calls)
	}
	// A chain that fails is never remembered.
	bad := &x509.Certificate{Raw: []byte("bad"), NotAfter: time.Now().Add(time.Hour)}
	refused := errors.New("refused")
	for i := 0; i < 2; i++ {
		if err := p.check([]*x509.Certificate{bad}, func() error { calls++; return refused }); err != refused {
			t.Fatalf("bad chain: %v", err)
		}
	}
	if calls != 3 {
		t.Fatalf("a refused chain was remembered (%d calls)", calls)
	}
	// A remembered certificate that has since expired is refused.
	leaf.NotAfter = time.Now().Add(-time.Second)
	if err := p.check([]*x509.Certificate{leaf}, ok); err == nil {
		t.Fatal("an expired certificate passed from the cache")
	}
}

func TestAClientCertificateNeverPassesForAServer(t *testing.T) {
	ca := NewTestCA(t)
	if _, _, err := GenerateCert(CertOpts{CACertPEM: ca.CertPEM, CAKeyPEM: ca.KeyPEM, Kind: ClientCert,
		DNSNames: []string{ServerName(DefaultRegion)}}); err == nil {
		t.Fatal("a client certificate was given the server role's name")
	}
	// One made by hand with the server's name but only client usage.
	c := newConfigurator(t, ca.Config(t, CertOpts{Kind: ServerCert}))
	m := c.material()
	forged, _ := ca.Cert(t, CertOpts{Kind: ClientCert})
	leaf := parseCert(t, forged)
	leaf.DNSNames = append(leaf.DNSNames, ServerName(DefaultRegion))
	if err := m.verifyServerPeer([]*x509.Certificate{leaf}, x509.ExtKeyUsageClientAuth); err == nil {
		t.Fatal("a client certificate naming the server role passed")
	}
}
