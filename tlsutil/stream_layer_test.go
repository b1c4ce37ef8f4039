package tlsutil

import (
	"crypto/tls"
	"errors"
	"net"
	"os"
	"testing"
	"time"

	"github.com/hashicorp/raft"
)

// newTLSTransport starts a raft transport over a TLS stream layer of c on
// a loopback port. handshakeTimeout replaces the default when not zero.
func newTLSTransport(t *testing.T, c *Configurator, handshakeTimeout time.Duration) *raft.NetworkTransport {
	t.Helper()
	layer, err := NewRaftStreamLayer("127.0.0.1:0", nil, c)
	if err != nil {
		t.Fatal(err)
	}
	if handshakeTimeout != 0 {
		layer.handshakeTimeout = handshakeTimeout
	}
	trans := raft.NewNetworkTransportWithLogger(layer, 2, 5*time.Second, testLogger(t).Named("raft-net"))
	t.Cleanup(func() { trans.Close() })
	return trans
}

// answerRPCs answers every AppendEntries and RequestVote trans receives,
// and passes each on to the returned channel.
func answerRPCs(t *testing.T, trans *raft.NetworkTransport) <-chan raft.RPC {
	got := make(chan raft.RPC, 16)
	done := make(chan struct{})
	t.Cleanup(func() { close(done) })
	go func() {
		for {
			select {
			case rpc := <-trans.Consumer():
				switch cmd := rpc.Command.(type) {
				case *raft.AppendEntriesRequest:
					rpc.Respond(&raft.AppendEntriesResponse{Term: cmd.Term, Success: true}, nil)
				case *raft.RequestVoteRequest:
					rpc.Respond(&raft.RequestVoteResponse{Term: cmd.Term, Granted: true}, nil)
				default:
					rpc.Respond(nil, errors.New("unexpected RPC"))
				}
				got <- rpc
			case <-done:
				return
			}
		}
	}()
	return got
}

func appendEntries(from, to raft.Transport) (*raft.AppendEntriesResponse, error) {
	req := &raft.AppendEntriesRequest{
		RPCHeader: raft.RPCHeader{ProtocolVersion: raft.ProtocolVersionMax, ID: []byte("a"), Addr: from.EncodePeer("a", from.LocalAddr())},
		Term:      7,
		Entries:   []*raft.Log{{Index: 1, Term: 7, Type: raft.LogCommand, Data: []byte("hello")}},
	}
	var resp raft.AppendEntriesResponse
	err := from.AppendEntries("b", to.LocalAddr(), req, &resp)
	return &resp, err
}

func TestRaftTransportsExchangeRPCsOverTLS(t *testing.T) {
	ca := NewTestCA(t)
	a := newTLSTransport(t, newConfigurator(t, ca.Config(t, serverCert)), 0)
	b := newTLSTransport(t, newConfigurator(t, ca.Config(t, serverCert)), 0)
	got := answerRPCs(t, b)

	resp, err := appendEntries(a, b)
	if err != nil {
		t.Fatal(err)
	}
	if !resp.Success || resp.Term != 7 {
		t.Fatalf("response %+v", resp)
	}
	rpc := <-got
	if req := rpc.Command.(*raft.AppendEntriesRequest); string(req.Entries[0].Data) != "hello" {
		t.Fatalf("request %+v", req)
	}

	var vote raft.RequestVoteResponse
	err = a.RequestVote("b", b.LocalAddr(), &raft.RequestVoteRequest{
		RPCHeader: raft.RPCHeader{ProtocolVersion: raft.ProtocolVersionMax, ID: []byte("a")},
		Term:      8,
	}, &vote)
	if err != nil || !vote.Granted || vote.Term != 8 {
		t.Fatalf("vote %+v, err %v", vote, err)
	}
}

// dialLayer is a raft stream layer that dials with any TLS config, as a
// peer with a bad certificate would.
type dialLayer struct {
	net.Listener
	cfg *tls.Config
}

func (l *dialLayer) Dial(address raft.ServerAddress, timeout time.Duration) (net.Conn, error) {
	return tls.DialWithDialer(&net.Dialer{Timeout: timeout}, "tcp", string(address), l.cfg)
}

func TestRaftStreamLayerDeliversNothingFromBadPeers(t *testing.T) {
	ca := NewTestCA(t)
	server := newConfigurator(t, ca.Config(t, serverCert))
	b := newTLSTransport(t, server, 0)

	for name, cert := range badPeers(t, ca) {
		t.Run(name, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			// The bad peer trusts b, so only b can refuse it.
			cfg := &tls.Config{RootCAs: poolOf(t, ca.CertPEM), ServerName: server.ServerName()}
			if cert != nil {
				cfg.Certificates = []tls.Certificate{*cert}
			}
			bad := raft.NewNetworkTransportWithLogger(&dialLayer{Listener: ln, cfg: cfg}, 1, 5*time.Second, testLogger(t))
			defer bad.Close()

			if _, err := appendEntries(bad, b); err == nil {
				t.Fatal("AppendEntries succeeded")
			}
			// Had b decoded the request, it would be waiting for an answer
			// here and the call above would have timed out, not failed.
			select {
			case rpc := <-b.Consumer():
				t.Fatalf("b received %T", rpc.Command)
			default:
			}
		})
	}
}

func TestSilentPeerDoesNotHoldUpOthers(t *testing.T) {
	ca := NewTestCA(t)
	a := newTLSTransport(t, newConfigurator(t, ca.Config(t, serverCert)), 0)
	b := newTLSTransport(t, newConfigurator(t, ca.Config(t, serverCert)), 2*time.Second)
	answerRPCs(t, b)

	// Connects and never starts a handshake.
	silent, err := net.Dial("tcp", string(b.LocalAddr()))
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()

	if _, err := appendEntries(a, b); err != nil {
		t.Fatalf("RPC behind a silent connection: %v", err)
	}
	// The RPC got through while b still waited for the silent peer's
	// handshake: accepting did not wait for it.
	silent.SetReadDeadline(time.Now().Add(time.Millisecond))
	if _, err := silent.Read(make([]byte, 1)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("silent connection already closed: %v", err)
	}

	// b gives up on the silent connection after its handshake timeout.
	silent.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, err = silent.Read(make([]byte, 1))
	if err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("silent connection not closed by b: %v", err)
	}
}

func TestRaftStreamLayerChecksAddresses(t *testing.T) {
	c := newConfigurator(t, NewTestCA(t).Config(t, serverCert))
	if _, err := NewRaftStreamLayer("0.0.0.0:0", nil, c); err == nil {
		t.Fatal("unspecified bind address accepted without an advertise address")
	}
	adv := &net.TCPAddr{IP: net.ParseIP("10.1.2.3"), Port: 8300}
	layer, err := NewRaftStreamLayer("127.0.0.1:0", adv, c)
	if err != nil {
		t.Fatal(err)
	}
	defer layer.Close()
	if layer.Addr().String() != "10.1.2.3:8300" {
		t.Fatalf("addr %s", layer.Addr())
	}
	if _, err := NewRaftStreamLayer("127.0.0.1:0", nil, nil); err == nil {
		t.Fatal("no configurator accepted")
	}
}
