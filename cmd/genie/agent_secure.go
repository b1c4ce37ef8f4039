package main

import (
	"fmt"
	"net"
	"strings"

	"github.com/genie-cluster/genie/node"
)

// secure applies the rule that a node is secured unless told otherwise:
// outside -dev, a node with ACLs, TLS, gossip encryption or job isolation
// off refuses to start unless -insecure, which waives only what is not
// configured. -dev keeps to loopback and warns.
func (c *AgentCommand) secure(cfg *node.Config, insecure bool) bool {
	off := cfg.Insecurities()
	switch {
	case cfg.Dev:
		for _, addr := range []string{cfg.HTTPAddr, cfg.RaftAddr, cfg.GossipAddr} {
			if !loopback(addr) {
				c.UI.Error(fmt.Sprintf("-dev serves loopback only, not %s: run a secured node (or -insecure) to listen elsewhere", addr))
				return false
			}
		}
		if len(off) > 0 {
			c.UI.Warn("-dev: a development node for this machine only; off: " + strings.Join(off, "; "))
		}
	case len(off) == 0:
	case !insecure:
		c.UI.Error("refusing to start a node that is not secured. Off:\n  - " + strings.Join(off, "\n  - ") +
			"\nConfigure them, or pass -insecure to run without them (whatever is configured is still enforced).")
		return false
	default:
		c.UI.Warn("-insecure: running without " + strings.Join(off, "; "))
	}
	return true
}

// loopback reports whether host:port binds a loopback address.
func loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
