package tcp

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"sync/atomic"
	"time"

	"github.com/dwsdk/distributed/gen/raftwire"
	"github.com/dwsdk/distributed/runtime/raft"
)

// peer is the outbound side towards one address: a bounded queue drained by
// one writer goroutine over one connection.
type peer struct {
	t    *Transport
	addr string
	q    chan *raftwire.Message
	// ctx ends with the transport or when SetPeers drops the address
	// (stop); the writer then returns.
	ctx  context.Context
	stop context.CancelFunc
	// refusedUntil (unix nanoseconds) is set when the peer refuses our
	// hello: until then Send fails fast with raft.ErrUnknownPeer; after it
	// the next message tries again, in case the peer's configuration
	// changed.
	refusedUntil atomic.Int64
}

func (p *peer) refusedErr() error {
	if time.Now().UnixNano() < p.refusedUntil.Load() {
		return fmt.Errorf("tcp: %s refused this server: %w", p.addr, raft.ErrUnknownPeer)
	}
	return nil
}

// run connects lazily, when a message is waiting, writes until the
// connection fails, and reconnects with exponential backoff. Messages queued
// while no connection can be made are dropped: Raft retransmits.
func (p *peer) run() {
	t := p.t
	defer t.wg.Done()
	backoff := t.cfg.ReconnectMin
	for {
		var m *raftwire.Message
		select {
		case m = <-p.q:
		case <-p.ctx.Done():
			return
		}
		c, err := p.dial(backoff)
		if err != nil {
			if p.ctx.Err() != nil {
				return
			}
			t.stats.dialFailures.Add(1)
			n := 1 + p.drain()
			t.stats.dropped.Add(uint64(n))
			t.log.Debug("tcp: connect failed", "addr", p.addr, "err", err, "dropped", n, "retry_in", backoff)
			select {
			case <-time.After(backoff):
			case <-p.ctx.Done():
				return
			}
			backoff = min(2*backoff, t.cfg.ReconnectMax)
			continue
		}
		backoff = t.cfg.ReconnectMin
		err = p.pump(c, m)
		c.Close()
		if p.ctx.Err() != nil {
			return
		}
		t.log.Debug("tcp: connection lost", "addr", p.addr, "err", err)
	}
}

// drain discards what is queued and returns how many messages it dropped.
func (p *peer) drain() int {
	for n := 0; ; n++ {
		select {
		case <-p.q:
		default:
			return n
		}
	}
}

// dial connects (with TLS if configured) and performs the hello.
func (p *peer) dial(backoff time.Duration) (net.Conn, error) {
	t := p.t
	t.stats.dials.Add(1)
	ctx, cancel := context.WithTimeout(p.ctx, t.cfg.DialTimeout)
	defer cancel()
	var c net.Conn
	var err error
	if t.cfg.TLS != nil {
		d := tls.Dialer{Config: t.cfg.TLS}
		c, err = d.DialContext(ctx, "tcp", p.addr)
	} else {
		var d net.Dialer
		c, err = d.DialContext(ctx, "tcp", p.addr)
	}
	if err != nil {
		return nil, fmt.Errorf("tcp: dial %s: %w", p.addr, err)
	}
	if dl, ok := ctx.Deadline(); ok {
		c.SetDeadline(dl)
	}
	if _, err := c.Write(appendHello(nil, t.cfg.ID)); err != nil {
		c.Close()
		return nil, fmt.Errorf("tcp: hello to %s: %w", p.addr, err)
	}
	var ans [1]byte
	if _, err := c.Read(ans[:]); err != nil {
		c.Close()
		return nil, fmt.Errorf("tcp: hello answer from %s: %w", p.addr, err)
	}
	if ans[0] != helloAccepted {
		c.Close()
		p.refusedUntil.Store(time.Now().Add(backoff).UnixNano())
		t.stats.refused.Add(1)
		t.log.Warn("tcp: peer refused this server (not in its configuration)", "addr", p.addr)
		return nil, fmt.Errorf("tcp: %s refused this server: %w", p.addr, raft.ErrUnknownPeer)
	}
	p.refusedUntil.Store(0)
	c.SetDeadline(time.Time{})
	return c, nil
}

// pump writes m and then everything queued, batching whatever is queued at
// the moment into one flush, until a write fails or the transport stops.
func (p *peer) pump(c net.Conn, m *raftwire.Message) error {
	t := p.t
	bw := bufio.NewWriterSize(c, 64<<10)
	var buf []byte
	for {
		for m != nil {
			var err error
			if buf, err = appendFrame(buf[:0], m, t.cfg.MaxFrameSize); err != nil {
				// Send checked the size, so this is an encoder failure.
				t.stats.dropped.Add(1)
				t.log.Error("tcp: dropping message", "to", m.To, "err", err)
			} else if err := p.write(c, bw, buf); err != nil {
				return err
			} else {
				t.stats.sent.Add(1)
			}
			select {
			case m = <-p.q:
			default:
				m = nil
			}
		}
		c.SetWriteDeadline(time.Now().Add(t.cfg.WriteTimeout))
		if err := bw.Flush(); err != nil {
			return err
		}
		t.stats.flushes.Add(1)
		if cap(buf) > 1<<20 {
			buf = nil // do not pin a snapshot chunk's buffer
		}
		select {
		case m = <-p.q:
		case <-p.ctx.Done():
			return p.ctx.Err()
		}
	}
}

// write buffers one frame. When it does not fit in the buffer, bufio
// writes to the connection at once: give that write its own deadline, as
// the one left by the last flush may have long expired on an idle
// connection.
func (p *peer) write(c net.Conn, bw *bufio.Writer, frame []byte) error {
	if len(frame) > bw.Available() {
		c.SetWriteDeadline(time.Now().Add(p.t.cfg.WriteTimeout))
	}
	_, err := bw.Write(frame)
	return err
}
