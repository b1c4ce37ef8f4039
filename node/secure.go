package node

import (
	"errors"
	"os"
	"path/filepath"
)

// Insecurities names the protections c leaves off. Outside -dev a node
// starts with any of them off only when told -insecure.
func (c *Config) Insecurities() []string {
	var off []string
	if !c.ACLEnabled {
		off = append(off, "ACLs (-acl-enabled)")
	}
	if !c.TLS.Enabled() {
		off = append(off, "TLS (-tls-ca-file, -tls-cert-file, -tls-key-file)")
	}
	if c.EncryptKey == "" && !c.hasKeyringFile() {
		off = append(off, "gossip encryption (-encrypt)")
	}
	if c.JobUser == "" && !c.RunAsUser {
		off = append(off, "job isolation (jobs run as the agent's own OS account: run the agent as root so they run as -job-os-user)")
	}
	return off
}

func (c *Config) hasKeyringFile() bool {
	if c.DataDir == "" {
		return false
	}
	_, err := os.Stat(filepath.Join(c.DataDir, keyringFileName))
	return !errors.Is(err, os.ErrNotExist)
}
