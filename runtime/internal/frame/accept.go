package frame

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"sync"
)

// ConnSet is the set of a transport's open connections, so that shutting
// down can close every one. The zero value is ready; safe for concurrent
// use.
type ConnSet struct {
	mu     sync.Mutex
	closed bool
	conns  map[net.Conn]struct{}
}

// Track adds c. It reports false, and adds nothing, once CloseAll has run:
// the caller then closes c itself.
func (s *ConnSet) Track(c net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	if s.conns == nil {
		s.conns = make(map[net.Conn]struct{})
	}
	s.conns[c] = struct{}{}
	return true
}

// Untrack removes c and closes it.
func (s *ConnSet) Untrack(c net.Conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
	c.Close()
}

// CloseAll closes every tracked connection; Track refuses any after it.
func (s *ConnSet) CloseAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	for c := range s.conns {
		c.Close()
	}
}

// Accept accepts connections on ln until ln is closed or ctx ends. Each
// connection is tracked in conns and handed to serve in its own goroutine,
// counted in wg, and untracked and closed when serve returns. An accept
// error other than the listener closing is logged under prefix and the
// loop goes on. Accept blocks; run it in a goroutine.
func Accept(ctx context.Context, ln net.Listener, conns *ConnSet, wg *sync.WaitGroup, log *slog.Logger, prefix string, serve func(net.Conn)) {
	for {
		c, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return
			}
			log.Warn(prefix+": accept", "err", err)
			continue
		}
		if !conns.Track(c) {
			c.Close()
			return
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer conns.Untrack(c)
			serve(c)
		}()
	}
}
