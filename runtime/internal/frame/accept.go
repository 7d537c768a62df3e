package frame

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"sync"
	"time"
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
// error other than the listener closing (too many open files, ...) is
// logged under prefix and retried after a pause that doubles from 5 ms to
// 1 s and starts over after the next success, as net/http's server does:
// a lasting error neither spins a CPU nor floods the log. Accept blocks;
// run it in a goroutine.
func Accept(ctx context.Context, ln net.Listener, conns *ConnSet, wg *sync.WaitGroup, log *slog.Logger, prefix string, serve func(net.Conn)) {
	var pause time.Duration
	for {
		c, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return
			}
			pause = nextAcceptPause(pause)
			log.Warn(prefix+": accept", "err", err, "retry_in", pause)
			acceptWait(ctx, pause)
			continue
		}
		pause = 0
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

// nextAcceptPause returns the pause after an accept error that followed a
// pause of prev (0 after a success).
func nextAcceptPause(prev time.Duration) time.Duration {
	const first, most = 5 * time.Millisecond, time.Second
	if prev == 0 {
		return first
	}
	return min(2*prev, most)
}

// acceptWait pauses Accept for d or until ctx ends. Tests replace it.
var acceptWait = func(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
