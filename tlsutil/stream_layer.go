package tlsutil

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"sync"
	"time"

	"github.com/hashicorp/raft"
)

// raftHandshakeTimeout bounds an incoming raft handshake, so a peer that
// connects and says nothing does not hold a connection forever.
const raftHandshakeTimeout = 10 * time.Second

// RaftStreamLayer is a raft.StreamLayer over mutual TLS: it accepts with
// IncomingRaft and dials with OutgoingRaft. Hand it to
// raft.NewNetworkTransportWithLogger.
type RaftStreamLayer struct {
	listener         net.Listener
	advertise        net.Addr
	c                *Configurator
	handshakeTimeout time.Duration
}

var _ raft.StreamLayer = (*RaftStreamLayer)(nil)

// NewRaftStreamLayer listens on bindAddr. advertise, when not nil, is the
// address peers reach this node at; it must not be an unspecified IP, nor
// may the bound address be when advertise is nil.
func NewRaftStreamLayer(bindAddr string, advertise net.Addr, c *Configurator) (*RaftStreamLayer, error) {
	if c == nil {
		return nil, errors.New("raft stream layer: no TLS configurator")
	}
	l, err := net.Listen("tcp", bindAddr)
	if err != nil {
		return nil, err
	}
	s := &RaftStreamLayer{listener: l, advertise: advertise, c: c, handshakeTimeout: raftHandshakeTimeout}
	addr, ok := s.Addr().(*net.TCPAddr)
	if !ok {
		l.Close()
		return nil, errors.New("raft stream layer: advertise address is not a TCP address")
	}
	if addr.IP == nil || addr.IP.IsUnspecified() {
		l.Close()
		return nil, errors.New("raft stream layer: address is not advertisable")
	}
	return s, nil
}

// Accept returns the next connection without handshaking: the handshake
// runs on the connection's first read or write, in raft's goroutine for that
// connection, so a slow or hostile peer never holds up the accept loop. No
// byte reaches raft before the handshake, peer checks included, succeeded.
func (s *RaftStreamLayer) Accept() (net.Conn, error) {
	conn, err := s.listener.Accept()
	if err != nil {
		return nil, err
	}
	return &serverConn{Conn: tls.Server(conn, s.c.IncomingRaft()), timeout: s.handshakeTimeout}, nil
}

// Dial connects to a peer and completes the handshake within timeout, so a
// refused certificate is the dial's error.
func (s *RaftStreamLayer) Dial(address raft.ServerAddress, timeout time.Duration) (net.Conn, error) {
	ctx := context.Background()
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	d := &tls.Dialer{NetDialer: &net.Dialer{}, Config: s.c.OutgoingRaft()}
	return d.DialContext(ctx, "tcp", string(address))
}

// Close stops listening.
func (s *RaftStreamLayer) Close() error {
	return s.listener.Close()
}

// Addr is the advertised address, or the bound one.
func (s *RaftStreamLayer) Addr() net.Addr {
	if s.advertise != nil {
		return s.advertise
	}
	return s.listener.Addr()
}

// serverConn handshakes, within timeout, before its first read or write.
type serverConn struct {
	*tls.Conn
	timeout time.Duration

	once sync.Once
	err  error
}

func (c *serverConn) handshake() error {
	c.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
		defer cancel()
		// On timeout HandshakeContext closes the connection.
		c.err = c.Conn.HandshakeContext(ctx)
	})
	return c.err
}

func (c *serverConn) Read(b []byte) (int, error) {
	if err := c.handshake(); err != nil {
		return 0, err
	}
	return c.Conn.Read(b)
}

func (c *serverConn) Write(b []byte) (int, error) {
	if err := c.handshake(); err != nil {
		return 0, err
	}
	return c.Conn.Write(b)
}
