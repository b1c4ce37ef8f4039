package node

import (
	"net"
	"strings"
	"testing"
)

func TestAdvertiseAddrTakesAnIPOrASockaddrTemplate(t *testing.T) {
	cfg := DefaultConfig()
	cfg.AdvertiseAddr = `{{ GetAllInterfaces | include "network" "127.0.0.0/8" | attr "address" }}`
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if cfg.AdvertiseAddr != "127.0.0.1" {
		t.Fatalf("template gave %q", cfg.AdvertiseAddr)
	}
	for _, bad := range []string{"not-an-ip", `{{ GetAllInterfaces | include "network" "240.0.0.0/30" | attr "address" }}`, `{{ nope }}`} {
		cfg := DefaultConfig()
		cfg.AdvertiseAddr = bad
		if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "AdvertiseAddr") {
			t.Errorf("AdvertiseAddr %q: error %v, want one naming the field", bad, err)
		}
	}
}

func TestAdvertisedAddressOfAListener(t *testing.T) {
	cfg := DefaultConfig()
	if got, err := cfg.advertised("127.0.0.1:8300"); err != nil || got != "127.0.0.1:8300" {
		t.Fatalf("a specific bind address is advertised as is: %q, %v", got, err)
	}
	cfg.AdvertiseAddr = "10.1.2.3"
	if got, err := cfg.advertised("0.0.0.0:8300"); err != nil || got != "10.1.2.3:8300" {
		t.Fatalf("with AdvertiseAddr: %q, %v", got, err)
	}
	cfg.AdvertiseAddr = ""
	// Without one, an unspecified bind address advertises a private IP or
	// says clearly that there is none.
	got, err := cfg.advertised("0.0.0.0:8300")
	if err != nil {
		if !strings.Contains(err.Error(), "-advertise") {
			t.Fatalf("error %v does not say what to set", err)
		}
		return
	}
	host, _, _ := net.SplitHostPort(got)
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() || ip.IsLoopback() {
		t.Fatalf("advertised %q", got)
	}
}
