package replica

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"

	"github.com/dwsdk/distributed/gen/replicawire"
)

// Faults configures the misbehaviour of a MemNetwork.
type Faults struct {
	// Loss is the probability that an envelope is dropped.
	Loss float64
	// Duplicate is the probability that an envelope is delivered twice.
	Duplicate float64
	// Reorder delivers queued envelopes in random order instead of FIFO.
	Reorder bool
	// BroadcastLimit, when positive, lets transports broadcast envelopes
	// whose deltas total at most this many bytes (as SWIM user broadcasts
	// would); 0 disables broadcasts.
	BroadcastLimit int
}

// MemNetwork is an in-memory network for tests, with seeded loss,
// duplication, reordering and isolation of nodes. In the default
// (synchronous) mode envelopes wait in one queue and the test delivers them
// one by one with Next, so a run is a deterministic function of the seed. In
// asynchronous mode (NewAsyncMemNetwork) Send puts envelopes straight on the
// receiver's Inbound channel, for engines driven by Run. Envelopes are copied
// on Send, so sender and receiver never share memory. Safe for concurrent
// use.
type MemNetwork struct {
	mu       sync.Mutex
	rng      *rand.Rand
	faults   Faults
	async    bool
	queue    []memMsg
	isolated map[string]bool
	ends     map[string]*MemTransport
}

type memMsg struct {
	to  string
	env *replicawire.Envelope
}

// ErrUnknownNode is returned by MemTransport.Send for a destination that has
// no transport on the network.
var ErrUnknownNode = errors.New("replica: memnet: unknown node")

// NewMemNetwork returns a synchronous network whose faults are drawn from
// seed.
func NewMemNetwork(seed uint64, f Faults) *MemNetwork {
	return &MemNetwork{
		rng:      rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		faults:   f,
		isolated: make(map[string]bool),
		ends:     make(map[string]*MemTransport),
	}
}

// NewAsyncMemNetwork returns a network that delivers on Inbound channels.
func NewAsyncMemNetwork(seed uint64, f Faults) *MemNetwork {
	n := NewMemNetwork(seed, f)
	n.async = true
	return n
}

// Transport returns the transport of node id, creating it on first use.
func (n *MemNetwork) Transport(id string) *MemTransport {
	n.mu.Lock()
	defer n.mu.Unlock()
	t := n.ends[id]
	if t == nil {
		t = &MemTransport{net: n, id: id, in: make(chan *replicawire.Envelope, 4096)}
		n.ends[id] = t
	}
	return t
}

// Isolate cuts (or, with cut false, restores) all traffic to and from id.
// Envelopes already queued for an isolated node are dropped on delivery.
func (n *MemNetwork) Isolate(id string, cut bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.isolated[id] = cut
}

// Next removes one queued envelope (the oldest, or a random one when
// Faults.Reorder is set) and returns it with its destination. It returns
// false when the queue is empty.
func (n *MemNetwork) Next() (to string, env *replicawire.Envelope, ok bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for len(n.queue) > 0 {
		i := 0
		if n.faults.Reorder {
			i = n.rng.IntN(len(n.queue))
		}
		m := n.queue[i]
		n.queue = append(n.queue[:i], n.queue[i+1:]...)
		if n.isolated[m.to] || n.isolated[m.env.From] {
			continue
		}
		return m.to, m.env, true
	}
	return "", nil, false
}

// Len returns the number of queued envelopes.
func (n *MemNetwork) Len() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return len(n.queue)
}

// post applies the faults to one envelope from from to to.
func (n *MemNetwork) post(from, to string, env *replicawire.Envelope) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	dst := n.ends[to]
	if dst == nil {
		return fmt.Errorf("%w %q", ErrUnknownNode, to)
	}
	if n.isolated[from] || n.isolated[to] || n.rng.Float64() < n.faults.Loss {
		return nil
	}
	copies := 1
	if n.rng.Float64() < n.faults.Duplicate {
		copies = 2
	}
	for range copies {
		c, err := cloneEnvelope(env)
		if err != nil {
			return err
		}
		if !n.async {
			n.queue = append(n.queue, memMsg{to: to, env: c})
			continue
		}
		select {
		case dst.in <- c:
		default: // receiver overloaded: drop, as a real network would
		}
	}
	return nil
}

// MemTransport is one node's endpoint on a MemNetwork. It implements
// Transport and Broadcaster.
type MemTransport struct {
	net *MemNetwork
	id  string
	in  chan *replicawire.Envelope
}

// Send implements Transport.
func (t *MemTransport) Send(to string, env *replicawire.Envelope) error {
	return t.net.post(t.id, to, env)
}

// Inbound implements Transport; only an asynchronous network delivers on it.
func (t *MemTransport) Inbound() <-chan *replicawire.Envelope { return t.in }

// Broadcast implements Broadcaster: when the network allows broadcasts of
// this size, env is posted to every other node (each copy subject to the
// faults).
func (t *MemTransport) Broadcast(env *replicawire.Envelope) bool {
	t.net.mu.Lock()
	limit := t.net.faults.BroadcastLimit
	var ids []string
	for id := range t.net.ends {
		if id != t.id {
			ids = append(ids, id)
		}
	}
	t.net.mu.Unlock()
	if limit <= 0 || deltaBytes(env) > limit {
		return false
	}
	slices.Sort(ids)
	for _, id := range ids {
		_ = t.net.post(t.id, id, env)
	}
	return true
}

// deltaBytes is the size of the deltas env carries.
func deltaBytes(env *replicawire.Envelope) int {
	n := 0
	if env.Deltas != nil {
		for _, d := range env.Deltas.Items {
			n += len(d.Data)
		}
	}
	return n
}

// cloneEnvelope copies env through its generated binary codec, so tests on
// this network exercise the wire format and never share memory.
func cloneEnvelope(env *replicawire.Envelope) (*replicawire.Envelope, error) {
	b, err := env.MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("replica: memnet: encode: %w", err)
	}
	c := new(replicawire.Envelope)
	if err := c.UnmarshalBinary(b); err != nil {
		return nil, fmt.Errorf("replica: memnet: decode: %w", err)
	}
	return c, nil
}
