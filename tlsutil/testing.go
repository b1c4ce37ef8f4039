package tlsutil

import (
	"os"
	"path/filepath"
	"testing"
)

// TestCA is a CA for tests of TLS nodes: one per test cluster, and a Config
// per node.
type TestCA struct {
	CertPEM, KeyPEM string
}

// NewTestCA generates a CA with default options.
func NewTestCA(t testing.TB) *TestCA {
	t.Helper()
	cert, key, err := GenerateCA(CAOpts{})
	if err != nil {
		t.Fatalf("generate CA: %v", err)
	}
	return &TestCA{CertPEM: cert, KeyPEM: key}
}

// Cert generates a certificate signed by ca; opts's CA fields are filled in.
func (ca *TestCA) Cert(t testing.TB, opts CertOpts) (certPEM, keyPEM string) {
	t.Helper()
	opts.CACertPEM, opts.CAKeyPEM = ca.CertPEM, ca.KeyPEM
	cert, key, err := GenerateCert(opts)
	if err != nil {
		t.Fatalf("generate certificate: %v", err)
	}
	return cert, key
}

// Config generates a certificate as Cert does, writes it with the CA in a
// fresh temporary directory and returns a Config using them.
func (ca *TestCA) Config(t testing.TB, opts CertOpts) Config {
	t.Helper()
	cert, key := ca.Cert(t, opts)
	dir := t.TempDir()
	cfg := DefaultConfig()
	if opts.Region != "" {
		cfg.Region = opts.Region
	}
	cfg.CAFile = filepath.Join(dir, "ca.pem")
	cfg.CertFile = filepath.Join(dir, "cert.pem")
	cfg.KeyFile = filepath.Join(dir, "cert-key.pem")
	WriteFiles(t, cfg, ca.CertPEM, cert, key)
	return cfg
}

// WriteFiles writes the CA, certificate and key PEMs at cfg's paths, as an
// operator rotating them would before a reload.
func WriteFiles(t testing.TB, cfg Config, caPEM, certPEM, keyPEM string) {
	t.Helper()
	for path, data := range map[string]string{cfg.CAFile: caPEM, cfg.CertFile: certPEM, cfg.KeyFile: keyPEM} {
		if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
			t.Fatalf("write %s: %v", path, err)
		}
	}
}
