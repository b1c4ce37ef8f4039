package tlsutil

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
)

// material is what a Config's files hold, parsed. A Configurator swaps a
// whole material on reload, never part of one.
type material struct {
	cfg        Config
	serverName string
	cert       *tls.Certificate // Leaf is set
	pool       *x509.CertPool
	// servers remembers the peer chains already verified against this
	// material, so a request on a kept-alive connection costs a lookup,
	// not a signature check; a reload starts a new material, and so anew.
	servers peerCache
}

// load reads and checks cfg's files. Errors name the field at fault.
func load(cfg Config) (*material, error) {
	caPEM, err := os.ReadFile(cfg.CAFile)
	if err != nil {
		return nil, fmt.Errorf("CAFile: %w", err)
	}
	cas, err := parseCertificates(caPEM)
	if err != nil {
		return nil, fmt.Errorf("CAFile: %s: %w", cfg.CAFile, err)
	}
	pool := x509.NewCertPool()
	for _, ca := range cas {
		pool.AddCert(ca)
	}

	certPEM, err := os.ReadFile(cfg.CertFile)
	if err != nil {
		return nil, fmt.Errorf("CertFile: %w", err)
	}
	chain, err := parseCertificates(certPEM)
	if err != nil {
		return nil, fmt.Errorf("CertFile: %s: %w", cfg.CertFile, err)
	}
	keyPEM, err := os.ReadFile(cfg.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("KeyFile: %w", err)
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("KeyFile: %s with CertFile %s: %w", cfg.KeyFile, cfg.CertFile, err)
	}
	pair.Leaf = chain[0]

	// Catch a certificate from another CA or an expired one now, not at the
	// first handshake on some other node.
	if _, err := chain[0].Verify(x509.VerifyOptions{
		Roots:         pool,
		Intermediates: certPool(chain[1:]),
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
	}); err != nil {
		return nil, fmt.Errorf("CertFile: %s is not valid under CAFile %s: %w", cfg.CertFile, cfg.CAFile, err)
	}
	return &material{cfg: cfg, serverName: ServerName(cfg.Region), cert: &pair, pool: pool}, nil
}

// parseCertificates returns every CERTIFICATE block of a PEM file; other
// blocks are skipped.
func parseCertificates(data []byte) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, err
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		return nil, fmt.Errorf("no PEM certificate")
	}
	return certs, nil
}

// certPool returns a pool of certs, for intermediates.
func certPool(certs []*x509.Certificate) *x509.CertPool {
	p := x509.NewCertPool()
	for _, c := range certs {
		p.AddCert(c)
	}
	return p
}
