package tlsutil

import (
	"crypto/x509"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// errNoPeerCertificate is returned when a peer must prove it is a server and
// presented no certificate.
var errNoPeerCertificate = errors.New("peer presented no certificate")

// verifyServerPeer checks that certs (leaf first, as a peer sent them) chain
// to the CA pool of m for usage, and that the leaf names this region's
// server role. It is the one check behind every "is this a server of my
// cluster" question, incoming or outgoing.
func (m *material) verifyServerPeer(certs []*x509.Certificate, usage x509.ExtKeyUsage) error {
	if len(certs) == 0 {
		return errNoPeerCertificate
	}
	leaf := certs[0]
	if _, err := leaf.Verify(x509.VerifyOptions{
		Roots:         m.pool,
		Intermediates: certPool(certs[1:]),
		KeyUsages:     []x509.ExtKeyUsage{usage},
	}); err != nil {
		return fmt.Errorf("peer certificate: %w", err)
	}
	if !hasDNSName(leaf, m.serverName) {
		return fmt.Errorf("peer certificate is not a server certificate: it names %v, not %s", leaf.DNSNames, m.serverName)
	}
	// A client certificate given the server's name by mistake is still
	// no server's: servers' certificates are for both ends.
	if !slices.Contains(leaf.ExtKeyUsage, x509.ExtKeyUsageServerAuth) {
		return fmt.Errorf("peer certificate names %s but is not for servers (no server authentication usage)", m.serverName)
	}
	return nil
}

// hasDNSName tells whether cert carries name itself as a DNS SAN. Wildcards
// do not count: a "*.<region>.genie" certificate is not a server's.
func hasDNSName(cert *x509.Certificate, name string) bool {
	for _, n := range cert.DNSNames {
		if strings.EqualFold(n, name) {
			return true
		}
	}
	return false
}
