package replica

import (
	"slices"

	"github.com/dwsdk/distributed/gen/replicawire"
)

// peer is what the engine tracks about one other node: how far it has
// acknowledged our stream (outbound) and how far we applied its stream
// (inbound).
type peer struct {
	id      string
	epoch   uint64 // 0 until heard from
	replica string // its current CRDT replica id
	active  bool   // membership reports it alive: it holds the buffer and is sent to

	// outbound: our stream to this peer
	acked        uint64 // highest seq it acknowledged with no gap
	sent         uint64 // highest seq sent (or broadcast) to it
	progressTick uint64 // tick of the last ack progress or resend
	offerTick    uint64 // tick of the last full-state offer, 0 when none is due

	// matchTick is the last tick at which its digest equalled ours.
	matchTick uint64

	// inbound: its stream to us
	delivered uint64            // highest seq of its stream applied with no gap
	pending   map[uint64][]byte // deltas received ahead of a gap
	gapTick   uint64            // tick since which a gap holds pending deltas back
}

// AddPeer reports that membership sees the node id alive: the engine sends
// it what it lacks and keeps deltas until it acknowledges them. Adding a
// known peer again reactivates it after SuspendPeer. A node removed with
// RemovePeer is accepted again only with a new epoch (after a restart).
func (e *Engine) AddPeer(id string) {
	if id == "" || id == e.cfg.ID {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	p := e.peers[id]
	if p == nil {
		p = &peer{id: id}
		e.peers[id] = p
	}
	p.active = true
	e.retryPrune()
}

// retryPrune runs tryPrune after a membership change, logging its error.
func (e *Engine) retryPrune() {
	if err := e.tryPrune(); err != nil {
		e.cfg.Logger.Warn("replica: prune failed", "node", e.cfg.ID, "err", err)
	}
}

// SuspendPeer reports that membership considers the node id failed but it
// may come back (a crash awaiting restart, a partition): nothing is sent to
// it and it no longer holds deltas in the buffer, so a long absence ends in
// a full-state transfer instead of an unbounded buffer. Its data is kept.
func (e *Engine) SuspendPeer(id string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if p := e.peers[id]; p != nil {
		p.active = false
		e.reclaim()
		e.retryPrune()
	}
}

// Peers returns the names of the active peers, sorted.
func (e *Engine) Peers() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var ids []string
	for id, p := range e.peers {
		if p.active {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

// goneNode is what the engine keeps of a removed peer, so that the
// messages of its incarnation stay refused: one entry per node name, not
// per incarnation (a restart under the same name replaces it).
type goneNode struct {
	epoch   uint64 // its last epoch
	replica string // the replica id of that incarnation, departed with it
}

// observe finds or creates the sender's peer record and tracks its epoch.
// It returns nil when env comes from an incarnation that is over.
func (e *Engine) observe(env *replicawire.Envelope) *peer {
	if g, ok := e.gone[env.From]; ok {
		if env.Epoch <= g.epoch {
			e.replyFenced(env.From, env.Epoch, env.Replica)
			return nil
		}
		delete(e.gone, env.From) // restarted after it left
	}
	p := e.peers[env.From]
	if p == nil {
		p = &peer{id: env.From, active: true}
		e.peers[env.From] = p
	}
	switch {
	case p.epoch == 0:
		p.epoch, p.replica = env.Epoch, env.Replica
	case env.Epoch < p.epoch:
		return nil
	case env.Epoch > p.epoch:
		// A new incarnation: its stream restarts at 1 and its state may be
		// empty, so both directions start over. The old replica id will
		// never write again.
		old := p.replica
		*p = peer{id: p.id, epoch: env.Epoch, replica: env.Replica, active: p.active}
		if old != env.Replica {
			if err := e.prune(old); err != nil {
				e.cfg.Logger.Warn("replica: prune failed", "node", e.cfg.ID, "replica", old, "err", err)
			}
		}
	}
	return p
}
