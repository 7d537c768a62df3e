package tcp

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"sync"
	"sync/atomic"

	"github.com/dwsdk/distributed/gen/raftwire"
	"github.com/dwsdk/distributed/runtime/internal/frame"
	"github.com/dwsdk/distributed/runtime/raft"
)

// Transport is a raft.Transport over TCP, optionally with mutual TLS. It
// keeps one outbound connection per peer address, fed by a bounded queue
// and a writer goroutine that writes everything queued with one flush, so
// appends pipeline; it reconnects with exponential backoff. Incoming
// connections are accepted only from servers in the configuration (see
// SetPeers). All methods are safe for concurrent use.
type Transport struct {
	cfg Config
	log *slog.Logger
	ln  net.Listener

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup // acceptor, readers and writers
	done   chan struct{}  // closed once everything has stopped

	inbound chan *raftwire.Message
	peers   atomic.Pointer[map[string]bool] // allowed server IDs; nil allows all

	// out holds the outbound peers by address, replaced (copy on write)
	// under mu when a peer is added: Send finds a known peer without a
	// lock, so heartbeats take none.
	out    atomic.Pointer[map[string]*peer]
	mu     sync.Mutex
	conns  frame.ConnSet // open incoming connections
	closed bool

	stats counters
}

// New listens on cfg.ListenAddr and starts accepting connections. The
// transport stops when ctx is cancelled or Close is called; Close also
// waits for its goroutines and closes the Inbound channel.
func New(ctx context.Context, cfg Config) (*Transport, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", cfg.ListenAddr)
	if err != nil {
		return nil, fmt.Errorf("tcp: listen on %s: %w", cfg.ListenAddr, err)
	}
	if cfg.TLS != nil {
		ln = tls.NewListener(ln, cfg.TLS)
	}
	t := &Transport{
		cfg:     cfg,
		log:     cfg.Logger.With("raft_tcp", cfg.ID),
		ln:      ln,
		inbound: make(chan *raftwire.Message, cfg.InboundQueue),
		done:    make(chan struct{}),
	}
	t.out.Store(&map[string]*peer{})
	t.ctx, t.cancel = context.WithCancel(ctx)
	t.wg.Add(1)
	go func() {
		defer t.wg.Done()
		frame.Accept(t.ctx, t.ln, &t.conns, &t.wg, t.log, "tcp", t.serve)
	}()
	go func() {
		<-t.ctx.Done()
		t.shutdown()
		t.wg.Wait()
		close(t.inbound) // no reader is left to deliver to it
		close(t.done)
	}()
	return t, nil
}

// LocalAddr returns the address the transport listens on.
func (t *Transport) LocalAddr() string { return t.ln.Addr().String() }

// Inbound returns the channel of received messages. It is closed by Close.
func (t *Transport) Inbound() <-chan *raftwire.Message { return t.inbound }

// MaxMessageSize returns MaxFrameSize, the largest encoded message Send
// accepts (raft.MessageLimiter): Raft refuses proposals that would not fit.
func (t *Transport) MaxMessageSize() int { return t.cfg.MaxFrameSize }

// SetPeers replaces the set of servers this transport talks to: messages to
// other servers are refused by Send, and connections from them are refused
// in the handshake (or closed, if open). Until SetPeers is first called, and
// whenever it is given no servers (a server that has not yet been
// bootstrapped or added to a cluster has no configuration), every server is
// accepted, so that a leader can reach a server it is adding.
//
// The writers towards addresses no server in a non-empty set has are
// stopped, so a cluster whose members come and go keeps no idle goroutine
// and queue per address it ever sent to.
func (t *Transport) SetPeers(servers []raftwire.Server) {
	if len(servers) == 0 {
		t.peers.Store(nil)
		return
	}
	m := make(map[string]bool, len(servers))
	addrs := make(map[string]bool, len(servers))
	for _, s := range servers {
		m[s.ID] = true
		addrs[s.Address] = true
	}
	t.peers.Store(&m)

	t.mu.Lock()
	defer t.mu.Unlock()
	out := maps.Clone(*t.out.Load())
	for addr, p := range out {
		if !addrs[addr] {
			p.stop()
			delete(out, addr)
		}
	}
	t.out.Store(&out)
}

// allowed reports whether the server id is in the configuration.
func (t *Transport) allowed(id string) bool {
	m := t.peers.Load()
	return m == nil || (*m)[id]
}

// Send queues m for the server at addr without blocking; see
// raft.Transport. It fails with raft.ErrUnknownPeer for a server outside
// the configuration, ErrFrameTooLarge for a message above MaxFrameSize,
// ErrQueueFull when the peer's queue is full and raft.ErrClosed after Close.
// A queued message may still be lost if the connection fails.
func (t *Transport) Send(addr string, m *raftwire.Message) error {
	if !t.allowed(m.To) {
		t.stats.refused.Add(1)
		return fmt.Errorf("tcp: send to %q at %s: %w", m.To, addr, raft.ErrUnknownPeer)
	}
	if n := m.Size(); n > t.cfg.MaxFrameSize {
		t.stats.tooLarge.Add(1)
		return fmt.Errorf("tcp: send to %q: %w: message of %d bytes, max %d", m.To, ErrFrameTooLarge, n, t.cfg.MaxFrameSize)
	}
	p, err := t.peer(addr)
	if err != nil {
		return err
	}
	if err := p.refusedErr(); err != nil {
		return err
	}
	select {
	case p.q <- m:
		return nil
	default:
		t.stats.dropped.Add(1)
		return fmt.Errorf("tcp: send to %q at %s: %w", m.To, addr, ErrQueueFull)
	}
}

// peer returns the outbound peer for addr, starting its writer if new. A
// known peer is found without a lock.
func (t *Transport) peer(addr string) (*peer, error) {
	if t.ctx.Err() != nil {
		return nil, raft.ErrClosed
	}
	if p := (*t.out.Load())[addr]; p != nil {
		return p, nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return nil, raft.ErrClosed
	}
	old := *t.out.Load()
	if p := old[addr]; p != nil {
		return p, nil
	}
	p := &peer{t: t, addr: addr, q: make(chan *raftwire.Message, t.cfg.SendQueue)}
	p.ctx, p.stop = context.WithCancel(t.ctx)
	m := maps.Clone(old)
	m[addr] = p
	t.out.Store(&m)
	t.wg.Add(1)
	go p.run()
	return p, nil
}

// Close stops accepting and sending, closes every connection, waits for the
// transport's goroutines and closes the Inbound channel. Messages still
// queued are dropped.
func (t *Transport) Close() error {
	t.cancel()
	<-t.done
	return nil
}

// shutdown runs once, when the context ends.
func (t *Transport) shutdown() {
	t.mu.Lock()
	t.closed = true
	t.mu.Unlock()
	t.conns.CloseAll()
	t.ln.Close()
}

var _ raft.Transport = (*Transport)(nil)
var _ raft.PeerFilter = (*Transport)(nil)
var _ raft.MessageLimiter = (*Transport)(nil)
