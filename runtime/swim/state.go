package swim

import (
	"bytes"
	"fmt"

	"github.com/dwsdk/distributed/gen/swimwire"
)

// The member table and the rules for news about members (SWIM with
// incarnation numbers): news about a member is applied only if it carries
// a higher incarnation, or the same incarnation and a worse state
// (alive < suspect < dead). A member that hears it is suspected or dead
// refutes with a higher incarnation. All of it runs under the Node's lock.

func (n *Node) get(id uint32) *member {
	if int(id) >= len(n.index) || n.index[id] < 0 {
		return nil
	}
	return &n.members[n.index[id]]
}

func (n *Node) lookupName(name string) (uint32, *member) {
	id, ok := n.names.lookup(name)
	if !ok {
		return 0, nil
	}
	return id, n.get(id)
}

// insert adds a member at a random position of the probe order.
func (n *Node) insert(m member) *member {
	for int(m.id) >= len(n.index) {
		n.index = append(n.index, -1)
	}
	n.members = append(n.members, m)
	last := len(n.members) - 1
	n.index[m.id] = int32(last)
	if m.state <= StateSuspect {
		n.live++
	}
	if last > 0 {
		j := n.rng.IntN(last + 1)
		n.swap(j, last)
		return &n.members[j]
	}
	return &n.members[last]
}

func (n *Node) swap(i, j int) {
	n.members[i], n.members[j] = n.members[j], n.members[i]
	n.index[n.members[i].id] = int32(i)
	n.index[n.members[j].id] = int32(j)
}

// remove forgets the member at position i (reaping).
func (n *Node) remove(i int) {
	m := &n.members[i]
	if m.state <= StateSuspect {
		n.live--
	}
	n.index[m.id] = -1
	last := len(n.members) - 1
	if i != last {
		n.members[i] = n.members[last]
		n.index[n.members[i].id] = int32(i)
	}
	n.members = n.members[:last]
}

func (n *Node) setState(m *member, s State) {
	if (m.state <= StateSuspect) != (s <= StateSuspect) {
		if s <= StateSuspect {
			n.live++
		} else {
			n.live--
		}
	}
	m.state = s
	m.since = n.now()
}

func (n *Node) emit(t EventType, m *member, from string) {
	if n.cfg.Events != nil && m.id != n.self {
		n.cfg.Events(Event{Type: t, Member: n.snapshot(m), From: from})
	}
}

// relayAlive gossips m's alive news, or with relay false marks it quiet.
func (n *Node) relayAlive(m *member, relay bool) {
	m.quiet = !relay
	if relay {
		n.broadcastAlive(m)
	}
}

func (n *Node) broadcastAlive(m *member) {
	name := n.names.name(m.id)
	msg := n.aliveMsg(name, m.inc, m.info)
	if !n.fits(msg) {
		// Another member's, with a larger MTU (this one's own is checked
		// by Create and UpdateMeta): push-pull carries it.
		n.sys.invalidate(name)
		return
	}
	n.sys.push(name, msg, nil)
}

func (n *Node) aliveMsg(name string, inc uint32, info *nodeInfo) []byte {
	return mustEncode(msgAlive, &swimwire.Alive{Incarnation: inc, Node: name, Addr: info.addr, Meta: info.meta})
}

// checkAliveFits fails when this member's alive news, with info, would
// not fit in its packets: it could never be gossiped.
func (n *Node) checkAliveFits(info *nodeInfo) error {
	if msg := n.aliveMsg(n.cfg.Name, ^uint32(0), info); !n.fits(msg) {
		return fmt.Errorf("%w: with %d bytes of metadata its alive news takes %d bytes, over the %d an MTU of %d leaves",
			ErrTooLarge, len(info.meta), len(msg), n.cfg.MTU-overhead(n.kr, n.cfg.Label), n.cfg.MTU)
	}
	return nil
}

// refute answers a suspicion or death of this node at incarnation inc.
func (n *Node) refute(inc uint32) {
	self := n.get(n.self)
	if inc >= self.inc {
		self.inc = inc + 1
	}
	n.m.refutations.Add(1)
	n.aware.apply(1)
	n.broadcastAlive(self)
}

// source is where news about a member came from.
type source uint8

const (
	fromGossip    source = iota // a message: relayed when it is news
	fromState                   // a push-pull: relayed when it is news
	fromJoinState               // the seed's state on joining: learned quietly
)

// aliveNode applies an alive message. News from the seed's state on
// joining is learned without being gossiped, and gossiped if the same news
// later arrives as gossip, i.e. while it is still spreading: see pushPull.
func (n *Node) aliveNode(a *swimwire.Alive, from source) {
	relay := from != fromJoinState
	id := n.names.id(a.Node)
	m := n.get(id)
	if id == n.self {
		// News about ourselves from an earlier life or a stale view: make
		// sure ours wins.
		if m.state <= StateSuspect && (a.Incarnation > m.inc || (a.Incarnation == m.inc && (a.Addr != m.info.addr || !bytes.Equal(a.Meta, m.info.meta)))) {
			n.refute(a.Incarnation)
		}
		return
	}
	if m == nil {
		m = n.insert(member{info: &nodeInfo{addr: a.Addr, meta: a.Meta}, id: id, inc: a.Incarnation, state: StateAlive, since: n.now()})
		n.relayAlive(m, relay)
		n.emit(EventJoin, m, "")
		return
	}
	gone := m.state >= StateDead
	restarted := gone && a.Addr != m.info.addr
	if a.Incarnation <= m.inc && !restarted {
		if gone {
			n.remindGone(m)
		}
		if from == fromGossip && m.quiet && a.Incarnation == m.inc && m.state == StateAlive {
			n.relayAlive(m, true) // still news to somebody: join in
		}
		return
	}
	prev := m.state
	changed := a.Addr != m.info.addr || !bytes.Equal(a.Meta, m.info.meta)
	if changed {
		m.info = &nodeInfo{addr: a.Addr, meta: a.Meta}
	}
	m.inc = a.Incarnation
	if prev != StateAlive {
		n.setState(m, StateAlive)
	}
	if s := n.susp[id]; s != nil {
		s.stop()
		delete(n.susp, id)
	}
	n.relayAlive(m, relay)
	if gone {
		n.emit(EventJoin, m, "")
		return
	}
	if prev == StateSuspect {
		n.emit(EventAlive, m, "")
	}
	if changed {
		n.emit(EventUpdate, m, "")
	}
}

func (n *Node) suspectNode(s *swimwire.Suspect) {
	id, m := n.lookupName(s.Node)
	if m == nil || s.Incarnation < m.inc {
		return
	}
	if m.state >= StateDead {
		n.raiseGoneInc(id, m, s.Incarnation)
		return
	}
	if id == n.self {
		if !n.leaving {
			n.refute(s.Incarnation)
		}
		return
	}
	if m.state == StateSuspect {
		if t := n.susp[id]; t != nil && t.confirm(s.From) {
			n.sys.push(s.Node, mustEncode(msgSuspect, s), nil)
		}
		return
	}
	m.inc = s.Incarnation
	n.setState(m, StateSuspect)
	n.sys.push(s.Node, mustEncode(msgSuspect, s), nil)
	if s.From == n.cfg.Name {
		n.m.suspicionsRaised.Add(1)
	}
	k := n.cfg.SuspicionMult - 2
	if n.live-2 < k {
		k = 0
	}
	lo, hi := suspicionTimeouts(n.cfg.SuspicionMult, n.cfg.SuspicionMaxTimeoutMult, n.live, n.cfg.ProbeInterval)
	inc := m.inc
	var t *suspicion
	t = newSuspicion(lockedClock{n}, s.From, k, lo, hi, func() {
		if n.susp[id] != t {
			return // stopped while this call waited for the lock
		}
		delete(n.susp, id)
		if m := n.get(id); m != nil && m.state == StateSuspect && m.inc == inc {
			n.deadNode(&swimwire.Dead{Incarnation: inc, Node: s.Node, From: n.cfg.Name})
		}
	})
	n.susp[id] = t
	n.emit(EventSuspect, m, s.From)
	// Confirmation probe: about 2k of the members that hear of a suspicion
	// probe the suspect at once instead of waiting for their turn in the
	// round, so the k independent confirmations Lifeguard needs to shorten
	// the timeout arrive within a probe interval or two. A healthy suspect
	// gets the suspicion in those probes (buddy system) and refutes sooner.
	if s.From != n.cfg.Name && k > 0 && n.rng.IntN(max(n.live, 1)) < 2*k {
		n.probeNode(m)
	}
}

func (n *Node) deadNode(d *swimwire.Dead) {
	id, m := n.lookupName(d.Node)
	if m == nil || d.Incarnation < m.inc {
		return
	}
	left := d.From == d.Node
	// A member declared dead that then announces its leave (it was slow,
	// or its leave was overtaken) has left: its own word is final, and
	// members that heard the leave first report it so (consul#3706).
	if m.state >= StateDead && !(left && m.state == StateDead && id != n.self) {
		n.raiseGoneInc(id, m, d.Incarnation)
		return
	}
	if id == n.self {
		if !n.leaving {
			n.refute(d.Incarnation)
		}
		return
	}
	if s := n.susp[id]; s != nil {
		s.stop()
		delete(n.susp, id)
	}
	m.inc = d.Incarnation
	if left {
		n.setState(m, StateLeft)
	} else {
		n.setState(m, StateDead)
		if d.From == n.cfg.Name {
			n.m.deathsDeclared.Add(1)
		}
	}
	n.sys.push(d.Node, mustEncode(msgDead, d), nil)
	n.eagerGossip()
	if left {
		n.emit(EventLeave, m, d.From)
	} else {
		n.emit(EventFailed, m, d.From)
	}
}

// raiseGoneInc takes in an accusation of a dead or left member at
// incarnation inc: nothing to report, but the incarnation is remembered,
// or an alive message older than the accusation (a refutation it
// overtook) would bring the member back. memberlist drops it and has that
// hole (al8n/memberlist#197). This node's own entry is left alone: it is
// only gone while leaving.
func (n *Node) raiseGoneInc(id uint32, m *member, inc uint32) {
	if id != n.self {
		m.inc = max(m.inc, inc)
	}
}

// localState is the full member table for a push-pull exchange.
func (n *Node) localState() []swimwire.PushNodeState {
	out := make([]swimwire.PushNodeState, len(n.members))
	for i := range n.members {
		m := &n.members[i]
		out[i] = swimwire.PushNodeState{Name: n.names.name(m.id), Addr: m.info.addr, Meta: m.info.meta,
			Incarnation: m.inc, State: swimwire.State(m.state)}
	}
	return out
}

// mergeState applies a remote member table. A remote death is only taken
// as a suspicion: this node gives the member its own chance to refute. A
// state this version does not know (a newer member's) is skipped.
// from is fromState, or fromJoinState to take alive members in quietly.
func (n *Node) mergeState(nodes []swimwire.PushNodeState, from source) {
	for i := range nodes {
		r := &nodes[i]
		switch State(r.State) {
		case StateAlive:
			n.aliveNode(&swimwire.Alive{Incarnation: r.Incarnation, Node: r.Name, Addr: r.Addr, Meta: r.Meta}, from)
		case StateLeft:
			n.deadNode(&swimwire.Dead{Incarnation: r.Incarnation, Node: r.Name, From: r.Name})
		case StateSuspect, StateDead:
			if _, m := n.lookupName(r.Name); m == nil {
				continue // do not learn of members only as dead
			}
			n.suspectNode(&swimwire.Suspect{Incarnation: r.Incarnation, Node: r.Name, From: n.cfg.Name})
		}
	}
}

// reapTick forgets dead and left members, and the user broadcasts seen,
// after ReapTime, and with them their names.
func (n *Node) reapTick() {
	now := n.now()
	cutoff := now - int64(n.cfg.ReapTime)
	for i := len(n.members) - 1; i >= 0; i-- {
		if m := &n.members[i]; m.state >= StateDead && m.since <= cutoff && m.id != n.self {
			id := m.id
			n.remove(i)
			n.releaseName(id)
		}
	}
	n.seen.expire(cutoff, now, func(id uint32) bool { return n.get(id) != nil }, n.releaseName)
	if n.probeIdx > len(n.members) {
		n.probeIdx = len(n.members)
	}
	n.reapTimer = n.after(n.reapInterval(), n.reapTick)
}

// releaseName forgets id's name once nothing refers to it: no member
// entry, no broadcast of its origin remembered. Only the member table, the
// suspicions (stopped when a member leaves the suspect state, long before
// it is reaped) and the broadcasts seen hold ids; probes and timers that
// may outlive a member go by its name. A Sim's shared table keeps its
// names: other nodes use them.
func (n *Node) releaseName(id uint32) {
	if n.cfg.names == nil && n.get(id) == nil && !n.seen.holds(id) {
		n.names.release(id)
	}
}

// aliveNodeInfo learns of a member as alive without gossip or events
// (Sim.Bootstrap).
func (n *Node) aliveNodeInfo(id uint32, info *nodeInfo, inc uint32) {
	if n.get(id) == nil {
		n.insert(member{info: info, id: id, inc: inc, state: StateAlive, since: n.now()})
	}
}
