package tlsutil

import (
	"crypto/tls"
	"errors"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
)

// Configurator hands out the tls.Configs of a node, for each use. The
// configs it returns read the current files through callbacks, so Update
// and Reload take effect for every new handshake, on listeners and
// transports already built; established connections are left alone.
type Configurator struct {
	logger hclog.Logger

	mu  sync.RWMutex
	cur *material
}

// NewConfigurator loads the CA, certificate and key of cfg, which must be
// enabled. A nil logger discards.
func NewConfigurator(cfg Config, logger hclog.Logger) (*Configurator, error) {
	if logger == nil {
		logger = hclog.NewNullLogger()
	}
	m, err := loadEnabled(cfg)
	if err != nil {
		return nil, err
	}
	c := &Configurator{logger: logger, cur: m}
	c.warn(m)
	return c, nil
}

// loadEnabled validates cfg, which must enable TLS, and loads its files.
func loadEnabled(cfg Config) (*material, error) {
	if !cfg.Enabled() {
		return nil, errors.New("CertFile, KeyFile: must be given to enable TLS")
	}
	if err := cfg.validateFields(); err != nil {
		return nil, err
	}
	return load(cfg)
}

// Update replaces the configuration and loads its files. On error the
// previous files stay in use and the error is returned.
func (c *Configurator) Update(cfg Config) error {
	m, err := loadEnabled(cfg)
	if err != nil {
		c.logger.Error("TLS files not reloaded, keeping the previous ones", "error", err)
		return err
	}
	c.mu.Lock()
	c.cur = m
	c.mu.Unlock()
	c.logger.Info("TLS files reloaded", "cert_file", cfg.CertFile, "ca_file", cfg.CAFile,
		"not_after", m.cert.Leaf.NotAfter)
	c.warn(m)
	return nil
}

// Reload reads the configured files again, as on SIGHUP after they were
// rotated. On error the previous files stay in use.
func (c *Configurator) Reload() error {
	return c.Update(c.Config())
}

// Config returns the configuration in use.
func (c *Configurator) Config() Config {
	return c.material().cfg
}

// ServerName is the name a server certificate of this node's region
// carries: server.<region>.genie.
func (c *Configurator) ServerName() string {
	return c.material().serverName
}

// material returns the files in use; callers use one material throughout a
// handshake.
func (c *Configurator) material() *material {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.cur
}

// certificate returns the current certificate, for GetCertificate-style
// callbacks.
func (c *Configurator) certificate() *tls.Certificate {
	return c.material().cert
}

// warn logs what is loadable but will fail later: a certificate peers will
// refuse, or one close to expiry.
func (c *Configurator) warn(m *material) {
	leaf := m.cert.Leaf
	if !hasDNSName(leaf, m.serverName) {
		c.logger.Warn("certificate lacks the server name; peers will refuse it for raft and internal calls",
			"cert_file", m.cfg.CertFile, "want", m.serverName, "names", leaf.DNSNames)
	}
	if left := time.Until(leaf.NotAfter); left < 30*24*time.Hour {
		c.logger.Warn("certificate expires soon", "cert_file", m.cfg.CertFile, "not_after", leaf.NotAfter)
	}
}
