// Package tlsutil owns genie's TLS: the files a node is configured with, the
// tls.Configs built from them for each use, and the CA and certificates
// "genie tls" generates.
package tlsutil

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// DefaultRegion is the region a cluster's certificates name when none is
// configured.
const DefaultRegion = "global"

// Config says where a node's TLS files are. Start from DefaultConfig and call
// Validate; a Configurator is built from a valid, enabled Config.
type Config struct {
	// CAFile holds the PEM certificate(s) of the CA that signs every node's
	// and client's certificate. Peers are trusted only through it.
	CAFile string
	// CertFile and KeyFile are this node's PEM certificate and private key.
	// CertFile may hold intermediates after the leaf.
	CertFile string
	KeyFile  string

	// Region is the part of the role names servers and clients carry in
	// their certificates: server.<region>.genie and client.<region>.genie.
	// Certificates of another region are refused like those of a stranger.
	Region string

	// VerifyHTTPSClient, when set, makes the HTTPS API require a client
	// certificate signed by the CA. Off by default: API users authenticate
	// with tokens, and a certificate only marks a peer server.
	VerifyHTTPSClient bool
}

// DefaultConfig returns a configuration with TLS disabled and the default
// region.
func DefaultConfig() Config {
	return Config{Region: DefaultRegion}
}

// Enabled tells whether the node serves and dials TLS: a certificate and a
// key are given. Validate requires the CA with them.
func (c *Config) Enabled() bool {
	return c.CertFile != "" && c.KeyFile != ""
}

// regionRE is one DNS label: the region is part of a DNS name.
var regionRE = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$`)

// Validate checks the configuration and, when TLS is enabled, that the files
// exist, parse, and that the certificate is valid now and signed by the CA.
// The error names the field at fault.
func (c *Config) Validate() error {
	if err := c.validateFields(); err != nil || c.CAFile == "" {
		return err
	}
	_, err := load(*c)
	return err
}

// validateFields checks the fields without reading the files.
func (c *Config) validateFields() error {
	var errs []error
	if !regionRE.MatchString(c.Region) {
		errs = append(errs, fmt.Errorf("Region: %q is not a DNS label (letters, digits and inner hyphens)", c.Region))
	}
	given := map[string]string{"CAFile": c.CAFile, "CertFile": c.CertFile, "KeyFile": c.KeyFile}
	var missing []string
	for _, name := range []string{"CAFile", "CertFile", "KeyFile"} {
		if given[name] == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 && len(missing) < 3 {
		errs = append(errs, fmt.Errorf("%s: must be given: CAFile, CertFile and KeyFile go together", strings.Join(missing, ", ")))
	}
	return errors.Join(errs...)
}

// ServerName is the name every server certificate of region carries, and the
// name a node verifies when it reaches a peer by IP address.
func ServerName(region string) string {
	return "server." + region + ".genie"
}

// ClientName is the name client certificates of region carry.
func ClientName(region string) string {
	return "client." + region + ".genie"
}
