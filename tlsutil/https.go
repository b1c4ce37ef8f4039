package tlsutil

import (
	"crypto/tls"
	"crypto/x509"
	"net/http"
)

// IncomingHTTPS returns the config of the node's API listener. Clients
// without a certificate are served (tokens authenticate users) unless
// VerifyHTTPSClient is set; a certificate that is given must chain to the
// CA. Use VerifyServerPeer to tell a peer server from a user.
//
// The config only holds GetConfigForClient, which builds each handshake's
// config from the files current at that moment, so a reload reaches a
// listener that is already serving.
func (c *Configurator) IncomingHTTPS() *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
			m := c.material()
			auth := tls.VerifyClientCertIfGiven
			if m.cfg.VerifyHTTPSClient {
				auth = tls.RequireAndVerifyClientCert
			}
			return &tls.Config{
				MinVersion:     tls.VersionTLS12,
				GetCertificate: c.getCertificate,
				ClientAuth:     auth,
				ClientCAs:      m.pool,
				NextProtos:     []string{"h2", "http/1.1"},
				// A resumed session would skip verifying the client's
				// certificate against the CA now in use.
				SessionTicketsDisabled: true,
			}, nil
		},
	}
}

// OutgoingHTTPS returns the config for HTTP calls to peer nodes. It presents
// this node's certificate and accepts only a server certificate of this
// cluster, whatever address the peer was reached at.
//
// A transport keeps its config for its lifetime, and RootCAs would pin the
// CA of the moment. So Go's verification is switched off and
// VerifyConnection does the same checks (chain, server name, key usage)
// against the CA current at each handshake. The handshake still proves the
// peer holds the certificate's key: only the certificate checks move.
func (c *Configurator) OutgoingHTTPS() *tls.Config {
	return c.outgoing(tls.VersionTLS12)
}

// VerifyServerPeer tells whether the peer of an incoming connection proved
// to be a server of this cluster: its certificate chains to the CA in use
// now and names server.<region>.genie. A user's client certificate, or
// none, is an error.
func (c *Configurator) VerifyServerPeer(state tls.ConnectionState) error {
	m := c.material()
	return m.servers.check(state.PeerCertificates, func() error {
		return m.verifyServerPeer(state.PeerCertificates, x509.ExtKeyUsageClientAuth)
	})
}

// IsServerPeer tells whether r came over TLS from a server of this cluster,
// for endpoints only servers may call.
func (c *Configurator) IsServerPeer(r *http.Request) bool {
	return r.TLS != nil && c.VerifyServerPeer(*r.TLS) == nil
}

// outgoing is the client config of OutgoingHTTPS and OutgoingRaft.
func (c *Configurator) outgoing(minVersion uint16) *tls.Config {
	return &tls.Config{
		MinVersion: minVersion,
		// Sent as SNI; the verification below checks it.
		ServerName: c.ServerName(),
		GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			return c.certificate(), nil
		},
		// Verification is VerifyConnection's, against the current CA.
		// Never clear VerifyConnection on a copy of this config.
		InsecureSkipVerify: true,
		VerifyConnection: func(cs tls.ConnectionState) error {
			return c.material().verifyServerPeer(cs.PeerCertificates, x509.ExtKeyUsageServerAuth)
		},
	}
}

func (c *Configurator) getCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	return c.certificate(), nil
}
