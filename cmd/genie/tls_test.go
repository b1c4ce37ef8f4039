package main

import (
	"crypto/x509"
	"encoding/pem"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/genie-cluster/genie/tlsutil"
)

// readCert parses the first certificate of a PEM file.
func readCert(t *testing.T, path string) *x509.Certificate {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "CERTIFICATE" {
		t.Fatalf("%s: no PEM certificate", path)
	}
	c, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// wantMode fails unless path's permission bits are mode.
func wantMode(t *testing.T, path string, mode os.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != mode {
		t.Fatalf("%s: mode %v, want %v", path, fi.Mode().Perm(), mode)
	}
}

// inTempDirWithCA runs the test in a fresh directory with a CA created there.
func inTempDirWithCA(t *testing.T) {
	t.Chdir(t.TempDir())
	run(t, nil, "tls", "ca", "create").want(t, 0)
}

func TestTLSHelpListsSubcommands(t *testing.T) {
	r := run(t, nil, "tls")
	if !strings.Contains(r.stderr, "ca") || !strings.Contains(r.stderr, "cert") {
		t.Fatalf("code %d\nstderr:\n%s", r.code, r.stderr)
	}
	r = run(t, nil, "tls", "cert", "create", "-help")
	if !strings.Contains(r.stdout+r.stderr, "global-server-genie-1.pem") {
		t.Fatalf("help does not say how existing files are kept:\n%s%s", r.stdout, r.stderr)
	}
}

func TestTLSCACreateWritesCAAndRefusesToOverwrite(t *testing.T) {
	t.Chdir(t.TempDir())
	r := run(t, nil, "tls", "ca", "create").want(t, 0)
	if !strings.Contains(r.stdout, "genie-agent-ca.pem") || !strings.Contains(r.stdout, "genie-agent-ca-key.pem") {
		t.Fatalf("stdout:\n%s", r.stdout)
	}
	ca := readCert(t, "genie-agent-ca.pem")
	if !ca.IsCA || ca.Subject.CommonName != "genie-agent-ca" {
		t.Fatalf("CA %v, IsCA %v", ca.Subject, ca.IsCA)
	}
	wantMode(t, "genie-agent-ca-key.pem", 0o600)
	before, _ := os.ReadFile("genie-agent-ca-key.pem")

	r = run(t, nil, "tls", "ca", "create").want(t, 1)
	if !strings.Contains(r.stderr, "genie-agent-ca.pem already exists") {
		t.Fatalf("stderr:\n%s", r.stderr)
	}
	// The key alone is enough to refuse.
	os.Remove("genie-agent-ca.pem")
	r = run(t, nil, "tls", "ca", "create").want(t, 1)
	if !strings.Contains(r.stderr, "genie-agent-ca-key.pem already exists") {
		t.Fatalf("stderr:\n%s", r.stderr)
	}
	if after, _ := os.ReadFile("genie-agent-ca-key.pem"); string(after) != string(before) {
		t.Fatal("CA key overwritten")
	}
}

func TestTLSCACreateOptions(t *testing.T) {
	t.Chdir(t.TempDir())
	run(t, nil, "tls", "ca", "create", "-days", "30", "-common-name", "acme-genie-ca").want(t, 0)
	ca := readCert(t, "genie-agent-ca.pem")
	if ca.Subject.CommonName != "acme-genie-ca" {
		t.Fatalf("common name %q", ca.Subject.CommonName)
	}
	if days := ca.NotAfter.Sub(ca.NotBefore).Hours() / 24; days < 29.9 || days > 30.1 {
		t.Fatalf("valid %.1f days", days)
	}
	run(t, nil, "tls", "ca", "create", "-days", "0").want(t, 1)
}

func TestTLSCertCreateServerCertificate(t *testing.T) {
	inTempDirWithCA(t)
	r := run(t, nil, "tls", "cert", "create", "-server", "-region", "eu",
		"-additional-dnsname", "node1.example.com", "-additional-dnsname", "node1",
		"-additional-ipaddress", "10.0.0.5", "-days", "30").want(t, 0)
	if !strings.Contains(r.stdout, "eu-server-genie.pem") || !strings.Contains(r.stdout, "eu-server-genie-key.pem") {
		t.Fatalf("stdout:\n%s", r.stdout)
	}
	wantMode(t, "eu-server-genie-key.pem", 0o600)

	leaf := readCert(t, "eu-server-genie.pem")
	if want := []string{"server.eu.genie", "localhost", "node1.example.com", "node1"}; !slices.Equal(leaf.DNSNames, want) {
		t.Fatalf("DNS names %v, want %v", leaf.DNSNames, want)
	}
	if len(leaf.IPAddresses) != 2 || !leaf.IPAddresses[1].Equal(net.ParseIP("10.0.0.5")) {
		t.Fatalf("IPs %v", leaf.IPAddresses)
	}
	roots := x509.NewCertPool()
	roots.AddCert(readCert(t, "genie-agent-ca.pem"))
	for _, usage := range []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth} {
		if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{usage}}); err != nil {
			t.Fatal(err)
		}
	}

	// A node loads the files as they are.
	cfg := tlsutil.Config{CAFile: "genie-agent-ca.pem", CertFile: "eu-server-genie.pem", KeyFile: "eu-server-genie-key.pem", Region: "eu"}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}

	// Existing files are kept; the next number is used.
	r = run(t, nil, "tls", "cert", "create", "-server", "-region", "eu").want(t, 0)
	if !strings.Contains(r.stdout, "eu-server-genie-1.pem") || !strings.Contains(r.stdout, "eu-server-genie-1-key.pem") {
		t.Fatalf("stdout:\n%s", r.stdout)
	}
	if readCert(t, "eu-server-genie.pem").SerialNumber.Cmp(leaf.SerialNumber) != 0 {
		t.Fatal("first certificate overwritten")
	}
	readCert(t, "eu-server-genie-1.pem")
}

func TestTLSCertCreateClientCertificate(t *testing.T) {
	inTempDirWithCA(t)
	r := run(t, nil, "tls", "cert", "create", "-client").want(t, 0)
	if !strings.Contains(r.stdout, "global-client-genie.pem") {
		t.Fatalf("stdout:\n%s", r.stdout)
	}
	wantMode(t, "global-client-genie-key.pem", 0o600)
	leaf := readCert(t, "global-client-genie.pem")
	if !slices.Equal(leaf.DNSNames, []string{"client.global.genie"}) {
		t.Fatalf("DNS names %v", leaf.DNSNames)
	}
	if !slices.Equal(leaf.ExtKeyUsage, []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}) {
		t.Fatalf("key usage %v", leaf.ExtKeyUsage)
	}
}

func TestTLSCertCreateWithCAElsewhere(t *testing.T) {
	inTempDirWithCA(t)
	if err := os.Mkdir("ca", 0o700); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"genie-agent-ca.pem", "genie-agent-ca-key.pem"} {
		if err := os.Rename(f, filepath.Join("ca", f)); err != nil {
			t.Fatal(err)
		}
	}
	r := run(t, nil, "tls", "cert", "create", "-server").want(t, 1)
	if !strings.Contains(r.stderr, "genie tls ca create") {
		t.Fatalf("stderr:\n%s", r.stderr)
	}
	run(t, nil, "tls", "cert", "create", "-server",
		"-ca", filepath.Join("ca", "genie-agent-ca.pem"), "-key", filepath.Join("ca", "genie-agent-ca-key.pem")).want(t, 0)
	readCert(t, "global-server-genie.pem")
}

func TestTLSCertCreateRefusesBadOptions(t *testing.T) {
	inTempDirWithCA(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "exactly one of -server and -client"},
		{[]string{"-server", "-client"}, "exactly one of -server and -client"},
		{[]string{"-server", "-additional-ipaddress", "not-an-ip"}, `"not-an-ip" is not an IP address`},
		{[]string{"-server", "-region", "eu.west"}, "not a DNS label"},
		{[]string{"-server", "-days", "-3"}, "-days must be at least 1"},
		{[]string{"-server", "-key", "genie-agent-ca.pem"}, "CA key"},
		{[]string{"-server", "extra"}, "Usage: genie tls cert create"},
	} {
		r := run(t, nil, append([]string{"tls", "cert", "create"}, tc.args...)...)
		if r.code != 1 || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%v: code %d, stderr %q, want %q", tc.args, r.code, r.stderr, tc.want)
		}
	}
	entries, _ := os.ReadDir(".")
	if len(entries) != 2 {
		t.Fatalf("files written by refused runs: %v", entries)
	}
}
