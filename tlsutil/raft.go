package tlsutil

import (
	"crypto/tls"
	"crypto/x509"
)

// IncomingRaft returns the config of the raft listener: mutual TLS where the
// peer must present a server certificate of this cluster. A user's client
// certificate, one from another CA, or an expired one fails the handshake.
//
// Like IncomingHTTPS, each handshake gets a config built from the current
// files. Raft is node-to-node only, so it requires TLS 1.3.
func (c *Configurator) IncomingRaft() *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS13,
		GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
			m := c.material()
			return &tls.Config{
				MinVersion:   tls.VersionTLS13,
				Certificates: []tls.Certificate{*m.cert},
				ClientAuth:   tls.RequireAndVerifyClientCert,
				ClientCAs:    m.pool,
				// Go checks the chain; this also checks the role.
				VerifyConnection: func(cs tls.ConnectionState) error {
					return m.verifyServerPeer(cs.PeerCertificates, x509.ExtKeyUsageClientAuth)
				},
				// A resumed session would skip the certificate checks
				// against the CA now in use.
				SessionTicketsDisabled: true,
			}, nil
		},
	}
}

// OutgoingRaft returns the config for dialing a raft peer: it presents this
// node's certificate and accepts only a server certificate of this cluster,
// checked against the CA current at each handshake (see OutgoingHTTPS).
func (c *Configurator) OutgoingRaft() *tls.Config {
	return c.outgoing(tls.VersionTLS13)
}
