package tlsutil

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"errors"
	"net"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestGeneratedCAIsAP256CA(t *testing.T) {
	certPEM, keyPEM, err := GenerateCA(CAOpts{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(keyPEM, "EC PRIVATE KEY") {
		t.Fatalf("key PEM:\n%s", keyPEM)
	}
	ca := parseCert(t, certPEM)
	if !ca.IsCA || !ca.BasicConstraintsValid {
		t.Fatal("not a CA")
	}
	if ca.KeyUsage&x509.KeyUsageCertSign == 0 || ca.KeyUsage&x509.KeyUsageCRLSign == 0 {
		t.Fatalf("key usage %b", ca.KeyUsage)
	}
	if ca.Subject.CommonName != DefaultCACommonName {
		t.Fatalf("common name %q", ca.Subject.CommonName)
	}
	if len(ca.SubjectKeyId) != 20 {
		t.Fatalf("subject key id %x", ca.SubjectKeyId)
	}
	pub, ok := ca.PublicKey.(*ecdsa.PublicKey)
	if !ok || pub.Curve != elliptic.P256() {
		t.Fatalf("public key %T", ca.PublicKey)
	}
	if years := ca.NotAfter.Sub(ca.NotBefore).Hours() / 24 / 365; years < 4.99 || years > 5.01 {
		t.Fatalf("valid for %.2f years", years)
	}
	if err := ca.CheckSignatureFrom(ca); err != nil {
		t.Fatalf("not self-signed: %v", err)
	}

	certPEM, _, err = GenerateCA(CAOpts{CommonName: "other-ca", Days: 10})
	if err != nil {
		t.Fatal(err)
	}
	ca = parseCert(t, certPEM)
	if ca.Subject.CommonName != "other-ca" || ca.NotAfter.Sub(ca.NotBefore) > 10*24*time.Hour+2*time.Minute {
		t.Fatalf("common name %q, valid %s", ca.Subject.CommonName, ca.NotAfter.Sub(ca.NotBefore))
	}
}

func TestGeneratedServerCertChainsAndCarriesNames(t *testing.T) {
	ca := NewTestCA(t)
	certPEM, keyPEM := ca.Cert(t, CertOpts{
		Kind:        ServerCert,
		Region:      "eu",
		DNSNames:    []string{"node1.example.com", "localhost"},
		IPAddresses: []net.IP{net.ParseIP("10.0.0.7"), net.ParseIP("127.0.0.1")},
	})
	keyPair(t, certPEM, keyPEM)
	leaf, caCert := parseCert(t, certPEM), parseCert(t, ca.CertPEM)

	for _, usage := range []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth} {
		if _, err := leaf.Verify(x509.VerifyOptions{Roots: poolOf(t, ca.CertPEM), KeyUsages: []x509.ExtKeyUsage{usage}}); err != nil {
			t.Fatalf("usage %v: %v", usage, err)
		}
	}
	if want := []string{"server.eu.genie", "localhost", "node1.example.com"}; !slices.Equal(leaf.DNSNames, want) {
		t.Fatalf("DNS names %v, want %v", leaf.DNSNames, want)
	}
	if len(leaf.IPAddresses) != 2 || !leaf.IPAddresses[0].Equal(net.ParseIP("127.0.0.1")) || !leaf.IPAddresses[1].Equal(net.ParseIP("10.0.0.7")) {
		t.Fatalf("IP addresses %v", leaf.IPAddresses)
	}
	if leaf.IsCA {
		t.Fatal("leaf is a CA")
	}
	if string(leaf.AuthorityKeyId) != string(caCert.SubjectKeyId) {
		t.Fatalf("authority key id %x, CA's %x", leaf.AuthorityKeyId, caCert.SubjectKeyId)
	}
	if days := leaf.NotAfter.Sub(leaf.NotBefore).Hours() / 24; days < 364.9 || days > 365.1 {
		t.Fatalf("valid for %.1f days", days)
	}
}

func TestGeneratedClientCertIsForClientsOnly(t *testing.T) {
	ca := NewTestCA(t)
	certPEM, _ := ca.Cert(t, clientCert)
	leaf := parseCert(t, certPEM)
	if !slices.Equal(leaf.DNSNames, []string{"client.global.genie"}) || len(leaf.IPAddresses) != 0 {
		t.Fatalf("names %v %v", leaf.DNSNames, leaf.IPAddresses)
	}
	roots := poolOf(t, ca.CertPEM)
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Fatal(err)
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots}); err == nil {
		t.Fatal("a client certificate verifies for server auth")
	}
}

func TestExpiredCertificateDoesNotVerify(t *testing.T) {
	ca := NewTestCA(t)
	certPEM, _ := ca.Cert(t, expired(serverCert))
	_, err := parseCert(t, certPEM).Verify(x509.VerifyOptions{Roots: poolOf(t, ca.CertPEM)})
	var invalid x509.CertificateInvalidError
	if !errors.As(err, &invalid) || invalid.Reason != x509.Expired {
		t.Fatalf("err %v", err)
	}
}

func TestGenerateCertRefusesBadOptions(t *testing.T) {
	ca, other := NewTestCA(t), NewTestCA(t)
	leafPEM, leafKey := ca.Cert(t, serverCert)
	for name, opts := range map[string]CertOpts{
		"no kind":         {CACertPEM: ca.CertPEM, CAKeyPEM: ca.KeyPEM},
		"key of other CA": {CACertPEM: ca.CertPEM, CAKeyPEM: other.KeyPEM, Kind: ServerCert},
		"no CA":           {Kind: ServerCert},
		"leaf as CA":      {CACertPEM: leafPEM, CAKeyPEM: leafKey, Kind: ServerCert},
		"bad region":      {CACertPEM: ca.CertPEM, CAKeyPEM: ca.KeyPEM, Kind: ServerCert, Region: "a.b"},
		"negative days":   {CACertPEM: ca.CertPEM, CAKeyPEM: ca.KeyPEM, Kind: ServerCert, Days: -1},
		"ends before start": {CACertPEM: ca.CertPEM, CAKeyPEM: ca.KeyPEM, Kind: ServerCert,
			NotBefore: time.Now(), NotAfter: time.Now().Add(-time.Hour)},
	} {
		if _, _, err := GenerateCert(opts); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
