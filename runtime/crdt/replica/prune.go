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
//     failed before its marker was forgotten): the lowest replica id among
//     this node and every peer it still knows (active or suspended), and
//     only once every known peer is active and either its digest matched
//     ours after the departure or we merged a full state it sent while it
//     refused the departed incarnation (Envelope.Refused; the pruner pulls
//     them, since under steady writes digests rarely match). So the pruner
//     holds every update of the departed id that any survivor holds; like
//     Akka, an unreachable member blocks pruning. A node prunes dead
//     members only while it and its active peers are a strict majority of
//     them plus the dead members not yet pruned, so of the two sides of a
//     partition at most one prunes the other.
//  2. The pruning is a local change of the pruner's State; its delta is
//     taken at once and travels in the pruner's stream. Every envelope then
//     announces the pruned id (Envelope.Pruned) for Config.ForgetTicks,
//     and again while it is being forgotten: a receiver stops accepting
//     messages of that incarnation (and tells it so when it still sends),
//     and a node that finds its own replica id announced is fenced (see
//     Engine.Fenced).
//  3. Once every peer of the pruner has acknowledged the part of the stream
//     that carries the pruning (or, for a pruning taken over, whose marker
//     may have been there already, matched the pruner's digest since),
//     every live replica holds the marker, so no
//     live replica holds the departed id's data any more. After
//     Config.MarkerTTLTicks more (for nodes restored from old durable
//     state), the pruner drops its marker (Forgetter) and announces
//     Envelope.Forget for Config.ForgetTicks; receivers drop theirs as
//     well, again every
//     RetransmitTicks during that window, because a full state from a peer
//     that has not forgotten yet brings the marker back.
//  4. Once the forgetting is no longer announced (digestForgetWindows
//     forget windows later), the departure record is dropped: the records
//     are the prunings under way, not every incarnation that ever left.
//     The departed node's messages stay refused through what gone keeps of
//     it (its last epoch and replica id, one entry per node name, replaced
//     when it restarts), and a node still sending under the pruned id is
//     still told so. A late announcement of a forgotten id creates no
//     record (see onAnnounce).

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
	takeover bool   // pruned here after another replica had (see holdsMarker)
	prunedAt uint64 // tick of the pruning here
	seq      uint64 // own stream position that carries the pruning (pruned here)
	done     bool   // pruned by some replica: here, or announced by a peer
	doneAt   uint64 // tick at which done was set
	ann      uint8  // what envelopes announce of it (see announce)
	// stateFrom holds the peers whose full state, sent while they refused
	// this incarnation, was merged here (see settled).
	stateFrom map[string]bool
	pullTick  uint64 // tick of the last pull for it (see pullFor)
	ackedAt   uint64 // tick+1 at which every peer held the marker; 0 before
	forgetAt  uint64 // tick the forgetting started here; 0 before
	finished  bool   // forget window over: nothing left to do or announce
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
	e.gone[id] = goneNode{epoch: p.epoch, replica: p.replica}
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
	designated := e.pruner() == e.cfg.Replica
	for r, d := range e.departed {
		// A pruning announced by another replica is taken over when this
		// node became the designated pruner (the other one is gone before
		// it could forget the marker): after the states settled, Prune is
		// a no-op where the marker arrived, and prunes where it never did.
		if d.pruned || d.forgetAt != 0 || d.finished {
			continue
		}
		if e.settled(d) {
			todo = append(todo, r)
		} else if designated {
			e.pullFor(d)
		}
	}
	if len(todo) == 0 || !designated || !e.quorum() {
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
		d.pruned, d.seq, d.prunedAt, d.takeover = true, e.seq, e.now, d.done
		d.setDone(e.now)
	}
	e.annDirty = true
	return nil
}

// settled reports whether this node holds every update of d's replica that
// any known peer holds: every known peer is active, and either its digest
// matched ours after the departure, or we merged a full state it sent while
// it refused d's incarnation (Envelope.Refused: it can hold no more of it).
// A suspended peer may hold updates nobody else has, so it blocks pruning
// until it is back or removed.
func (e *Engine) settled(d *departure) bool {
	for _, p := range e.peers {
		if !p.active || (p.matchTick <= d.at && !d.stateFrom[p.id]) {
			return false
		}
	}
	return true
}

// pullFor asks the active peers that have not settled d for their full
// state, every 2*RetransmitTicks: under a steady stream of writes digests
// rarely match, but a merged state of a peer that refuses d's incarnation
// settles it as well.
func (e *Engine) pullFor(d *departure) {
	if d.pullTick != 0 && e.now-d.pullTick < 2*e.cfg.RetransmitTicks {
		return
	}
	d.pullTick = e.now
	for _, p := range e.sortedPeers() {
		if p.active && p.matchTick <= d.at && !d.stateFrom[p.id] {
			env := e.envelope(p)
			env.Pull = true
			e.queue(p, env)
		}
	}
}

// refused returns the departed replica ids whose pruning is not finished,
// sorted: the incarnations this node no longer accepts messages from.
func (e *Engine) refused() []string {
	var rs []string
	for r, d := range e.departed {
		if !d.finished {
			rs = append(rs, r)
		}
	}
	slices.Sort(rs)
	return rs
}

// onRefused records that a full state of p, just merged, was sent while p
// refused the incarnations of replicas.
func (e *Engine) onRefused(p *peer, replicas []string) {
	for _, r := range replicas {
		if d := e.departed[r]; d != nil && !d.done {
			if d.stateFrom == nil {
				d.stateFrom = map[string]bool{}
			}
			d.stateFrom[p.id] = true
		}
	}
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

// What envelopes announce of a departure.
const (
	annPruned       uint8 = 1 << iota // Envelope.Pruned, on every envelope
	annForget                         // Envelope.Forget, on every envelope
	annForgetDigest                   // Envelope.Forget, on digest envelopes only
)

// digestForgetWindows is how many forget windows digest envelopes keep
// announcing a forgotten replica id, so that a peer that missed the
// announcements of the window (a lossy link, few envelopes) still forgets,
// and a node that took a marker back from such a peer's state drops it
// again.
const digestForgetWindows = 10

// announce returns what envelopes announce of d: for window ticks after the
// pruning became known here, Pruned (so peers fence its incarnation and
// count it pruned); during the forget window, Pruned and Forget; for
// digestForgetWindows windows from the forgetting on, Forget on digests.
// Nothing in between, which may last MarkerTTLTicks: envelopes stay small
// however many nodes come and go.
func (d *departure) announce(now, window uint64) uint8 {
	switch {
	case !d.done:
		return 0
	case d.forgetAt == 0 && now-d.doneAt <= window:
		return annPruned
	case d.forgetAt == 0:
		return 0
	}
	var a uint8
	if !d.finished {
		a |= annPruned | annForget
	}
	if now-d.forgetAt <= digestForgetWindows*window {
		a |= annForgetDigest
	}
	return a
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
		a := d.announce(e.now, e.cfg.ForgetTicks)
		if a != d.ann {
			e.annDirty = true
		}
		if d.finished {
			if a == 0 {
				// Every live peer held the marker and has been told to
				// forget it; the node's messages stay refused through
				// gone. Nothing needs the record any more.
				delete(e.departed, r)
				e.annDirty = true
			}
			continue
		}
		if d.forgetAt == 0 && d.pruned && d.ackedAt == 0 && e.holdsMarker(d) {
			d.ackedAt = e.now + 1
		}
		if d.forgetAt == 0 && d.ackedAt != 0 && e.now+1-d.ackedAt >= e.cfg.MarkerTTLTicks && e.holdsMarker(d) {
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

// holdsMarker reports whether every known peer is active and holds the
// marker of d, which this node pruned: it acknowledged the own stream up to
// the delta that carries the pruning. A pruning taken over from a failed
// pruner may have found the marker already there, and then the delta
// carries none: every peer's digest must have matched ours since.
func (e *Engine) holdsMarker(d *departure) bool {
	for _, p := range e.peers {
		switch {
		case !p.active:
			return false
		case d.takeover && p.matchTick <= d.prunedAt:
			return false
		case !d.takeover && p.acked < d.seq:
			return false
		}
	}
	return true
}

// onAnnounce takes in the pruned and forgotten replica ids a peer announced.
//
// A forgotten id this engine keeps no record of (it never heard of the
// pruning, or its record was dropped once the forgetting was over here) is
// forgotten at once and gets no record: the record would announce the
// forgetting again, and a peer that dropped its own record would take that
// for news and announce it back, so two nodes could keep each other's
// records alive for ever. Such a node re-applies the forgetting on every
// announcement it receives instead of in a window of its own.
func (e *Engine) onAnnounce(pruned, forget []string) {
	for _, r := range pruned {
		if e.departed[r] == nil && slices.Contains(forget, r) {
			continue // handled with forget below
		}
		e.learnPruned(r)
	}
	var now []string
	for _, r := range forget {
		d := e.departed[r]
		if d == nil {
			if _, ok := e.fencePruned(r); ok {
				now = append(now, r)
			}
			continue
		}
		d = e.learnPruned(r)
		switch {
		case d == nil:
		case d.forgetAt == 0 && !d.finished:
			d.forgetAt = e.now
			e.annDirty = true
			now = append(now, r)
		case d.finished: // a marker may have come back from a late peer's state
			now = append(now, r)
		}
	}
	e.forget(now)
}

// learnPruned records that some replica pruned r and fences r's
// incarnation: its messages are ignored from now on. When r is this node's
// own replica id, this node is fenced.
func (e *Engine) learnPruned(r string) *departure {
	node, ok := e.fencePruned(r)
	if !ok {
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
	if node != "" {
		d.node = node
	}
	return d
}

// fencePruned refuses the incarnation of the pruned replica id r from now
// on: a peer writing under r is removed (its node name is returned), and
// when r is this node's own replica id, this node is fenced. It reports
// false when there is nothing more to do about r here.
func (e *Engine) fencePruned(r string) (node string, ok bool) {
	if r == "" {
		return "", false
	}
	if r == e.cfg.Replica {
		e.fence()
		return "", false
	}
	for id, p := range e.peers {
		if p.replica == r {
			node = id
			delete(e.peers, id)
			e.gone[id] = goneNode{epoch: p.epoch, replica: r}
			e.reclaim()
		}
	}
	return node, true
}

// fence stops this node for good: a peer announced its replica id pruned,
// so anything it wrote or writes under that id is dropped by everybody.
func (e *Engine) fence() {
	if e.fenced {
		return
	}
	e.fenced, e.fenceNotify = true, true
	e.out = nil
	e.ackProgress() // wake Sync callers: no acknowledgement comes any more
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
// forgotten on every envelope (see departure.announce).
func (e *Engine) announcements() (pruned, forget []string) {
	e.refreshAnnouncements()
	return e.annPruned, e.annForget
}

// digestForget returns the replica ids to announce as forgotten on digest
// envelopes (see departure.announce).
func (e *Engine) digestForget() []string {
	e.refreshAnnouncements()
	return e.annForgetDigest
}

func (e *Engine) refreshAnnouncements() {
	if !e.annDirty {
		return
	}
	e.annPruned, e.annForget, e.annForgetDigest = nil, nil, nil
	for r, d := range e.departed {
		d.ann = d.announce(e.now, e.cfg.ForgetTicks)
		if d.ann&annPruned != 0 {
			e.annPruned = append(e.annPruned, r)
		}
		if d.ann&annForget != 0 {
			e.annForget = append(e.annForget, r)
		}
		if d.ann&annForgetDigest != 0 {
			e.annForgetDigest = append(e.annForgetDigest, r)
		}
	}
	slices.Sort(e.annPruned)
	slices.Sort(e.annForget)
	slices.Sort(e.annForgetDigest)
	e.annDirty = false
}

// replyFenced tells the node of an incarnation this engine removed, which
// is still sending, that its replica id was pruned, at most once a tick.
// The pruning is known from the departure record, or, once that is
// dropped (the pruning finished), from what gone keeps of the node.
func (e *Engine) replyFenced(from string, epoch uint64, replica string) {
	d := e.departed[replica]
	pruned := d != nil && d.done ||
		d == nil && replica != "" && e.gone[from].replica == replica
	if !pruned || e.fenceReplies[from] {
		return
	}
	e.fenceReplies[from] = true
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
