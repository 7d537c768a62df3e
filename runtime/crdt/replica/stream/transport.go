package stream

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/dwsdk/distributed/gen/replicawire"
	"github.com/dwsdk/distributed/runtime/crdt/replica"
	"github.com/dwsdk/distributed/runtime/internal/frame"
)

const helloMagic = "DWREPL1\n"

var (
	// ErrFrameTooLarge is matched by Send's error for an envelope above
	// MaxFrameSize (and logged for a peer announcing such a frame).
	ErrFrameTooLarge = frame.ErrTooLarge
	// ErrBadFrame is matched by errors about malformed hellos and frames.
	ErrBadFrame = frame.ErrMalformed
	// ErrQueueFull is returned by Send when the peer's queue is full; the
	// envelope is dropped and counted.
	ErrQueueFull = errors.New("stream: send queue full")
	// ErrClosed is returned by Send after Close.
	ErrClosed = errors.New("stream: transport closed")
)

// Transport implements replica.Transport over one persistent TCP connection
// per peer. All methods are safe for concurrent use.
type Transport struct {
	cfg Config
	log *slog.Logger
	ln  net.Listener

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup // acceptor, readers and writers
	done   chan struct{}  // closed once everything has stopped

	inbound chan *replicawire.Envelope

	mu     sync.Mutex
	out    map[string]*peer // by peer name
	conns  frame.ConnSet    // open connections
	closed bool

	stats counters
}

var _ replica.Transport = (*Transport)(nil)

// New listens on cfg.ListenAddr and starts accepting connections. The
// transport stops when ctx ends or Close is called.
func New(ctx context.Context, cfg Config) (*Transport, error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", c.ListenAddr)
	if err != nil {
		return nil, fmt.Errorf("stream: listen on %s: %w", c.ListenAddr, err)
	}
	t := &Transport{
		cfg:     c,
		log:     c.Logger.With("replica_stream", c.ID),
		ln:      ln,
		inbound: make(chan *replicawire.Envelope, c.InboundQueue),
		out:     make(map[string]*peer),
		done:    make(chan struct{}),
	}
	t.ctx, t.cancel = context.WithCancel(ctx)
	t.wg.Add(1)
	go func() {
		defer t.wg.Done()
		frame.Accept(t.ctx, t.ln, &t.conns, &t.wg, t.log, "stream", t.serve)
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

// Addr returns the address the transport listens on, to be advertised.
func (t *Transport) Addr() string { return t.ln.Addr().String() }

// Inbound implements replica.Transport. It is closed by Close.
func (t *Transport) Inbound() <-chan *replicawire.Envelope { return t.inbound }

// Send implements replica.Transport: it encodes env and queues it for the
// peer named to without blocking. It returns an error wrapping
// ErrFrameTooLarge for an envelope above MaxFrameSize, ErrQueueFull when
// the peer's queue is full (the envelope is dropped and counted) and
// ErrClosed after Close. A queued envelope may still be lost when the
// connection fails; the engine resends.
func (t *Transport) Send(to string, env *replicawire.Envelope) error {
	b, start := frame.Begin(make([]byte, 0, frame.HeaderLen+env.Size()))
	b, err := env.AppendBinary(b)
	if err != nil {
		return fmt.Errorf("stream: encode envelope for %q: %w", to, err)
	}
	if b, err = frame.Finish(b, start, t.cfg.MaxFrameSize); err != nil {
		t.stats.tooLarge.Add(1)
		return fmt.Errorf("stream: send to %q: %w", to, err)
	}
	return t.enqueue(to, b)
}

// enqueue queues frame b for the peer named to, starting its writer if
// there is none. It queues under t.mu, so a writer that retires (see
// retire) never leaves a frame behind in its queue.
func (t *Transport) enqueue(to string, b []byte) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return ErrClosed
	}
	p := t.out[to]
	if p == nil {
		p = &peer{t: t, name: to, q: make(chan []byte, t.cfg.SendQueue)}
		t.out[to] = p
		t.wg.Add(1)
		go p.run()
	}
	select {
	case p.q <- b:
		return nil
	default:
		t.stats.dropped.Add(1)
		return fmt.Errorf("stream: send to %q: %w", to, ErrQueueFull)
	}
}

// retire removes the idle writer p from the transport unless a frame was
// queued for it meanwhile, and reports whether it did; p's goroutine then
// stops, and the next Send to that peer starts a new writer.
func (t *Transport) retire(p *peer) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(p.q) > 0 {
		return false
	}
	if t.out[p.name] == p {
		delete(t.out, p.name)
	}
	return true
}

// Close stops accepting and sending, closes every connection, waits for
// the transport's goroutines and closes the Inbound channel. Queued
// envelopes are dropped.
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

// serve reads one incoming connection: the hello, then envelopes until the
// peer disconnects or sends something invalid, which closes this
// connection only.
func (t *Transport) serve(c net.Conn) {
	remote := c.RemoteAddr().String()
	c.SetDeadline(time.Now().Add(t.cfg.DialTimeout))
	br := bufio.NewReaderSize(c, 64<<10)
	id, err := frame.ReadHello(br, helloMagic)
	if err != nil {
		t.stats.badFrames.Add(1)
		t.log.Warn("stream: bad hello, closing connection", "remote", remote, "err", err)
		return
	}
	if _, err := c.Write([]byte{frame.HelloAccepted}); err != nil {
		return
	}
	c.SetDeadline(time.Time{})
	var buf []byte
	for {
		env, err := readEnvelope(br, &buf, t.cfg.MaxFrameSize, id)
		if err != nil {
			switch {
			case t.ctx.Err() != nil || errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed):
			case errors.Is(err, ErrFrameTooLarge):
				t.stats.tooLarge.Add(1)
				t.log.Error("stream: closing connection from peer", "peer", id, "remote", remote, "err", err)
			case errors.Is(err, ErrBadFrame):
				t.stats.badFrames.Add(1)
				t.log.Error("stream: closing connection from peer", "peer", id, "remote", remote, "err", err)
			default:
				t.log.Debug("stream: connection lost", "peer", id, "remote", remote, "err", err)
			}
			return
		}
		if cap(buf) > 1<<20 {
			buf = nil // do not pin a full state's buffer
		}
		t.stats.received.Add(1)
		select {
		case t.inbound <- env:
		case <-t.ctx.Done():
			return
		}
	}
}

// readEnvelope reads one frame and decodes its envelope, which must come
// from the peer that said hello as from.
func readEnvelope(br *bufio.Reader, buf *[]byte, max int, from string) (*replicawire.Envelope, error) {
	p, err := frame.Read(br, buf, max)
	if err != nil {
		return nil, err
	}
	env := new(replicawire.Envelope)
	if err := env.UnmarshalBinary(p); err != nil {
		return nil, fmt.Errorf("%w: decode envelope: %w", ErrBadFrame, err)
	}
	if env.From != from {
		return nil, fmt.Errorf("%w: envelope claims sender %q on %q's connection", ErrBadFrame, env.From, from)
	}
	return env, nil
}
