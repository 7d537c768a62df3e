package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dwsdk/distributed/gen/nodeapi"
	"github.com/dwsdk/distributed/gen/replicawire"
	"github.com/dwsdk/distributed/runtime/crdt/replica"
	"github.com/dwsdk/distributed/runtime/crdt/replica/stream"
	"github.com/dwsdk/distributed/runtime/swim"
)

// swimLink is the replica engine's transport. Envelopes of at most
// threshold encoded bytes ride SWIM: fresh deltas as piggybacked user
// broadcasts, the rest as SWIM direct messages (one UDP packet). Larger ones
// (delta batches, full states) go over the TCP anti-entropy stream
// (replica/stream) to the peer's advertised stream address; a peer that
// advertises none (an older version) gets them as SWIM direct messages over
// SWIM's TCP streams. Each peer has its own SWIM send queue and goroutine,
// and the stream its own per-peer queue, so a slow peer never delays the
// engine or other peers.
type swimLink struct {
	log      *slog.Logger
	in       chan *replicawire.Envelope
	bcastMax int // the threshold

	stream  *stream.Transport // nil: everything rides SWIM
	severed func() bool       // fault injection: drop stream traffic

	mu     sync.Mutex
	node   *swim.Node
	queues map[string]chan []byte
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	dropped, decodeErrors, sendErrors atomic.Uint64
	streamed, streamDropped           atomic.Uint64
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
	if env.Size() > l.bcastMax {
		return false
	}
	b, err := env.MarshalBinary()
	if err != nil {
		return false
	}
	l.mu.Lock()
	n := l.node
	l.mu.Unlock()
	return n != nil && n.Broadcast("", b) == nil
}

// Send implements replica.Transport: a large env goes to the stream's queue
// for to, a small one to to's SWIM goroutine; it never blocks, and a full
// queue drops env (the engine resends).
func (l *swimLink) Send(to string, env *replicawire.Envelope) error {
	if l.stream != nil && env.Size() > l.bcastMax {
		if _, err := l.replicaAddr(to); err == nil {
			if l.severed() {
				return nil // cut off: the message is lost, as on the wire
			}
			err := l.stream.Send(to, env)
			if err != nil {
				l.streamDropped.Add(1)
			} else {
				l.streamed.Add(1)
			}
			return err
		}
	}
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

// useStream routes large envelopes over t; severed reports whether fault
// injection cut the node off.
func (l *swimLink) useStream(t *stream.Transport, severed func() bool) {
	l.stream, l.severed = t, severed
}

// replicaAddr returns the stream address the member name advertises in its
// SWIM metadata; it is the stream's resolver.
func (l *swimLink) replicaAddr(name string) (string, error) {
	l.mu.Lock()
	n := l.node
	l.mu.Unlock()
	if n == nil {
		return "", errors.New("dwnode: SWIM is not running")
	}
	m, ok := n.Member(name)
	if !ok {
		return "", fmt.Errorf("dwnode: %q is not a SWIM member", name)
	}
	var meta nodeapi.NodeMeta
	if err := meta.UnmarshalBinary(m.Meta); err != nil {
		return "", fmt.Errorf("dwnode: metadata of %q: %w", name, err)
	}
	if meta.ReplicaAddr == "" {
		return "", fmt.Errorf("dwnode: %q advertises no replication stream", name)
	}
	return meta.ReplicaAddr, nil
}

// pumpStream hands what the stream received to the engine, dropping it
// while the node is cut off, until the stream closes its channel.
func (l *swimLink) pumpStream(ctx context.Context) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case env, ok := <-l.stream.Inbound():
			if !ok {
				return nil
			}
			if l.severed() {
				continue
			}
			select {
			case l.in <- env:
			default:
				l.dropped.Add(1) // the engine resends what was lost
			}
		}
	}
}

// close stops every sender goroutine and waits for them.
func (l *swimLink) close() {
	l.cancel()
	l.wg.Wait()
}
