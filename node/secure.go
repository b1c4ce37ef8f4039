package node

import (
	"errors"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
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
	if !c.RunAsUser && !isolatingAccount(c.JobUser) {
		off = append(off, "job isolation (jobs run as the agent's own OS account or as root: run the agent as root with an unprivileged -job-os-user)")
	}
	return off
}

// isolatingAccount reports whether jobs run as name are kept from the
// node: an account that is neither root nor the agent's own.
func isolatingAccount(name string) bool {
	if name == "" {
		return false
	}
	u, err := user.Lookup(name)
	if err != nil {
		// The runner refuses an unknown account at start.
		return true
	}
	return u.Uid != "0" && u.Uid != strconv.Itoa(os.Geteuid())
}

func (c *Config) hasKeyringFile() bool {
	if c.DataDir == "" {
		return false
	}
	_, err := os.Stat(filepath.Join(c.DataDir, keyringFileName))
	return !errors.Is(err, os.ErrNotExist)
}
