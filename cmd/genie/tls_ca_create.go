package main

import (
	"fmt"
	"strings"

	"github.com/genie-cluster/genie/tlsutil"
)

// TLSCACreateCommand is "genie tls ca create".
type TLSCACreateCommand struct {
	Meta
}

func (c *TLSCACreateCommand) Synopsis() string { return "Create a CA for the cluster's certificates" }

func (c *TLSCACreateCommand) Help() string {
	return strings.TrimSpace(fmt.Sprintf(`
Usage: genie tls ca create [options]

  Creates a CA with an ECDSA P-256 key: the certificate %s and its private
  key %s (readable by its owner only), in the current directory. Every
  node's CAFile is the certificate; keep the key off the nodes.

  Refuses to overwrite either file.

Options:

  -days=<n>
    Days the CA is valid. Defaults to %d.

  -common-name=<name>
    The CA's common name. Defaults to %s.
`, caCertFile, caKeyFile, tlsutil.DefaultCADays, tlsutil.DefaultCACommonName))
}

func (c *TLSCACreateCommand) Run(args []string) int {
	var opts tlsutil.CAOpts
	fs := tlsFlagSet("tls ca create")
	fs.IntVar(&opts.Days, "days", tlsutil.DefaultCADays, "")
	fs.StringVar(&opts.CommonName, "common-name", tlsutil.DefaultCACommonName, "")
	if _, code, ok := c.parse(fs, args, 0, 0, "genie tls ca create [options]"); !ok {
		return code
	}
	if opts.Days < 1 {
		c.UI.Error("Error: -days must be at least 1")
		return 1
	}
	if err := refuseExisting(caCertFile, caKeyFile); err != nil {
		return c.fail("creating CA", err)
	}
	certPEM, keyPEM, err := tlsutil.GenerateCA(opts)
	if err != nil {
		return c.fail("creating CA", err)
	}
	if err := writeCertAndKey(caCertFile, certPEM, caKeyFile, keyPEM); err != nil {
		return c.fail("writing CA", err)
	}
	c.UI.Output("Wrote CA certificate " + caCertFile)
	c.UI.Output("Wrote CA key " + caKeyFile)
	return 0
}
