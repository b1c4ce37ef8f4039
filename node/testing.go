package node

import (
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
)

// TestConfig returns a configuration for a node in dataDir listening on
// free loopback ports, logging to t, with a short kill grace so tests of
// kills finish quickly.
func TestConfig(t testing.TB, dataDir string) *Config {
	cfg := DefaultConfig()
	cfg.NodeName = "test-" + t.Name()
	cfg.DataDir = dataDir
	cfg.HTTPAddr = "127.0.0.1:0"
	cfg.RaftAddr = "127.0.0.1:0"
	cfg.GossipAddr = freeLoopbackAddr(t)
	cfg.GossipPreset = "local"
	cfg.BootstrapExpect = 1
	cfg.KillGrace = 2 * time.Second
	cfg.Logger = TestLogger(t)
	return cfg
}

// MakeNode starts a node with TestConfig in a fresh temporary data dir
// (changed by mutate, when given), waits until it is ready and shuts it down
// when the test ends.
func MakeNode(t testing.TB, mutate func(*Config)) *Node {
	t.Helper()
	cfg := TestConfig(t, t.TempDir())
	if mutate != nil {
		mutate(cfg)
	}
	return StartNode(t, cfg)
}

// StartNode starts a node with cfg, waits until it is ready and shuts it
// down when the test ends.
func StartNode(t testing.TB, cfg *Config) *Node {
	t.Helper()
	n, err := New(cfg)
	if err != nil {
		t.Fatalf("start node: %v", err)
	}
	t.Cleanup(func() { n.Shutdown() })
	select {
	case <-n.Ready():
	case <-time.After(30 * time.Second):
		t.Fatalf("node %s not ready after 30s", cfg.NodeName)
	}
	return n
}

// TestLogger logs to t until the test ends, then discards: nodes' goroutines
// may outlive a test by a moment, and logging to a finished test panics.
func TestLogger(t testing.TB) hclog.Logger {
	w := &testWriter{t: t}
	t.Cleanup(w.close)
	return hclog.New(&hclog.LoggerOptions{Name: "genie", Level: hclog.Debug, Output: w})
}

type testWriter struct {
	mu     sync.Mutex
	t      testing.TB
	closed bool
}

func (w *testWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.closed {
		w.t.Log(strings.TrimSuffix(string(p), "\n"))
	}
	return len(p), nil
}

func (w *testWriter) close() {
	w.mu.Lock()
	w.closed = true
	w.mu.Unlock()
}

// freeLoopbackAddr returns a loopback host:port free for both TCP and UDP
// now (memberlist binds both on one port, so port 0 cannot be used).
func freeLoopbackAddr(t testing.TB) string {
	t.Helper()
	for i := 0; i < 50; i++ {
		tcp, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("free port: %v", err)
		}
		addr := tcp.Addr().String()
		udp, err := net.ListenPacket("udp", addr)
		tcp.Close()
		if err == nil {
			udp.Close()
			return addr
		}
	}
	t.Fatal("no free loopback port for TCP and UDP")
	return ""
}
