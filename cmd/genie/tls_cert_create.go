package main

import (
	"fmt"
	"net"
	"os"
	"strings"

	"github.com/genie-cluster/genie/tlsutil"
)

// TLSCertCreateCommand is "genie tls cert create".
type TLSCertCreateCommand struct {
	Meta
}

func (c *TLSCertCreateCommand) Synopsis() string {
	return "Create a server or client certificate signed by the CA"
}

func (c *TLSCertCreateCommand) Help() string {
	return strings.TrimSpace(fmt.Sprintf(`
Usage: genie tls cert create -server|-client [options]

  Creates a certificate with an ECDSA P-256 key, signed by the CA that
  "genie tls ca create" wrote in the current directory.

  A server certificate is a node's: it is valid for server and client
  authentication and names server.<region>.genie, localhost and 127.0.0.1.
  Nodes accept raft traffic and internal API calls only from a certificate
  naming server.<region>.genie, and verify that name whatever address they
  reach a peer at. A client certificate is a user's or a tool's: client
  authentication only, named client.<region>.genie.

  The files are <region>-server-genie.pem and <region>-server-genie-key.pem
  (or <region>-client-genie*.pem) in the current directory. Existing files
  are never overwritten: when the names are taken, the next free number is
  added, as in global-server-genie-1.pem. The key is readable by its owner
  only.

Options:

  -server
    Create a server certificate.

  -client
    Create a client certificate.

  -region=<region>
    The region the certificate names. Defaults to %s.

  -additional-dnsname=<name>
    A DNS name to add to the certificate. May be repeated.

  -additional-ipaddress=<ip>
    An IP address to add to the certificate. May be repeated.

  -days=<n>
    Days the certificate is valid. Defaults to %d.

  -ca=<file>
    The CA certificate. Defaults to %s.

  -key=<file>
    The CA's private key. Defaults to %s.
`, tlsutil.DefaultRegion, tlsutil.DefaultCertDays, caCertFile, caKeyFile))
}

func (c *TLSCertCreateCommand) Run(args []string) int {
	const usage = "genie tls cert create -server|-client [options]"
	var (
		server, client  bool
		dnsNames, ips   stringsFlag
		caFile, keyFile string
	)
	opts := tlsutil.CertOpts{Region: tlsutil.DefaultRegion}
	fs := tlsFlagSet("tls cert create")
	fs.BoolVar(&server, "server", false, "")
	fs.BoolVar(&client, "client", false, "")
	fs.StringVar(&opts.Region, "region", opts.Region, "")
	fs.Var(&dnsNames, "additional-dnsname", "")
	fs.Var(&ips, "additional-ipaddress", "")
	fs.IntVar(&opts.Days, "days", tlsutil.DefaultCertDays, "")
	fs.StringVar(&caFile, "ca", caCertFile, "")
	fs.StringVar(&keyFile, "key", caKeyFile, "")
	if _, code, ok := c.parse(fs, args, 0, 0, usage); !ok {
		return code
	}

	kind := "server"
	switch {
	case server == client:
		c.UI.Error("Error: give exactly one of -server and -client")
		c.UI.Error("Usage: " + usage)
		return 1
	case server:
		opts.Kind = tlsutil.ServerCert
	default:
		opts.Kind, kind = tlsutil.ClientCert, "client"
	}
	if opts.Days < 1 {
		c.UI.Error("Error: -days must be at least 1")
		return 1
	}
	opts.DNSNames = dnsNames
	for _, s := range ips {
		ip := net.ParseIP(s)
		if ip == nil {
			c.UI.Error(fmt.Sprintf("Error: -additional-ipaddress %q is not an IP address", s))
			return 1
		}
		opts.IPAddresses = append(opts.IPAddresses, ip)
	}

	caPEM, err := os.ReadFile(caFile)
	if err != nil {
		return c.fail("reading the CA certificate (create one with \"genie tls ca create\")", err)
	}
	caKeyPEM, err := os.ReadFile(keyFile)
	if err != nil {
		return c.fail("reading the CA key", err)
	}
	opts.CACertPEM, opts.CAKeyPEM = string(caPEM), string(caKeyPEM)
	certPEM, keyPEM, err := tlsutil.GenerateCert(opts)
	if err != nil {
		return c.fail("creating certificate", err)
	}

	certPath, keyPath, err := writeNumbered(fmt.Sprintf("%s-%s-genie", opts.Region, kind), certPEM, keyPEM)
	if err != nil {
		return c.fail("writing certificate", err)
	}
	c.UI.Output(fmt.Sprintf("Wrote %s certificate %s", kind, certPath))
	c.UI.Output(fmt.Sprintf("Wrote %s key %s", kind, keyPath))
	return 0
}

// writeNumbered writes <prefix>.pem and <prefix>-key.pem, or, when either
// exists, <prefix>-<n>.pem and <prefix>-<n>-key.pem with the first free n.
func writeNumbered(prefix, certPEM, keyPEM string) (string, string, error) {
	for n := 0; n < 1000; n++ {
		name := prefix
		if n > 0 {
			name = fmt.Sprintf("%s-%d", prefix, n)
		}
		certPath, keyPath := name+".pem", name+"-key.pem"
		if exists(certPath) || exists(keyPath) {
			continue
		}
		err := writeCertAndKey(certPath, certPEM, keyPath, keyPEM)
		if os.IsExist(err) {
			continue // taken since we looked
		}
		return certPath, keyPath, err
	}
	return "", "", fmt.Errorf("%s.pem and its next 999 numbers are taken", prefix)
}
