package main

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dwsdk/distributed/gen/replicawire"
	"github.com/dwsdk/distributed/runtime/crdt/replica"
	"github.com/dwsdk/distributed/runtime/swim"
)

// swimLink is the replica engine's transport over SWIM: fresh small deltas
// ride on SWIM's piggybacked user broadcasts; everything addressed to one
// peer goes as a SWIM direct message, in one UDP packet when it fits the MTU
// and over a TCP stream otherwise. Each peer has its own send queue and
// goroutine, so a slow stream never delays the engine or other peers.
type swimLink struct {
	log      *slog.Logger
	in       chan *replicawire.Envelope
	bcastMax int

	mu     sync.Mutex
	node   *swim.Node
	queues map[string]chan []byte
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	dropped, decodeErrors, sendErrors atomic.Uint64
}

var (
	_ replica.Transport   = (*swimLink)(nil)
	_ replica.Broadcaster = (*swimLink)(nil)
)

func newSwimLink(log *slog.Logger, broadcastMax int) *swimLink {
	ctx, cancel := context.WithCancel(context.Background())
	return &swimLink{log: log, in: make(chan *replicawire.Envelope, 4096), bcastMax: broadcastMax,
		queues: map[string]chan []byte{}, ctx: ctx, cancel: cancel}
}

// attach gives the link its SWIM node, created after the link because the
// node's OnMessage callback feeds the link.
func (l *swimLink) attach(n *swim.Node) {
	l.mu.Lock()
	l.node = n
	l.mu.Unlock()
}

// onMessage is SWIM's OnMessage callback: it runs under SWIM's lock, so it
// only decodes and queues.
func (l *swimLink) onMessage(m swim.Message) {
	env := new(replicawire.Envelope)
	if err := env.UnmarshalBinary(m.Payload); err != nil {
		l.decodeErrors.Add(1)
		l.log.Warn("dwnode: undecodable replication message", "from", m.From, "err", err)
		return
	}
	select {
	case l.in <- env:
	default:
		l.dropped.Add(1) // the engine resends what was lost
	}
}

// Inbound implements replica.Transport.
func (l *swimLink) Inbound() <-chan *replicawire.Envelope { return l.in }

// Broadcast implements replica.Broadcaster.
func (l *swimLink) Broadcast(env *replicawire.Envelope) bool {
	b, err := env.MarshalBinary()
	if err != nil || len(b) > l.bcastMax {
		return false
	}
	l.mu.Lock()
	n := l.node
	l.mu.Unlock()
	return n != nil && n.Broadcast("", b) == nil
}

// Send implements replica.Transport: it queues env for to's goroutine and
// never blocks; a full queue drops env (the engine resends).
func (l *swimLink) Send(to string, env *replicawire.Envelope) error {
	b, err := env.MarshalBinary()
	if err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.ctx.Err() != nil {
		return context.Canceled
	}
	q := l.queues[to]
	if q == nil {
		q = make(chan []byte, 256)
		l.queues[to] = q
		l.wg.Add(1)
		go l.sender(to, q)
	}
	select {
	case q <- b:
	default:
		l.dropped.Add(1)
	}
	return nil
}

// sender delivers one peer's queue in order.
func (l *swimLink) sender(to string, q chan []byte) {
	defer l.wg.Done()
	for {
		select {
		case <-l.ctx.Done():
			return
		case b := <-q:
			l.mu.Lock()
			n := l.node
			l.mu.Unlock()
			if n == nil {
				continue
			}
			ctx, cancel := context.WithTimeout(l.ctx, 5*time.Second)
			if err := n.SendTo(ctx, to, b); err != nil {
				l.sendErrors.Add(1)
				l.log.Debug("dwnode: replication send failed", "to", to, "err", err)
			}
			cancel()
		}
	}
}

// close stops every sender goroutine and waits for them.
func (l *swimLink) close() {
	l.cancel()
	l.wg.Wait()
}
