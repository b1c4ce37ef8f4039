package tlsutil

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDefaultConfigIsDisabledAndValid(t *testing.T) {
	cfg := DefaultConfig()
	if cfg.Enabled() {
		t.Fatal("enabled")
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if cfg.Region != "global" || ServerName(cfg.Region) != "server.global.genie" || ClientName("eu") != "client.eu.genie" {
		t.Fatalf("region %q", cfg.Region)
	}
	if _, err := NewConfigurator(cfg, nil); err == nil {
		t.Fatal("configurator built without files")
	}
}

func TestValidateNamesTheFieldAtFault(t *testing.T) {
	ca, other := NewTestCA(t), NewTestCA(t)
	good := ca.Config(t, serverCert)
	if !good.Enabled() {
		t.Fatal("not enabled")
	}
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(name, data string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	otherCert, otherKey := other.Cert(t, serverCert)
	expiredCert, expiredKey := ca.Cert(t, expired(serverCert))

	for name, tc := range map[string]struct {
		mutate func(*Config)
		want   string
	}{
		"CA alone":       {func(c *Config) { c.CertFile, c.KeyFile = "", "" }, "CertFile, KeyFile: must be given"},
		"no CA":          {func(c *Config) { c.CAFile = "" }, "CAFile: must be given"},
		"missing CA":     {func(c *Config) { c.CAFile = filepath.Join(dir, "nope.pem") }, "CAFile: open"},
		"CA not PEM":     {func(c *Config) { c.CAFile = write("ca.txt", "hello") }, "CAFile: "},
		"cert not PEM":   {func(c *Config) { c.CertFile = write("cert.txt", "hello") }, "CertFile: "},
		"missing key":    {func(c *Config) { c.KeyFile = filepath.Join(dir, "nope-key.pem") }, "KeyFile: open"},
		"key of another": {func(c *Config) { c.KeyFile = write("other-key.pem", otherKey) }, "KeyFile: "},
		"other CA": {func(c *Config) {
			c.CertFile, c.KeyFile = write("o.pem", otherCert), write("o-key.pem", otherKey)
		}, "CertFile: "},
		"expired": {func(c *Config) {
			c.CertFile, c.KeyFile = write("e.pem", expiredCert), write("e-key.pem", expiredKey)
		}, "expired"},
		"bad region":   {func(c *Config) { c.Region = "eu.west" }, "Region: "},
		"empty region": {func(c *Config) { c.Region = "" }, "Region: "},
	} {
		cfg := good
		tc.mutate(&cfg)
		err := cfg.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", name, err, tc.want)
			continue
		}
		if cfg.Enabled() {
			if _, err := NewConfigurator(cfg, nil); err == nil {
				t.Errorf("%s: configurator built", name)
			}
		}
	}
}
