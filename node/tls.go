package node

import (
	"fmt"
	"net/http"

	"github.com/genie-cluster/genie/tlsutil"
)

// setupTLS loads the node's certificates when TLS is configured, and makes
// the client of node-to-node calls present them.
func (n *Node) setupTLS() error {
	if !n.config.TLS.Enabled() {
		n.internal = newInternalClient(nil)
		return nil
	}
	c, err := tlsutil.NewConfigurator(n.config.TLS, n.config.Logger.Named("tls"))
	if err != nil {
		return fmt.Errorf("tls: %w", err)
	}
	n.tls = c
	n.internal = newInternalClient(c.OutgoingHTTPS())
	return nil
}

// TLSEnabled reports whether the node serves and calls its peers over TLS.
func (n *Node) TLSEnabled() bool { return n.tls != nil }

// ReloadTLS reads the certificate files again (SIGHUP): new connections use
// the new ones, connections in use and running jobs are not touched. On
// error the node keeps the certificates it has.
func (n *Node) ReloadTLS() error {
	if n.tls == nil {
		return nil
	}
	if err := n.tls.Reload(); err != nil {
		return fmt.Errorf("reload tls: %w", err)
	}
	n.logger.Info("reloaded TLS certificates")
	return nil
}

// peerURL is the URL of path on the node whose API is at addr.
func (n *Node) peerURL(addr, path string) string {
	return n.scheme() + "://" + addr + path
}

// scheme is how this cluster's APIs are reached.
func (n *Node) scheme() string {
	if n.tls != nil {
		return "https"
	}
	return "http"
}

// isServerPeer is nil without TLS: nothing can prove a peer is a server.
func (n *Node) isServerPeer() func(*http.Request) bool {
	if n.tls == nil {
		return nil
	}
	return n.tls.IsServerPeer
}

// URL is the base URL of this node's API.
func (n *Node) URL() string { return n.scheme() + "://" + n.httpAddr }
