package raft

import (
	"container/heap"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dwsdk/distributed/gen/raftwire"
)

// Faults configures the in-memory network's misbehaviour. Probabilities are
// per message, drawn from the network's seeded generator.
type Faults struct {
	// Loss is the probability a message is dropped.
	Loss float64
	// Duplicate is the probability a message is delivered twice.
	Duplicate float64
	// Reorder is the probability a message is held back by an extra random
	// delay of up to ReorderDelay, so later messages overtake it.
	Reorder      float64
	ReorderDelay time.Duration
	// MaxDelay delays every message by a uniform random time in [0, MaxDelay].
	MaxDelay time.Duration
}

func (f Faults) active() bool {
	return f.Loss > 0 || f.Duplicate > 0 || f.Reorder > 0 || f.MaxDelay > 0
}

// Network is an in-memory network of Transports with seeded fault
// injection: partitions, loss, delay, duplication and reordering. The fault
// decisions come from one generator seeded by NewNetwork, so a failing run
// can be replayed with its seed (goroutine scheduling still varies). With no
// faults and no partitions, Send takes no lock. Safe for concurrent use.
type Network struct {
	endpoints atomic.Pointer[map[string]*MemTransport]
	blocked   atomic.Pointer[map[[2]string]bool]
	faults    atomic.Pointer[Faults]
	// drop, when set, discards the messages it returns true for (tests
	// use it to lose one particular message).
	drop atomic.Pointer[func(from, to string, m *raftwire.Message) bool]

	mu      mutex // guards rng, the maps' copy-on-write updates and the queue
	rng     *rand.Rand
	queue   delayQueue
	seq     uint64
	wake    chan struct{}
	stop    chan struct{}
	wg      sync.WaitGroup
	started bool
	closed  bool

	delivered atomic.Uint64
	dropped   atomic.Uint64
}

// NewNetwork returns an empty network whose faults are drawn from seed.
func NewNetwork(seed uint64) *Network {
	nw := &Network{
		rng:  rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		wake: make(chan struct{}, 1),
		stop: make(chan struct{}),
	}
	nw.endpoints.Store(&map[string]*MemTransport{})
	nw.blocked.Store(&map[[2]string]bool{})
	nw.faults.Store(&Faults{})
	return nw
}

// Transport registers addr and returns its transport. A closed transport's
// address can be registered again (a restarted server).
func (nw *Network) Transport(addr string) (*MemTransport, error) {
	nw.mu.Lock()
	defer nw.mu.Unlock()
	old := *nw.endpoints.Load()
	if t, ok := old[addr]; ok && !t.closed.Load() {
		return nil, fmt.Errorf("memnet: address %q already in use", addr)
	}
	t := &MemTransport{net: nw, addr: addr, in: make(chan *raftwire.Message, 4096)}
	m := make(map[string]*MemTransport, len(old)+1)
	for k, v := range old {
		m[k] = v
	}
	m[addr] = t
	nw.endpoints.Store(&m)
	return t, nil
}

// SetFaults replaces the fault configuration.
func (nw *Network) SetFaults(f Faults) {
	nw.mu.Lock()
	defer nw.mu.Unlock()
	nw.faults.Store(&f)
	if f.active() && !nw.started && !nw.closed {
		nw.started = true
		nw.wg.Add(1)
		go nw.deliverLoop()
	}
}

// Partition splits the network: messages flow only within a group.
// Addresses in no group are cut off from everyone.
func (nw *Network) Partition(groups ...[]string) {
	group := map[string]int{}
	for i, g := range groups {
		for _, a := range g {
			group[a] = i + 1
		}
	}
	nw.mu.Lock()
	defer nw.mu.Unlock()
	b := map[[2]string]bool{}
	for a := range *nw.endpoints.Load() {
		for c := range *nw.endpoints.Load() {
			if a != c && (group[a] == 0 || group[a] != group[c]) {
				b[[2]string{a, c}] = true
			}
		}
	}
	nw.blocked.Store(&b)
}

// Isolate cuts addr off from every other address, both ways.
func (nw *Network) Isolate(addr string) {
	nw.mu.Lock()
	defer nw.mu.Unlock()
	old := *nw.blocked.Load()
	b := make(map[[2]string]bool, len(old))
	for k, v := range old {
		b[k] = v
	}
	for c := range *nw.endpoints.Load() {
		if c != addr {
			b[[2]string{addr, c}] = true
			b[[2]string{c, addr}] = true
		}
	}
	nw.blocked.Store(&b)
}

// Heal removes every partition.
func (nw *Network) Heal() {
	nw.mu.Lock()
	defer nw.mu.Unlock()
	nw.blocked.Store(&map[[2]string]bool{})
}

// Stats returns how many messages were delivered and dropped.
func (nw *Network) Stats() (delivered, dropped uint64) {
	return nw.delivered.Load(), nw.dropped.Load()
}

// Close stops the delivery goroutine; messages still delayed are dropped.
func (nw *Network) Close() {
	nw.mu.Lock()
	if nw.closed {
		nw.mu.Unlock()
		return
	}
	nw.closed = true
	close(nw.stop)
	nw.mu.Unlock()
	nw.wg.Wait()
}

func (nw *Network) send(from, to string, m *raftwire.Message) error {
	if b := *nw.blocked.Load(); len(b) > 0 && b[[2]string{from, to}] {
		nw.dropped.Add(1)
		return nil
	}
	if d := nw.drop.Load(); d != nil && (*d)(from, to, m) {
		nw.dropped.Add(1)
		return nil
	}
	dst := (*nw.endpoints.Load())[to]
	if dst == nil {
		return fmt.Errorf("memnet: no server at %q: %w", to, ErrUnknownPeer)
	}
	f := nw.faults.Load()
	if !f.active() {
		nw.deliver(dst, m)
		return nil
	}
	nw.mu.Lock()
	defer nw.mu.Unlock()
	if nw.closed {
		return ErrClosed
	}
	if nw.rng.Float64() < f.Loss {
		nw.dropped.Add(1)
		return nil
	}
	copies := 1
	if nw.rng.Float64() < f.Duplicate {
		copies = 2
	}
	now := time.Now()
	for range copies {
		d := time.Duration(0)
		if f.MaxDelay > 0 {
			d = time.Duration(nw.rng.Int64N(int64(f.MaxDelay) + 1))
		}
		if f.ReorderDelay > 0 && nw.rng.Float64() < f.Reorder {
			d += time.Duration(nw.rng.Int64N(int64(f.ReorderDelay) + 1))
		}
		nw.seq++
		heap.Push(&nw.queue, &delayed{at: now.Add(d), seq: nw.seq, to: dst, m: m})
	}
	select {
	case nw.wake <- struct{}{}:
	default:
	}
	return nil
}

func (nw *Network) deliver(dst *MemTransport, m *raftwire.Message) {
	if dst.push(m) {
		nw.delivered.Add(1)
	} else {
		nw.dropped.Add(1)
	}
}

// deliverLoop hands delayed messages over when their time comes.
func (nw *Network) deliverLoop() {
	defer nw.wg.Done()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		nw.mu.Lock()
		var due []*delayed
		now := time.Now()
		for nw.queue.Len() > 0 && !nw.queue[0].at.After(now) {
			due = append(due, heap.Pop(&nw.queue).(*delayed))
		}
		wait := time.Hour
		if nw.queue.Len() > 0 {
			wait = nw.queue[0].at.Sub(now)
		}
		nw.mu.Unlock()
		for _, d := range due {
			nw.deliver(d.to, d.m)
		}
		timer.Reset(wait)
		select {
		case <-nw.stop:
			return
		case <-nw.wake:
		case <-timer.C:
		}
	}
}

type delayed struct {
	at  time.Time
	seq uint64
	to  *MemTransport
	m   *raftwire.Message
}

type delayQueue []*delayed

func (q delayQueue) Len() int { return len(q) }
func (q delayQueue) Less(i, j int) bool {
	if q[i].at.Equal(q[j].at) {
		return q[i].seq < q[j].seq
	}
	return q[i].at.Before(q[j].at)
}
func (q delayQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *delayQueue) Push(x any)   { *q = append(*q, x.(*delayed)) }
func (q *delayQueue) Pop() any {
	old := *q
	x := old[len(old)-1]
	*q = old[:len(old)-1]
	return x
}

// MemTransport is one server's endpoint on a Network. Messages are passed by
// pointer, never copied: neither side may modify them.
type MemTransport struct {
	net     *Network
	addr    string
	in      chan *raftwire.Message
	closed  atomic.Bool
	senders atomic.Int64
}

var _ Transport = (*MemTransport)(nil)

// push delivers m unless the transport is closed or its queue is full. It
// takes no lock: Close waits for pushes in progress before closing the
// channel.
func (t *MemTransport) push(m *raftwire.Message) bool {
	t.senders.Add(1)
	defer t.senders.Add(-1)
	if t.closed.Load() {
		return false
	}
	select {
	case t.in <- m:
		return true
	default:
		return false
	}
}

// Send implements Transport.
func (t *MemTransport) Send(addr string, m *raftwire.Message) error {
	if t.closed.Load() {
		return ErrClosed
	}
	return t.net.send(t.addr, addr, m)
}

// Inbound implements Transport.
func (t *MemTransport) Inbound() <-chan *raftwire.Message { return t.in }

// LocalAddr implements Transport.
func (t *MemTransport) LocalAddr() string { return t.addr }

// Close implements Transport.
func (t *MemTransport) Close() error {
	if t.closed.Swap(true) {
		return nil
	}
	for t.senders.Load() != 0 {
		runtime.Gosched()
	}
	close(t.in)
	return nil
}
