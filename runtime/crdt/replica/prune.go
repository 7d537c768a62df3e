package replica

import (
	"fmt"
	"slices"

	"github.com/dwsdk/distributed/gen/replicawire"
)

// Pruning of CRDT replica ids whose node is gone for good, and forgetting
// of the pruning markers it leaves (runtime/crdt's GCOptions documents the
// CRDT side, modelled on Akka Distributed Data's removed-node pruning).
//
// A replica id departs in one of three ways: its node left gracefully
// (RemovePeer), its node restarted under a new epoch (the old id never
// writes again), or membership declared its node dead long enough to give
// up on it (RemoveDeadPeer). Then:
//
//  1. One survivor prunes it (and takes over a pruning whose pruner
//     failed before its marker was forgotten): the lowest replica id among this node and
//     every peer it still knows (active or suspended), and only once every
//     known peer is active and its digest matched ours after the departure
//     (so the pruner holds every update of the departed id that any
//     survivor holds; like Akka, an unreachable member blocks pruning). A
//     node prunes dead members only while it and its active peers are a
//     strict majority of them plus the dead members not yet pruned, so of
//     the two sides of a partition at most one prunes the other.
//  2. The pruning is a local change of the pruner's State; its delta is
//     taken at once and travels in the pruner's stream. Every envelope then
//     announces the pruned id (Envelope.Pruned) for Config.ForgetTicks,
//     and again while it is being forgotten: a receiver stops accepting
//     messages of that incarnation (and tells it so when it still sends),
//     and a node that finds its own replica id announced is fenced (see
//     Engine.Fenced).
//  3. Once every peer of the pruner has acknowledged the part of the stream
//     that carries the pruning, every live replica holds the marker, so no
//     live replica holds the departed id's data any more. After
//     Config.MarkerTTLTicks more (for nodes restored from old durable
//     state), the pruner drops its marker (Forgetter) and announces
//     Envelope.Forget for Config.ForgetTicks; receivers drop theirs as
//     well, again every
//     RetransmitTicks during that window, because a full state from a peer
//     that has not forgotten yet brings the marker back.

// Forgetter is implemented by states whose pruning leaves markers (runtime/
// crdt's pruning markers) that can be dropped once every live replica holds
// them: GarbageCollect with GCOptions.Forget. The engine calls Forget only
// for replica ids it pruned or was told were pruned, and only after every
// live peer acknowledged the pruning.
type Forgetter interface {
	Forget(replicas []string) error
}

// departure is a CRDT replica id whose node is gone for good.
type departure struct {
	node     string // node name of the incarnation, when known
	dead     bool   // declared dead (not a leave or a restart): counts against the quorum
	at       uint64 // tick at which this engine learned of the departure
	pruned   bool   // folded into this replica by State.Prune here
	seq      uint64 // own stream position that carries the pruning (pruned here)
	done     bool   // pruned by some replica: here, or announced by a peer
	doneAt   uint64 // tick at which done was set
	inAnn    bool   // announced on envelopes (see announced)
	ackedAt  uint64 // tick+1 at which every peer had acknowledged the pruning; 0 before
	forgetAt uint64 // tick the forgetting started here; 0 before
	finished bool   // forget window over: nothing left to do or announce
}

// RemoveDeadPeer reports that membership declared the node id dead and gave
// up on it (it stayed dead for the caller's prune delay, or was reaped): the
// engine forgets it like RemovePeer, ignores its incarnation's messages from
// now on, and its CRDT replica id is pruned by the designated survivor. If
// the node was in fact only cut off, it is fenced when it is heard again
// (see Fenced): a node must never write again under a pruned replica id.
func (e *Engine) RemoveDeadPeer(id string) error {
	return e.removePeer(id, true)
}

// RemovePeer reports that the node id left for good (a graceful leave):
// the engine forgets it, ignores its stale messages, and records its CRDT
// replica id as departed, to be handed to State.Prune by the one node
// designated to prune (see State.Prune). It returns Prune's error.
func (e *Engine) RemovePeer(id string) error {
	return e.removePeer(id, false)
}

func (e *Engine) removePeer(id string, dead bool) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	p := e.peers[id]
	if p == nil {
		return nil
	}
	delete(e.peers, id)
	e.gone[id] = p.epoch
	e.reclaim()
	if p.replica == "" || p.replica == e.cfg.Replica {
		return e.tryPrune()
	}
	e.depart(p.replica, id, dead)
	return e.tryPrune()
}

// depart records replica r (of node) as departed.
func (e *Engine) depart(r, node string, dead bool) {
	if r == "" || r == e.cfg.Replica {
		return
	}
	if _, ok := e.departed[r]; !ok {
		e.departed[r] = &departure{node: node, dead: dead, at: e.now}
		e.annDirty = true
	}
}

// prune records replica ids as departed; tryPrune hands them to the state
// when it is safe.
func (e *Engine) prune(replicas ...string) error {
	for _, r := range replicas {
		e.depart(r, "", false)
	}
	return e.tryPrune()
}

// tryPrune hands the departed replicas nobody pruned yet to State.Prune
// when this node is the designated pruner and it is safe (see the comment
// at the top of this file).
func (e *Engine) tryPrune() error {
	if e.fenced {
		return nil
	}
	var todo []string
	for r, d := range e.departed {
		// A pruning announced by another replica is taken over when this
		// node became the designated pruner (the other one is gone before
		// it could forget the marker): after the states settled, Prune is
		// a no-op where the marker arrived, and prunes where it never did.
		if !d.pruned && d.forgetAt == 0 && !d.finished && e.settledSince(d.at) {
			todo = append(todo, r)
		}
	}
	if len(todo) == 0 || e.pruner() != e.cfg.Replica || !e.quorum() {
		return nil
	}
	slices.Sort(todo)
	e.cfg.Logger.Info("replica: pruning departed replicas", "node", e.cfg.ID, "replicas", todo)
	if err := e.cfg.State.Prune(todo); err != nil {
		return fmt.Errorf("replica: prune %v: %w", todo, err)
	}
	e.stats.PrunedReplicas += uint64(len(todo))
	e.takeDelta() // the pruning travels as the next delta of the own stream
	for _, r := range todo {
		d := e.departed[r]
		d.pruned, d.seq = true, e.seq
		d.setDone(e.now)
	}
	e.annDirty = true
	return nil
}

// settledSince reports whether every known peer is active and its digest
// matched ours after tick at. A suspended peer may hold updates nobody
// else has, so it blocks pruning until it is back or removed.
func (e *Engine) settledSince(at uint64) bool {
	for _, p := range e.peers {
		if !p.active || p.matchTick <= at {
			return false
		}
	}
	return true
}

// pruner returns the replica id designated to prune: the lowest among this
// node and its known peers.
func (e *Engine) pruner() string {
	low := e.cfg.Replica
	for _, p := range e.peers {
		if p.replica != "" && p.replica < low {
			low = p.replica
		}
	}
	return low
}

// quorum reports whether this node and its active peers are a strict
// majority of themselves, their suspended peers and the nodes declared dead
// whose replica ids nobody pruned yet. The side of a partition that fails
// this test never prunes the other side.
func (e *Engine) quorum() bool {
	live, total := 1, 1
	for _, p := range e.peers {
		total++
		if p.active {
			live++
		}
	}
	missing := map[string]bool{}
	for r, d := range e.departed {
		if !d.dead || d.done {
			continue
		}
		node := d.node
		if node == "" {
			node = "replica " + r
		}
		if _, ok := e.peers[node]; !ok {
			missing[node] = true
		}
	}
	total += len(missing)
	return 2*live > total
}

// setDone records that some replica pruned d's replica id.
func (d *departure) setDone(now uint64) { d.done, d.doneAt = true, now }

// announced reports whether d is announced on envelopes: for window ticks
// after the pruning became known here (so peers fence its incarnation and
// count it pruned), and during the forget window. Not in between, which may
// last MarkerTTLTicks: envelopes stay small however many nodes come and go.
func (d *departure) announced(now, window uint64) bool {
	switch {
	case !d.done || d.finished:
		return false
	case d.forgetAt != 0:
		return true
	}
	return now-d.doneAt <= window
}

// tryForget starts forgetting the markers of the replicas this node pruned
// once every peer acknowledged the pruning, and re-applies the forgetting of
// every replica in its window every RetransmitTicks.
func (e *Engine) tryForget() {
	if e.fenced {
		return
	}
	var forget []string
	for r, d := range e.departed {
		if d.finished {
			continue
		}
		if d.announced(e.now, e.cfg.ForgetTicks) != d.inAnn {
			e.annDirty = true
		}
		if d.forgetAt == 0 && d.pruned && d.ackedAt == 0 && e.allAcked(d.seq) {
			d.ackedAt = e.now + 1
		}
		if d.forgetAt == 0 && d.ackedAt != 0 && e.now+1-d.ackedAt >= e.cfg.MarkerTTLTicks && e.allAcked(d.seq) {
			d.forgetAt = e.now
			e.annDirty = true
			e.stats.ForgottenReplicas++
			e.cfg.Logger.Info("replica: every peer holds the pruning; forgetting its marker", "node", e.cfg.ID, "replica", r)
		}
		if d.forgetAt == 0 {
			continue
		}
		age := e.now - d.forgetAt
		if age > e.cfg.ForgetTicks {
			d.finished = true
			e.annDirty = true
			continue
		}
		if age%e.cfg.RetransmitTicks == 0 {
			forget = append(forget, r)
		}
	}
	e.forget(forget)
}

// forget hands replicas to the state's Forgetter.
func (e *Engine) forget(replicas []string) {
	f, ok := e.cfg.State.(Forgetter)
	if !ok || len(replicas) == 0 {
		return
	}
	slices.Sort(replicas)
	if err := f.Forget(replicas); err != nil {
		e.cfg.Logger.Warn("replica: forget pruning markers", "node", e.cfg.ID, "replicas", replicas, "err", err)
	}
}

// allAcked reports whether every known peer is active and acknowledged the
// own stream up to seq.
func (e *Engine) allAcked(seq uint64) bool {
	for _, p := range e.peers {
		if !p.active || p.acked < seq {
			return false
		}
	}
	return true
}

// onAnnounce takes in the pruned and forgotten replica ids a peer announced.
func (e *Engine) onAnnounce(pruned, forget []string) {
	for _, r := range pruned {
		e.learnPruned(r)
	}
	var now []string
	for _, r := range forget {
		d := e.learnPruned(r)
		if d != nil && d.forgetAt == 0 && !d.finished {
			d.forgetAt = e.now
			e.annDirty = true
			now = append(now, r)
		}
	}
	e.forget(now)
}

// learnPruned records that some replica pruned r and fences r's
// incarnation: its messages are ignored from now on. When r is this node's
// own replica id, this node is fenced.
func (e *Engine) learnPruned(r string) *departure {
	if r == "" {
		return nil
	}
	if r == e.cfg.Replica {
		e.fence()
		return nil
	}
	d := e.departed[r]
	if d == nil {
		d = &departure{at: e.now}
		e.departed[r] = d
		e.annDirty = true
	}
	if !d.done {
		d.setDone(e.now)
		e.annDirty = true
	}
	for id, p := range e.peers {
		if p.replica == r {
			d.node = id
			delete(e.peers, id)
			e.gone[id] = p.epoch
			e.reclaim()
		}
	}
	return d
}

// fence stops this node for good: a peer announced its replica id pruned,
// so anything it wrote or writes under that id is dropped by everybody.
func (e *Engine) fence() {
	if e.fenced {
		return
	}
	e.fenced, e.fenceNotify = true, true
	e.out = nil
	e.cfg.Logger.Error("replica: this node's replica id was pruned by the cluster (it was declared dead); "+
		"it must stop writing and rejoin under a new epoch", "node", e.cfg.ID, "replica", e.cfg.Replica)
}

// Fenced reports whether a peer announced this node's replica id pruned.
// A fenced engine sends and applies nothing more; the node must stop
// writing under its replica id and rejoin with a new epoch and replica id
// (a new process). Changes it made that no survivor had received before
// the pruning are lost.
func (e *Engine) Fenced() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.fenced
}

// announcements returns the replica ids to announce as pruned and as
// forgotten on every envelope (see departure.announced).
func (e *Engine) announcements() (pruned, forget []string) {
	if e.annDirty {
		e.annPruned, e.annForget = nil, nil
		for r, d := range e.departed {
			d.inAnn = d.announced(e.now, e.cfg.ForgetTicks)
			if !d.inAnn {
				continue
			}
			e.annPruned = append(e.annPruned, r)
			if d.forgetAt != 0 {
				e.annForget = append(e.annForget, r)
			}
		}
		slices.Sort(e.annPruned)
		slices.Sort(e.annForget)
		e.annDirty = false
	}
	return e.annPruned, e.annForget
}

// replyFenced tells the node of an incarnation this engine removed, which
// is still sending, that its replica id was pruned, at most once a tick.
func (e *Engine) replyFenced(from string, epoch uint64, replica string) {
	d := e.departed[replica]
	if d == nil || !d.done || e.fenceReplies[from] == e.now+1 {
		return
	}
	e.fenceReplies[from] = e.now + 1
	e.out = append(e.out, outMsg{to: from, env: &replicawire.Envelope{
		From: e.cfg.ID, Epoch: e.cfg.Epoch, Replica: e.cfg.Replica,
		To: from, ToEpoch: epoch, Pruned: []string{replica},
	}})
}

// Departed returns the CRDT replica ids known to have left whose pruning
// is not finished (pruned and its marker forgotten), sorted.
func (e *Engine) Departed() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var ids []string
	for r, d := range e.departed {
		if !d.finished {
			ids = append(ids, r)
		}
	}
	slices.Sort(ids)
	return ids
}
