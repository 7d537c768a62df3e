package tcp

import (
	"bufio"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"time"
)

// serve handles one incoming connection: the handshake, then frames until
// the peer disconnects, sends something invalid or leaves the configuration.
func (t *Transport) serve(c net.Conn) {
	remote := c.RemoteAddr().String()
	c.SetDeadline(time.Now().Add(t.cfg.DialTimeout))
	if tc, ok := c.(*tls.Conn); ok {
		if err := tc.HandshakeContext(t.ctx); err != nil {
			t.stats.badFrames.Add(1)
			t.log.Warn("tcp: TLS handshake failed", "remote", remote, "err", err)
			return
		}
	}
	br := bufio.NewReaderSize(c, 64<<10)
	id, err := readHello(br)
	if err != nil {
		t.stats.badFrames.Add(1)
		t.log.Warn("tcp: bad hello", "remote", remote, "err", err)
		return
	}
	if !t.allowed(id) {
		t.stats.refused.Add(1)
		t.log.Warn("tcp: refusing connection from a server outside the configuration", "server", id, "remote", remote)
		c.Write([]byte{helloRefused})
		return
	}
	if _, err := c.Write([]byte{helloAccepted}); err != nil {
		return
	}
	c.SetDeadline(time.Time{})
	log := t.log.With("from", id, "remote", remote)
	var buf []byte
	for {
		m, err := readFrame(br, &buf, t.cfg.MaxFrameSize)
		if err != nil {
			switch {
			case t.ctx.Err() != nil || errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed):
			case errors.Is(err, ErrFrameTooLarge):
				t.stats.tooLarge.Add(1)
				log.Error("tcp: closing connection", "err", err)
			case errors.Is(err, ErrBadFrame):
				t.stats.badFrames.Add(1)
				log.Error("tcp: closing connection", "err", err)
			default:
				log.Debug("tcp: connection lost", "err", err)
			}
			return
		}
		if cap(buf) > 1<<20 {
			buf = nil // do not pin a snapshot chunk's buffer
		}
		if m.From != id {
			t.stats.badFrames.Add(1)
			log.Error("tcp: closing connection: message claims another sender", "claimed", m.From)
			return
		}
		if !t.allowed(id) {
			t.stats.refused.Add(1)
			log.Warn("tcp: closing connection from a server that left the configuration")
			return
		}
		t.stats.received.Add(1)
		select {
		case t.inbound <- m:
		case <-t.ctx.Done():
			return
		}
	}
}
