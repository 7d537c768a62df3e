package replica

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/dwsdk/distributed/gen/replicawire"
)

// Engine replicates one State with its peers. All methods are safe for
// concurrent use: a mutex guards the protocol state, and envelopes are handed
// to the Transport after it is released, so a slow transport never blocks
// Handle.
type Engine struct {
	cfg Config

	mu     sync.Mutex
	now    uint64 // ticks since start
	seq    uint64 // last sequence number of the own stream
	buf    []buffered
	bufLen int // encoded bytes in buf
	peers  map[string]*peer
	gone   map[string]goneNode // removed peers by name
	// departed holds the CRDT replica ids of nodes gone for good, until
	// their pruning is finished and no longer announced (see
	// departure.announce): it holds the prunings under way, not every
	// incarnation that ever left.
	departed map[string]*departure
	// annPruned, annForget and annForgetDigest cache the announcements
	// envelopes carry (see departure.announce); annDirty says they must be
	// recomputed.
	annPruned, annForget, annForgetDigest []string
	annDirty                              bool
	fenceReplies                          map[string]bool // nodes sent a fencing reply this tick
	// fenced is set once a peer announced our replica id pruned;
	// fenceNotify until Config.OnFenced was called.
	fenced, fenceNotify bool
	aeNext              int // round-robin position of anti-entropy
	out                 []outMsg
	stats               Stats

	notify chan struct{}
	ran    bool
	// ackCh is closed (and replaced) whenever a peer acknowledges more of
	// the own stream; Sync waits on it.
	ackCh chan struct{}
}

// buffered is one delta of the own stream kept until every peer acked it.
type buffered struct {
	seq  uint64
	data []byte
}

// outMsg is an envelope waiting to be handed to the transport.
type outMsg struct {
	to  string
	env *replicawire.Envelope
}

// Stats counts what the engine did. Counters only grow; Buffered and
// BufferedBytes are the current buffer occupancy.
type Stats struct {
	Seq               uint64 // last sequence number of the own stream
	Buffered          int    // deltas held for unacknowledged peers
	BufferedBytes     int    // their encoded size
	DeltasTaken       uint64 // local deltas numbered and buffered
	DeltasDropped     uint64 // buffered deltas dropped by the buffer bound
	DeltasSent        uint64 // deltas sent (each peer or broadcast counts once)
	DeltasBroadcast   uint64 // fresh deltas handed to Broadcaster
	DeltasApplied     uint64 // remote deltas merged
	DeltasDuplicate   uint64 // remote deltas already applied
	DeltasHeld        uint64 // remote deltas held behind a gap
	GapPulls          uint64 // full states pulled because a gap did not fill
	StatesSent        uint64 // full states sent
	StatesApplied     uint64 // full states merged
	DigestMatches     uint64 // digests equal to ours: transfers skipped
	Repairs           uint64 // divergences found by anti-entropy
	PrunedReplicas    uint64 // CRDT replica ids handed to State.Prune
	ForgottenReplicas uint64 // pruned replica ids whose markers this node began forgetting as their pruner
	Departed          int    // replica ids gone whose pruning is not finished (see Departed)
	Fenced            bool   // this node's replica id was pruned (see Engine.Fenced)
	InvalidMessages   uint64 // envelopes refused by Handle
	MergeErrors       uint64 // deltas or states State refused
	TransportFailures uint64 // Send errors
}

// New returns an engine for cfg. It does nothing until Run (or, in tests,
// Tick and Handle) is called.
func New(cfg Config) (*Engine, error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	return &Engine{
		cfg:          c,
		peers:        make(map[string]*peer),
		gone:         make(map[string]goneNode),
		departed:     make(map[string]*departure),
		fenceReplies: make(map[string]bool),
		notify:       make(chan struct{}, 1),
		ackCh:        make(chan struct{}),
	}, nil
}

// ID returns the node name the engine was configured with.
func (e *Engine) ID() string { return e.cfg.ID }

// Epoch returns this incarnation's epoch.
func (e *Engine) Epoch() uint64 { return e.cfg.Epoch }

// Stats returns a copy of the counters.
func (e *Engine) Stats() Stats {
	e.mu.Lock()
	defer e.mu.Unlock()
	s := e.stats
	s.Seq = e.seq
	s.Buffered = len(e.buf)
	s.BufferedBytes = e.bufLen
	s.Fenced = e.fenced
	for _, d := range e.departed {
		if !d.finished {
			s.Departed++
		}
	}
	return s
}

// Notify tells a running engine that the state changed locally, so it takes
// and sends the delta without waiting for the next tick. It never blocks.
func (e *Engine) Notify() {
	select {
	case e.notify <- struct{}{}:
	default:
	}
}

// Run ticks every Config.TickInterval and hands every envelope arriving on
// Transport.Inbound to Handle, until ctx ends. It returns nil when ctx ends
// and ErrClosed when called twice. Handle errors are logged, not returned:
// one bad envelope never stops replication.
func (e *Engine) Run(ctx context.Context) error {
	e.mu.Lock()
	if e.ran {
		e.mu.Unlock()
		return ErrClosed
	}
	e.ran = true
	e.mu.Unlock()

	t := time.NewTicker(e.cfg.TickInterval)
	defer t.Stop()
	in := e.cfg.Transport.Inbound()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			e.Tick()
		case <-e.notify:
			e.Flush()
		case env, ok := <-in:
			if !ok {
				in = nil
				continue
			}
			if err := e.Handle(env); err != nil {
				e.cfg.Logger.Warn("replica: refused envelope", "node", e.cfg.ID, "err", err)
			}
		}
	}
}

// Tick advances the engine's clock by one tick: it takes the local delta,
// sends what each peer lacks, resends what went unacknowledged, reclaims
// acknowledged deltas and, every AntiEntropyTicks, exchanges a digest.
func (e *Engine) Tick() {
	e.mu.Lock()
	if e.fenced {
		e.mu.Unlock()
		return
	}
	e.now++
	clear(e.fenceReplies) // they rate-limit replies within one tick
	e.takeDelta()
	for _, p := range e.sortedPeers() {
		e.sendTo(p)
	}
	e.reclaim()
	e.pullStuckGaps()
	if !e.cfg.DisableAntiEntropy && e.now%e.cfg.AntiEntropyTicks == 0 {
		e.antiEntropy()
	}
	e.retryPrune()
	e.tryForget()
	e.mu.Unlock()
	e.dispatch()
}

// Flush takes the local delta and sends it now, without advancing the
// clock or resending anything.
func (e *Engine) Flush() {
	e.mu.Lock()
	e.flush()
	e.mu.Unlock()
	e.dispatch()
}

// flush is Flush under the lock; it returns the last own sequence number.
func (e *Engine) flush() uint64 {
	if !e.fenced && e.takeDelta() {
		for _, p := range e.sortedPeers() {
			if p.active && p.acked+1 >= e.base() && p.sent < e.seq {
				e.sendDeltas(p)
			}
		}
	}
	return e.seq
}

// Sync sends the local changes made so far and waits until at least one
// active peer has acknowledged all of them (at once when there is no active
// peer), or ctx ends. A change synced this way survives the crash of this
// node. The engine must be running (Run), or Tick and Handle driven.
func (e *Engine) Sync(ctx context.Context) error {
	e.mu.Lock()
	target := e.flush()
	e.mu.Unlock()
	e.dispatch()
	for {
		e.mu.Lock()
		done, ch, fenced := e.replicated(target), e.ackCh, e.fenced
		e.mu.Unlock()
		if fenced {
			return fmt.Errorf("replica: sync up to %d: %w", target, ErrFenced)
		}
		if done {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("replica: sync up to %d: %w", target, ctx.Err())
		}
	}
}

// replicated reports whether some active peer acknowledged seq, or no peer
// is active.
func (e *Engine) replicated(seq uint64) bool {
	any := false
	for _, p := range e.peers {
		if p.active {
			any = true
			if p.acked >= seq {
				return true
			}
		}
	}
	return !any
}

// ackProgress wakes Sync callers after an acknowledgement advanced.
func (e *Engine) ackProgress() {
	close(e.ackCh)
	e.ackCh = make(chan struct{})
}

// Handle processes one envelope from a peer. It returns an error wrapping
// ErrInvalidMessage for an envelope that breaks the protocol (nothing of it
// is applied), or the State's error when a delta or state failed to merge
// (the engine then asks the sender for its full state).
func (e *Engine) Handle(env *replicawire.Envelope) error {
	e.mu.Lock()
	err := e.handle(env)
	if err != nil && errors.Is(err, ErrInvalidMessage) {
		e.stats.InvalidMessages++
	}
	notify := e.fenceNotify
	e.fenceNotify = false
	e.mu.Unlock()
	e.dispatch()
	if notify && e.cfg.OnFenced != nil {
		e.cfg.OnFenced()
	}
	return err
}

// dispatch hands queued envelopes to the transport, outside the lock.
func (e *Engine) dispatch() {
	e.mu.Lock()
	out := e.out
	e.out = nil
	e.mu.Unlock()
	for _, m := range out {
		if err := e.cfg.Transport.Send(m.to, m.env); err != nil {
			e.mu.Lock()
			e.stats.TransportFailures++
			e.mu.Unlock()
			e.cfg.Logger.Debug("replica: send failed", "node", e.cfg.ID, "to", m.to, "err", err)
		}
	}
}

// envelope starts an envelope from this node to p.
func (e *Engine) envelope(p *peer) *replicawire.Envelope {
	pruned, forget := e.announcements()
	return &replicawire.Envelope{
		From:    e.cfg.ID,
		Epoch:   e.cfg.Epoch,
		Replica: e.cfg.Replica,
		To:      p.id,
		ToEpoch: p.epoch,
		Pruned:  pruned,
		Forget:  forget,
	}
}

// queue schedules env for p.
func (e *Engine) queue(p *peer, env *replicawire.Envelope) {
	e.out = append(e.out, outMsg{to: p.id, env: env})
}

// sortedPeers returns the peers in name order, so runs are deterministic.
func (e *Engine) sortedPeers() []*peer {
	ps := make([]*peer, 0, len(e.peers))
	for _, p := range e.peers {
		ps = append(ps, p)
	}
	sort.Slice(ps, func(i, j int) bool { return ps[i].id < ps[j].id })
	return ps
}

// validate checks the parts of env every handler relies on.
func validate(env *replicawire.Envelope) error {
	switch {
	case env == nil:
		return fmt.Errorf("%w: nil envelope", ErrInvalidMessage)
	case env.From == "":
		return fmt.Errorf("%w: envelope has no sender", ErrInvalidMessage)
	case env.Epoch == 0:
		return fmt.Errorf("%w: envelope from %q has epoch 0", ErrInvalidMessage, env.From)
	}
	if env.Deltas != nil {
		for i, d := range env.Deltas.Items {
			if d.Seq == 0 {
				return fmt.Errorf("%w: envelope from %q: delta %d has sequence number 0", ErrInvalidMessage, env.From, i)
			}
			if i > 0 && d.Seq != env.Deltas.Items[i-1].Seq+1 {
				return fmt.Errorf("%w: envelope from %q: delta %d has sequence number %d after %d", ErrInvalidMessage, env.From, i, d.Seq, env.Deltas.Items[i-1].Seq)
			}
		}
	}
	return nil
}

// handle is Handle under the lock.
func (e *Engine) handle(env *replicawire.Envelope) error {
	if err := validate(env); err != nil {
		return err
	}
	if env.From == e.cfg.ID || e.fenced {
		return nil // our own broadcast coming back, or we are out
	}
	if env.To != "" && env.To != e.cfg.ID {
		return fmt.Errorf("%w: envelope from %q is addressed to %q, not %q", ErrInvalidMessage, env.From, env.To, e.cfg.ID)
	}
	current := env.ToEpoch == e.cfg.Epoch
	if env.Ack != nil && current && env.Ack.Seq > e.seq {
		// checked before anything of env is applied (announcements, peer)
		return errorf("ack from %q for sequence number %d, beyond our last %d", env.From, env.Ack.Seq, e.seq)
	}
	if len(env.Pruned) > 0 || len(env.Forget) > 0 {
		e.onAnnounce(env.Pruned, env.Forget)
		if e.fenced {
			return nil
		}
	}
	p := e.observe(env)
	if p == nil {
		return nil // stale incarnation
	}
	if env.Ack != nil && current {
		e.onAck(p, env.Ack)
	}
	if env.Deltas != nil && len(env.Deltas.Items) > 0 {
		if err := e.onDeltas(p, env.Deltas.Items); err != nil {
			return err
		}
	}
	if env.State != nil {
		if err := e.onState(p, env.State, env.Refused); err != nil {
			return err
		}
	}
	if env.Digest != nil {
		if err := e.onDigest(p, env.Digest); err != nil {
			return err
		}
	}
	if env.Pull && (current || env.ToEpoch == 0) {
		return e.sendState(p)
	}
	return nil
}
