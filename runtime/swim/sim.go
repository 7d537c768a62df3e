package swim

import (
	"container/heap"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"time"
)

// Sim is an in-memory network with a virtual clock: a deterministic event
// queue that delivers packets and fires timers for any number of Nodes on
// the caller's goroutine, with packet loss, delay, partitions, silent
// crashes and stalls. Given the same seed and the same calls, a run is
// identical every time. A Sim is not safe for concurrent use, and its
// Nodes must only be driven through it (Join through Sim.Join).
type Sim struct {
	// Loss is the probability that a packet is dropped.
	Loss float64
	// MinDelay and MaxDelay bound the uniformly random one-way latency.
	MinDelay, MaxDelay time.Duration

	rng    *rand.Rand
	now    int64
	seq    uint64
	events eventHeap
	eps    map[string]*simEndpoint
	names  *names
	nodes  []*Node

	// Delivered and Dropped count packets; MaxPacket is the largest sent.
	Delivered, Dropped uint64
	MaxPacket          int
}

// simEpoch is the virtual time a Sim starts at.
var simEpoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// NewSim returns an empty simulated network seeded with seed.
func NewSim(seed uint64) *Sim {
	return &Sim{
		MinDelay: 200 * time.Microsecond, MaxDelay: 2 * time.Millisecond,
		rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), now: simEpoch.UnixNano(),
		eps: map[string]*simEndpoint{}, names: newNames(),
	}
}

// Now returns the virtual time.
func (s *Sim) Now() time.Time { return time.Unix(0, s.now).UTC() }

// AddNode creates a Node on the simulated network at a fresh address.
// Transport, Clock, Rand are set by the Sim; a nil Logger discards.
func (s *Sim) AddNode(cfg Config) (*Node, error) { return s.addNode(cfg, true) }

// addNode is AddNode; with sharedNames false the node interns names in a
// table of its own, as outside a Sim, and releases them (see releaseName).
func (s *Sim) addNode(cfg Config, sharedNames bool) (*Node, error) {
	return s.addNodeAt(cfg, sharedNames, fmt.Sprintf("10.%d.%d.%d:7946", len(s.eps)>>16&255, len(s.eps)>>8&255, len(s.eps)&255))
}

// restart starts a new process (cfg) at the address of old, which was
// killed: a member restarted in place, or another taking its address.
func (s *Sim) restart(old *Node, cfg Config) (*Node, error) {
	ep := old.tr.(*simEndpoint)
	if !ep.dead {
		return nil, fmt.Errorf("swim: sim: restart at %s: %s was not killed", ep.addr, old.cfg.Name)
	}
	return s.addNodeAt(cfg, true, ep.addr)
}

func (s *Sim) addNodeAt(cfg Config, sharedNames bool, addr string) (*Node, error) {
	ep := &simEndpoint{sim: s, addr: addr}
	s.eps[ep.addr] = ep
	cfg.Transport, cfg.Clock = ep, ep
	if sharedNames {
		cfg.names = s.names
	}
	cfg.Rand = rand.NewPCG(s.rng.Uint64(), s.rng.Uint64())
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	n, err := Create(cfg)
	if err != nil {
		return nil, err
	}
	ep.node = n
	s.nodes = append(s.nodes, n)
	return n, nil
}

// Bootstrap makes every live node know every other one as alive, as if a
// push-pull with each had completed, without generating gossip: a quick
// start for large simulations.
func (s *Sim) Bootstrap(nodes ...*Node) {
	for _, n := range nodes {
		n.mu.Lock()
		for _, o := range nodes {
			if o == n {
				continue
			}
			self := o.members[o.index[o.self]]
			n.aliveNodeInfo(o.self, self.info, self.inc)
		}
		n.mu.Unlock()
	}
}

// Join has n push-pull with the seeds, like Node.Join, without blocking;
// run the Sim to complete it.
func (s *Sim) Join(n *Node, seeds ...string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, seed := range seeds {
		n.pushPull(seed, true, nil)
	}
}

// Kill crashes n silently: it stops sending and receiving, and its timers
// never fire.
func (s *Sim) Kill(n *Node) { n.tr.(*simEndpoint).dead = true }

// Stall makes n a slow member for d: everything it receives waits until
// the stall ends, while its own timers keep firing, the way a CPU-starved
// or overloaded process reads its socket late (Lifeguard's "slow message
// processing" fault). Packets that queued up are then handled in order.
func (s *Sim) Stall(n *Node, d time.Duration) {
	ep := n.tr.(*simEndpoint)
	ep.stalledUntil = max(ep.stalledUntil, s.now+int64(d))
}

// Partition puts nodes in numbered groups: packets and streams between
// different groups are dropped. Group 0 is the default for unlisted nodes.
func (s *Sim) Partition(group int, nodes ...*Node) {
	for _, n := range nodes {
		n.tr.(*simEndpoint).group = group
	}
}

// freeze pauses n entirely for d, timers included, as a long garbage
// collection pause, a suspended VM or a SIGSTOP does: what was due
// meanwhile runs when it ends, overdue timers first.
func (s *Sim) freeze(n *Node, d time.Duration) {
	ep := n.tr.(*simEndpoint)
	ep.frozenUntil = max(ep.frozenUntil, s.now+int64(d))
}

// deafen makes n receive nothing while it can still send packets, a
// one-way network fault (a firewall rule, a broken receive path): packets
// to it and streams to or from it (whose replies could not reach it)
// fail.
func (s *Sim) deafen(n *Node) { n.tr.(*simEndpoint).deaf = true }

// Heal removes all partitions.
func (s *Sim) Heal() {
	for _, ep := range s.eps {
		ep.group = 0
	}
}

// Run processes events for d of virtual time.
func (s *Sim) Run(d time.Duration) { s.RunUntil(d, nil) }

// RunUntil processes events until done reports true (checked every virtual
// millisecond) or d of virtual time passed; it reports whether done did.
func (s *Sim) RunUntil(d time.Duration, done func() bool) bool {
	end := s.now + int64(d)
	nextCheck := s.now
	for len(s.events) > 0 && s.events[0].at <= end {
		ev := heap.Pop(&s.events).(*simEvent)
		if ev.cancelled {
			continue
		}
		if ev.ep.dead {
			if ev.onDead != nil {
				ev.onDead(ev.at)
			}
			continue
		}
		// A frozen endpoint runs nothing, a stalled one no packets: wait.
		resume := ev.ep.frozenUntil
		if ev.class == classPacket {
			resume = max(resume, ev.ep.stalledUntil)
		}
		if resume > ev.at {
			ev.at = resume
			heap.Push(&s.events, ev)
			continue
		}
		s.now = ev.at
		if done != nil && s.now >= nextCheck {
			if done() {
				return true
			}
			nextCheck = s.now + int64(time.Millisecond)
		}
		ev.fired = true
		ev.fn()
	}
	s.now = max(s.now, end)
	return done != nil && done()
}

func (s *Sim) delay() int64 {
	lo, hi := int64(s.MinDelay), int64(s.MaxDelay)
	if hi <= lo {
		return lo
	}
	return lo + s.rng.Int64N(hi-lo)
}

const (
	classTimer  = 0 // after a stall, overdue timers run first
	classPacket = 1
)

func (s *Sim) schedule(ep *simEndpoint, at int64, class uint8, fn func()) *simEvent {
	s.seq++
	ev := &simEvent{at: at, due: at, class: class, seq: s.seq, ep: ep, fn: fn}
	heap.Push(&s.events, ev)
	return ev
}

type simEvent struct {
	at        int64
	due       int64 // when it was first due; at moves on a stall
	class     uint8
	seq       uint64
	ep        *simEndpoint
	fn        func()
	onDead    func(at int64) // instead of fn when ep was killed meanwhile
	cancelled bool
	fired     bool
}

type eventHeap []*simEvent

func (h eventHeap) Len() int { return len(h) }
func (h eventHeap) Less(i, j int) bool {
	a, b := h[i], h[j]
	if a.at != b.at {
		return a.at < b.at
	}
	if a.class != b.class {
		return a.class < b.class
	}
	if a.due != b.due {
		return a.due < b.due // overdue after a stall: in the order they were due
	}
	return a.seq < b.seq
}
func (h eventHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *eventHeap) Push(x any)   { *h = append(*h, x.(*simEvent)) }
func (h *eventHeap) Pop() any {
	old := *h
	ev := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return ev
}

// simEndpoint is one Node's Transport and Clock in a Sim.
type simEndpoint struct {
	sim          *Sim
	addr         string
	node         *Node
	h            Handler
	dead         bool
	closed       bool
	stalledUntil int64
	group        int
	deaf         bool // receives nothing but can send: see deafen
	frozenUntil  int64
}

var errSimUnreachable = errors.New("swim: sim: unreachable")

func (e *simEndpoint) Start(h Handler) error { e.h = h; return nil }
func (e *simEndpoint) LocalAddr() string     { return e.addr }
func (e *simEndpoint) Close() error          { e.closed = true; return nil }
func (e *simEndpoint) Now() time.Time        { return time.Unix(0, e.sim.now).UTC() }

func (e *simEndpoint) AfterFunc(d time.Duration, f func()) Timer {
	return simTimer{e.sim.schedule(e, e.sim.now+int64(max(d, 0)), classTimer, f)}
}

type simTimer struct{ ev *simEvent }

func (t simTimer) Stop() bool {
	was := !t.ev.cancelled && !t.ev.fired
	t.ev.cancelled = true
	return was
}

// reachable reports whether a packet from e to addr gets through.
func (e *simEndpoint) reachable(addr string) (*simEndpoint, bool) {
	to := e.sim.eps[addr]
	if to == nil || to.dead || to.closed || e.dead || to.group != e.group {
		return to, false
	}
	return to, true
}

func (e *simEndpoint) SendPacket(addr string, b []byte) error {
	s := e.sim
	s.MaxPacket = max(s.MaxPacket, len(b))
	to, ok := e.reachable(addr)
	if !ok || to.deaf || (s.Loss > 0 && s.rng.Float64() < s.Loss) {
		s.Dropped++
		return nil
	}
	s.Delivered++
	from := e.addr
	s.schedule(to, s.now+s.delay(), classPacket, func() {
		if !to.closed {
			to.h.HandlePacket(from, b)
		}
	})
	return nil
}

func (e *simEndpoint) Request(addr string, req []byte, timeout time.Duration, done func([]byte, error)) {
	s := e.sim
	to, ok := e.reachable(addr)
	if !ok || to.deaf || e.deaf {
		s.schedule(e, s.now+int64(timeout), classPacket, func() { done(nil, fmt.Errorf("%w: %s", errSimUnreachable, addr)) })
		return
	}
	from, sent := e.addr, s.now
	ev := s.schedule(to, s.now+s.delay(), classPacket, func() {
		if to.closed {
			s.schedule(e, s.now+s.delay(), classPacket, func() { done(nil, ErrTransportClosed) })
			return
		}
		reply, err := to.h.HandleRequest(from, req)
		s.schedule(e, s.now+s.delay(), classPacket, func() { done(reply, err) })
	})
	// Killed before the request reached it: done still runs, exactly once
	// (the Transport contract), when the stream times out.
	ev.onDead = func(at int64) {
		s.schedule(e, max(sent+int64(timeout), at), classPacket, func() { done(nil, fmt.Errorf("%w: %s", errSimUnreachable, addr)) })
	}
}
