package stream

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/dwsdk/distributed/runtime/internal/frame"
)

// peer is the outbound side towards one node: a bounded queue of encoded
// frames drained by one writer goroutine over one connection.
type peer struct {
	t    *Transport
	name string
	q    chan []byte
	idle *time.Timer // fires after Config.IdleTimeout with nothing to send
}

// errIdle ends a connection that had nothing to carry for IdleTimeout.
var errIdle = errors.New("stream: idle")

// run connects lazily, when a frame is waiting, writes until the
// connection fails, and reconnects with exponential backoff. Frames queued
// while no connection can be made are dropped and counted. After
// IdleTimeout with nothing to send it closes the connection and stops, so
// a peer that left for good keeps nothing alive here.
func (p *peer) run() {
	t := p.t
	defer t.wg.Done()
	p.idle = time.NewTimer(t.cfg.IdleTimeout)
	defer p.idle.Stop()
	backoff := t.cfg.ReconnectMin
	for {
		var b []byte
		p.idle.Reset(t.cfg.IdleTimeout)
		select {
		case b = <-p.q:
		case <-p.idle.C:
			if t.retire(p) {
				return
			}
			continue
		case <-t.ctx.Done():
			return
		}
		c, err := p.dial()
		if err != nil {
			if t.ctx.Err() != nil {
				return
			}
			t.stats.dialFailures.Add(1)
			n := 1 + p.drain()
			t.stats.dropped.Add(uint64(n))
			t.log.Debug("stream: connect failed", "peer", p.name, "err", err, "dropped", n, "retry_in", backoff)
			select {
			case <-time.After(backoff):
			case <-t.ctx.Done():
				return
			}
			backoff = min(2*backoff, t.cfg.ReconnectMax)
			continue
		}
		backoff = t.cfg.ReconnectMin
		err = p.pump(c, b)
		t.conns.Untrack(c)
		if t.ctx.Err() != nil {
			return
		}
		if errors.Is(err, errIdle) {
			if t.retire(p) {
				return
			}
			continue
		}
		t.log.Debug("stream: connection lost", "peer", p.name, "err", err)
	}
}

// drain discards what is queued and returns how many frames it dropped.
func (p *peer) drain() int {
	for n := 0; ; n++ {
		select {
		case <-p.q:
		default:
			return n
		}
	}
}

// dial resolves the peer's address, connects and performs the hello.
func (p *peer) dial() (net.Conn, error) {
	t := p.t
	t.stats.dials.Add(1)
	addr, err := t.cfg.Resolve(p.name)
	if err != nil {
		return nil, fmt.Errorf("stream: resolve %q: %w", p.name, err)
	}
	ctx, cancel := context.WithTimeout(t.ctx, t.cfg.DialTimeout)
	defer cancel()
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("stream: dial %q at %s: %w", p.name, addr, err)
	}
	if !t.conns.Track(c) {
		c.Close()
		return nil, ErrClosed
	}
	if dl, ok := ctx.Deadline(); ok {
		c.SetDeadline(dl)
	}
	var ans [1]byte
	if _, err = c.Write(frame.AppendHello(nil, helloMagic, t.cfg.ID)); err == nil {
		_, err = c.Read(ans[:])
	}
	if err == nil && ans[0] != frame.HelloAccepted {
		err = fmt.Errorf("%w: hello answer %d", ErrBadFrame, ans[0])
	}
	if err != nil {
		t.conns.Untrack(c)
		return nil, fmt.Errorf("stream: hello to %q at %s: %w", p.name, addr, err)
	}
	c.SetDeadline(time.Time{})
	return c, nil
}

// pump writes b and then everything queued, batching whatever is queued at
// the moment into one flush, until a write fails, nothing comes to send
// for IdleTimeout (errIdle) or the transport stops.
// The write deadline is armed before every frame, not only before the
// flush: a frame larger than the buffer goes to the connection inside
// Write, and after an idle spell the deadline of the last flush is long
// past.
func (p *peer) pump(c net.Conn, b []byte) error {
	t := p.t
	bw := bufio.NewWriterSize(c, 64<<10)
	for {
		for b != nil {
			c.SetWriteDeadline(time.Now().Add(t.cfg.WriteTimeout))
			if _, err := bw.Write(b); err != nil {
				return err
			}
			t.stats.sent.Add(1)
			select {
			case b = <-p.q:
			default:
				b = nil
			}
		}
		c.SetWriteDeadline(time.Now().Add(t.cfg.WriteTimeout))
		if err := bw.Flush(); err != nil {
			return err
		}
		t.stats.flushes.Add(1)
		p.idle.Reset(t.cfg.IdleTimeout)
		select {
		case b = <-p.q:
		case <-p.idle.C:
			return errIdle
		case <-t.ctx.Done():
			return t.ctx.Err()
		}
	}
}
