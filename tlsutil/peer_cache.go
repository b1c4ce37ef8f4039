package tlsutil

import (
	"crypto/x509"
	"fmt"
	"strings"
	"sync"
	"time"
)

// peerCacheSize bounds the chains a peerCache keeps: a cluster has a few
// servers, and every chain it sees was signed by the CA at the handshake.
const peerCacheSize = 1024

// peerCache remembers which certificate chains passed a verification, by
// their bytes. A hit still checks the chain's validity periods, since a
// connection can outlive its certificates.
type peerCache struct {
	mu     sync.Mutex
	passed map[string]struct{}
}

// check returns nil for a chain that passed before, else runs verify and
// remembers the chain if it passes.
func (p *peerCache) check(certs []*x509.Certificate, verify func() error) error {
	if len(certs) == 0 {
		return verify()
	}
	var b strings.Builder
	for _, c := range certs {
		b.Write(c.Raw)
	}
	key := b.String()
	p.mu.Lock()
	_, ok := p.passed[key]
	p.mu.Unlock()
	if ok {
		now := time.Now()
		for _, c := range certs {
			if now.Before(c.NotBefore) || now.After(c.NotAfter) {
				return fmt.Errorf("peer certificate %q is not valid now (valid %s to %s)", c.Subject.CommonName, c.NotBefore, c.NotAfter)
			}
		}
		return nil
	}
	if err := verify(); err != nil {
		return err
	}
	p.mu.Lock()
	if p.passed == nil || len(p.passed) >= peerCacheSize {
		p.passed = make(map[string]struct{})
	}
	p.passed[key] = struct{}{}
	p.mu.Unlock()
	return nil
}
