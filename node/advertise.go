package node

import (
	"fmt"
	"net"

	sockaddr "github.com/hashicorp/go-sockaddr"
)

// advertiseHost is the address peers reach this node at for a listener
// bound to bindHost: AdvertiseAddr when set, the bind address when it is a
// specific one, else the host's private IP, found the way memberlist finds
// it (a node in a container binds 0.0.0.0 and is reached at its own IP).
func (c *Config) advertiseHost(bindHost string) (string, error) {
	if c.AdvertiseAddr != "" {
		return c.AdvertiseAddr, nil
	}
	if ip := net.ParseIP(bindHost); ip != nil && !ip.IsUnspecified() {
		return bindHost, nil
	}
	ip, err := sockaddr.GetPrivateIP()
	if err != nil {
		return "", fmt.Errorf("find a private IP to advertise: %w", err)
	}
	if ip == "" {
		return "", fmt.Errorf("no private IP to advertise for %q: set AdvertiseAddr (-advertise)", bindHost)
	}
	return ip, nil
}

// advertised turns a listener's bind address into the address peers dial.
func (c *Config) advertised(bind string) (string, error) {
	host, port, err := net.SplitHostPort(bind)
	if err != nil {
		return "", err
	}
	adv, err := c.advertiseHost(host)
	if err != nil {
		return "", err
	}
	return net.JoinHostPort(adv, port), nil
}
