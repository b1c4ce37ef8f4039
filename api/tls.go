package api

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"os"
)

// Environment variables of the client's TLS settings.
const (
	CACertEnv        = "GENIE_CACERT"
	ClientCertEnv    = "GENIE_CLIENT_CERT"
	ClientKeyEnv     = "GENIE_CLIENT_KEY"
	TLSServerNameEnv = "GENIE_TLS_SERVER_NAME"
)

// DefaultTLSServerName is the name a node's certificate carries in the
// default region: the client checks it, not the address it dialled, so a
// node reached by any IP is verified.
const DefaultTLSServerName = "server.global.genie"

// TLSConfig says how the client verifies the node and proves itself.
type TLSConfig struct {
	// CACert is the PEM file of the CA that signed the nodes' certificates.
	CACert string
	// ClientCert and ClientKey are a certificate to present, optional:
	// tokens authenticate users.
	ClientCert string
	ClientKey  string
	// ServerName is checked in the node's certificate; default
	// DefaultTLSServerName when CACert is set.
	ServerName string
}

// tlsFromEnv reads the TLS settings from the environment; nil when none
// is set.
func tlsFromEnv() *TLSConfig {
	t := &TLSConfig{CACert: os.Getenv(CACertEnv), ClientCert: os.Getenv(ClientCertEnv),
		ClientKey: os.Getenv(ClientKeyEnv), ServerName: os.Getenv(TLSServerNameEnv)}
	if *t == (TLSConfig{}) {
		return nil
	}
	return t
}

// httpClient builds the HTTP client for t.
func (t *TLSConfig) httpClient() (*http.Client, error) {
	conf := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: t.ServerName}
	if t.CACert != "" {
		pem, err := os.ReadFile(t.CACert)
		if err != nil {
			return nil, fmt.Errorf("CA certificate: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("CA certificate %s holds no PEM certificate", t.CACert)
		}
		conf.RootCAs = pool
		if conf.ServerName == "" {
			conf.ServerName = DefaultTLSServerName
		}
	}
	if (t.ClientCert == "") != (t.ClientKey == "") {
		return nil, fmt.Errorf("a client certificate needs its key, and a key its certificate")
	}
	if t.ClientCert != "" {
		pair, err := tls.LoadX509KeyPair(t.ClientCert, t.ClientKey)
		if err != nil {
			return nil, fmt.Errorf("client certificate: %w", err)
		}
		conf.Certificates = []tls.Certificate{pair}
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = conf
	return &http.Client{Transport: tr}, nil
}
