package swim

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dwsdk/distributed/gen/swimwire"
)

// Node is one member of a SWIM cluster. Create it with Create, add it to a
// cluster with Join, and stop it with Leave and then Shutdown. All methods
// are safe for concurrent use.
//
// Internally every protocol step (a packet, a timer, an API call) runs under
// one lock, so the protocol is a sequential state machine driven by its
// Transport and Clock. That is what lets a Sim run thousands of Nodes
// deterministically on one goroutine with virtual time.
type Node struct {
	cfg   Config
	log   *slog.Logger
	clock Clock
	tr    Transport
	kr    *Keyring
	m     metrics

	closed atomic.Bool

	mu      sync.Mutex
	rng     *rand.Rand
	names   *names
	self    uint32
	addr    string
	leaving bool

	members  []member // probe order; includes this node
	index    []int32  // name id -> position in members, -1 if unknown
	live     int      // members alive or suspect
	probeIdx int

	aware awareness
	susp  map[uint32]*suspicion
	sys   queue // membership news
	user  queue // user broadcasts: their own queue, never starved
	stamp uint64
	bseq  uint64         // sequence number of the last user broadcast sent
	seen  seenBroadcasts // user broadcasts delivered recently

	eagerPending bool
	remind       []string      // gone members that sent stale alive news, see remindGone
	leaveDone    chan struct{} // the leave broadcast's; see Leave
	leaveUnsent  bool          // Shutdown dropped it before it was gossiped

	seq  uint32
	acks map[uint32]*ackHandler

	probeTimer, gossipTimer, pushPullTimer, reapTimer Timer
	joinSyncTimer                                     Timer // see scheduleJoinSync; set once
}

// member is one entry of the member table. Small on purpose: a simulated
// 10,000-member cluster holds 10^8 of them.
type member struct {
	info  *nodeInfo
	id    uint32
	inc   uint32
	state State
	// quiet: learned from a seed's state when joining and not gossiped;
	// relayed when it arrives as gossip, i.e. while it is still news.
	quiet bool
	// reminded: gone, and its name is in Node.remind (see remindGone).
	reminded bool
	since    int64 // clock time of the last state change, Unix nanoseconds
}

// nodeInfo is immutable: a change of address or metadata replaces it.
type nodeInfo struct {
	addr string
	meta []byte
}

// Errors returned by Node methods.
var (
	ErrShutdown    = errors.New("swim: node is shut down")
	ErrNoSeeds     = errors.New("swim: no seed could be reached")
	ErrTooLarge    = errors.New("swim: too large") // metadata, a broadcast over the MTU, a stream message
	ErrUnknownNode = errors.New("swim: unknown member")
	// ErrLeft is returned by the calls that would undo a Leave.
	ErrLeft = errors.New("swim: node has left the cluster")
)

// Create validates cfg, starts the node's transport and timers, and
// returns a one-member cluster; Join connects it to others.
func Create(cfg Config) (*Node, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	n := &Node{cfg: cfg, log: cfg.Logger, clock: cfg.Clock, tr: cfg.Transport, kr: cfg.Keyring,
		names: cfg.names, susp: make(map[uint32]*suspicion), acks: make(map[uint32]*ackHandler)}
	if n.log == nil {
		n.log = slog.Default()
	}
	n.log = n.log.With("node", cfg.Name)
	if n.clock == nil {
		n.clock = wallClock{}
	}
	src := cfg.Rand
	if src == nil {
		src = rand.NewPCG(rand.Uint64(), rand.Uint64())
	}
	n.rng = rand.New(src)
	if n.names == nil {
		n.names = newNames()
	}
	n.aware.max = cfg.AwarenessMaxMultiplier
	if n.tr == nil {
		t, err := NewNetTransport(cfg.BindAddr, cfg.Logger)
		if err != nil {
			return nil, fmt.Errorf("swim: create %s: %w", cfg.Name, err)
		}
		n.tr = t
	}
	n.addr = n.tr.LocalAddr()
	info := &nodeInfo{addr: n.addr, meta: slices.Clone(cfg.Meta)}
	if err := n.checkAliveFits(info); err != nil {
		if cfg.Transport == nil {
			n.tr.Close() // ours; a caller's stays the caller's
		}
		return nil, fmt.Errorf("%w: Meta: %w", ErrInvalidConfig, err)
	}
	n.self = n.names.id(cfg.Name)
	n.mu.Lock()
	n.insert(member{info: info, id: n.self, state: StateAlive, since: n.now()})
	n.mu.Unlock()
	if err := n.tr.Start(n); err != nil {
		return nil, fmt.Errorf("swim: create %s: start transport: %w", cfg.Name, err)
	}
	n.mu.Lock()
	n.schedule()
	n.mu.Unlock()
	return n, nil
}

// schedule starts the periodic tasks, staggered randomly so that members
// started together do not probe in lockstep.
func (n *Node) schedule() {
	stagger := func(d time.Duration) time.Duration { return time.Duration(n.rng.Int64N(int64(d))) }
	n.probeTimer = n.after(stagger(n.cfg.ProbeInterval), n.probeTick)
	n.gossipTimer = n.after(stagger(n.cfg.GossipInterval), n.gossipTick)
	if n.cfg.PushPullInterval > 0 {
		n.pushPullTimer = n.after(n.cfg.PushPullInterval+stagger(n.cfg.PushPullInterval), n.pushPullTick)
	}
	n.reapTimer = n.after(n.reapInterval(), n.reapTick)
}

func (n *Node) reapInterval() time.Duration {
	return max(n.cfg.ReapTime/4, n.cfg.ProbeInterval)
}

// after runs f after d with the node's lock held, unless it is shut down.
func (n *Node) after(d time.Duration, f func()) Timer {
	return n.clock.AfterFunc(d, func() {
		if n.closed.Load() {
			return
		}
		n.mu.Lock()
		defer n.mu.Unlock()
		if n.closed.Load() {
			return
		}
		f()
	})
}

// lockedClock gives helpers (suspicion timers) the node's time and its
// locking timers.
type lockedClock struct{ n *Node }

func (c lockedClock) Now() time.Time                            { return c.n.clock.Now() }
func (c lockedClock) AfterFunc(d time.Duration, f func()) Timer { return c.n.after(d, f) }

func (n *Node) now() int64 { return n.clock.Now().UnixNano() }

// Shutdown stops the node without telling the cluster (call Leave first
// for a graceful exit) and waits for its goroutines. It is idempotent.
func (n *Node) Shutdown() error {
	n.mu.Lock()
	if n.closed.Swap(true) {
		n.mu.Unlock()
		return nil
	}
	for _, t := range []Timer{n.probeTimer, n.gossipTimer, n.pushPullTimer, n.reapTimer, n.joinSyncTimer} {
		if t != nil {
			t.Stop()
		}
	}
	for _, s := range n.susp {
		s.stop()
	}
	for _, h := range n.acks {
		h.timer.Stop()
	}
	if n.leaveDone != nil {
		select {
		case <-n.leaveDone:
		default:
			n.leaveUnsent = true // reset closes it: Leave must not report success
		}
	}
	n.sys.reset()
	n.user.reset()
	n.mu.Unlock()
	if err := n.tr.Close(); err != nil {
		return fmt.Errorf("swim: shutdown %s: %w", n.cfg.Name, err)
	}
	return nil
}

// LocalNode returns this member as the cluster sees it.
func (n *Node) LocalNode() Member {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.snapshot(n.get(n.self))
}

// Members returns the members that are alive or suspect, this one included.
func (n *Node) Members() []Member {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := make([]Member, 0, n.live)
	for i := range n.members {
		if m := &n.members[i]; m.state <= StateSuspect {
			out = append(out, n.snapshot(m))
		}
	}
	return out
}

// Member returns what this node knows about the named member, including
// dead and left members not yet reaped.
func (n *Node) Member(name string) (Member, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	id, ok := n.names.lookup(name)
	if !ok {
		return Member{}, false
	}
	m := n.get(id)
	if m == nil {
		return Member{}, false
	}
	return n.snapshot(m), true
}

// NumMembers returns the number of members alive or suspect.
func (n *Node) NumMembers() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.live
}

// HealthScore returns Lifeguard's local health score: 0 is healthy.
func (n *Node) HealthScore() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.aware.score
}

// Metrics returns a snapshot of the node's counters.
func (n *Node) Metrics() Metrics {
	s := n.m.snapshot()
	s.HealthScore = n.HealthScore()
	return s
}

func (n *Node) snapshot(m *member) Member {
	return Member{Name: n.names.name(m.id), Addr: m.info.addr, Meta: slices.Clone(m.info.meta),
		Incarnation: m.inc, State: m.state, Since: time.Unix(0, m.since)}
}

// UpdateMeta replaces this member's metadata and gossips it with a new
// incarnation; members report EventUpdate. After Leave it returns ErrLeft:
// the news of a higher incarnation would bring the member back to life.
func (n *Node) UpdateMeta(meta []byte) error {
	if len(meta) > MetaMaxSize {
		return fmt.Errorf("swim: update meta: %d bytes, at most %d: %w", len(meta), MetaMaxSize, ErrTooLarge)
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed.Load() {
		return ErrShutdown
	}
	if n.leaving {
		return fmt.Errorf("swim: update meta: %w", ErrLeft)
	}
	self := n.get(n.self)
	info := &nodeInfo{addr: self.info.addr, meta: slices.Clone(meta)}
	if err := n.checkAliveFits(info); err != nil {
		return fmt.Errorf("swim: update meta: %w", err)
	}
	self.inc++
	self.info = info
	n.broadcastAlive(self)
	return nil
}

// Join contacts each seed address with a push-pull state exchange and
// returns how many answered. It fails only if none did. A node that left
// cannot join again (ErrLeft): create a new one.
func (n *Node) Join(ctx context.Context, seeds ...string) (int, error) {
	if n.closed.Load() {
		return 0, ErrShutdown
	}
	type result struct{ err error }
	results := make(chan result, len(seeds))
	n.mu.Lock()
	if n.leaving {
		n.mu.Unlock()
		return 0, fmt.Errorf("swim: join: %w", ErrLeft)
	}
	for _, seed := range seeds {
		n.pushPull(seed, true, func(err error) { results <- result{err} })
	}
	n.mu.Unlock()
	ok := 0
	var errs []error
	for range seeds {
		select {
		case r := <-results:
			if r.err == nil {
				ok++
			} else {
				errs = append(errs, r.err)
			}
		case <-ctx.Done():
			return ok, fmt.Errorf("swim: join: %w", ctx.Err())
		}
	}
	if ok == 0 && len(seeds) > 0 {
		return 0, fmt.Errorf("%w: %w", ErrNoSeeds, errors.Join(errs...))
	}
	return ok, nil
}

// Leave announces a graceful departure and waits until the announcement
// has been gossiped (or ctx ends; or Shutdown drops it first, ErrShutdown).
// The node keeps answering probes until Shutdown, so nobody mistakes it
// for failed meanwhile; members report EventLeave, not EventFailed.
// UpdateMeta and Join then fail with ErrLeft. A second Leave waits for the
// same announcement.
func (n *Node) Leave(ctx context.Context) error {
	n.mu.Lock()
	if n.closed.Load() {
		n.mu.Unlock()
		return ErrShutdown
	}
	if !n.leaving {
		n.leaving = true
		self := n.get(n.self)
		n.setState(self, StateLeft)
		n.leaveDone = make(chan struct{})
		wait := n.leaveDone
		if n.live == 0 {
			close(n.leaveDone) // nobody to wait for
			wait = nil
		}
		n.sys.push(n.cfg.Name, mustEncode(msgDead, &swimwire.Dead{Incarnation: self.inc, Node: n.cfg.Name, From: n.cfg.Name}), wait)
	}
	done := n.leaveDone
	n.mu.Unlock()
	select {
	case <-done:
		n.mu.Lock()
		defer n.mu.Unlock()
		if n.leaveUnsent {
			return fmt.Errorf("swim: leave: not gossiped before Shutdown: %w", ErrShutdown)
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("swim: leave: %w", ctx.Err())
	}
}

// Broadcast queues payload to be piggybacked on protocol traffic to every
// member, retransmitted like membership news but from its own queue, so it
// is never starved by them. Every member delivers it once (OnMessage) and
// relays it, as it does membership news. A later broadcast with the same
// non-empty key replaces an earlier one this node has not finished sending.
func (n *Node) Broadcast(key string, payload []byte) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed.Load() {
		return ErrShutdown
	}
	msg := mustEncode(msgUser, &swimwire.UserMsg{Payload: slices.Clone(payload), Origin: n.cfg.Name, Seq: n.nextBroadcastSeq()})
	if len(msg) > n.cfg.MTU-overhead(n.kr, n.cfg.Label)-64 {
		return fmt.Errorf("swim: broadcast of %d bytes: %w", len(payload), ErrTooLarge)
	}
	if key != "" {
		key = "u/" + key
	}
	n.user.push(key, msg, nil)
	return nil
}

// SendTo sends payload to the named member: in one packet when it fits the
// MTU (best effort), otherwise over a stream, waiting for the receipt. A
// payload the stream cannot carry (MaxStreamSize, framing and security
// layer included) fails with ErrTooLarge.
func (n *Node) SendTo(ctx context.Context, name string, payload []byte) error {
	msg := mustEncode(msgUserDirect, &swimwire.UserMsg{Payload: slices.Clone(payload)})
	if size := len(msg) + overhead(n.kr, n.cfg.Label); size > MaxStreamSize {
		return fmt.Errorf("swim: send to %q: %d bytes, a stream carries at most %d: %w", name, size, MaxStreamSize, ErrTooLarge)
	}
	n.mu.Lock()
	if n.closed.Load() {
		n.mu.Unlock()
		return ErrShutdown
	}
	id, ok := n.names.lookup(name)
	var m *member
	if ok {
		m = n.get(id)
	}
	if m == nil {
		n.mu.Unlock()
		return fmt.Errorf("swim: send to %q: %w", name, ErrUnknownNode)
	}
	addr := m.info.addr
	if len(msg)+overhead(n.kr, n.cfg.Label) <= n.cfg.MTU {
		n.send(addr, msg)
		n.mu.Unlock()
		return nil
	}
	done := make(chan error, 1)
	timeout := n.cfg.TCPTimeout
	if dl, ok := ctx.Deadline(); ok {
		timeout = min(timeout, time.Until(dl))
	}
	n.request(addr, msg, timeout, func(reply []frame, err error) { done <- err })
	n.mu.Unlock()
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("swim: send to %q: %w", name, err)
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("swim: send to %q: %w", name, ctx.Err())
	}
}
