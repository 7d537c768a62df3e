package swim

import (
	"errors"

	"github.com/dwsdk/distributed/gen/swimwire"
)

// probeTick probes the next member and schedules the next tick after the
// probe interval stretched by the local health score (Lifeguard).
func (n *Node) probeTick() {
	if !n.leaving {
		if m := n.nextProbeTarget(); m != nil {
			n.probeNode(m)
		}
	}
	n.probeTimer = n.after(n.aware.scale(n.cfg.ProbeInterval), n.probeTick)
}

// nextProbeTarget walks the member list round-robin; at the end of a round
// the list is shuffled, so every member is probed once per round in a new
// random order (SWIM's time-bounded completeness).
func (n *Node) nextProbeTarget() *member {
	for tries := 0; tries <= len(n.members); tries++ {
		if n.probeIdx >= len(n.members) {
			n.probeIdx = 0
			n.rng.Shuffle(len(n.members), n.swap)
		}
		m := &n.members[n.probeIdx]
		n.probeIdx++
		if m.id != n.self && m.state <= StateSuspect {
			return m
		}
	}
	return nil
}

// probeNode runs one SWIM probe: a direct ping; after ProbeTimeout, pings
// through IndirectChecks members (who nack if they get no answer either)
// plus a TCP ping; at the end of the probe interval, without an ack, the
// target becomes suspect, and at once if the TCP ping is refused (see
// ErrRefused). The timeouts stretch with the health score, and
// the score moves with the outcome (Lifeguard).
func (n *Node) probeNode(target *member) {
	n.m.probes.Add(1)
	id, name, addr, inc := target.id, n.names.name(target.id), target.info.addr, target.inc
	interval := n.aware.scale(n.cfg.ProbeInterval)
	timeout := n.aware.scale(n.cfg.ProbeTimeout)
	seq := n.nextSeq()
	var acked, timedOut bool
	nacks, expectedNacks := 0, 0
	h := &ackHandler{
		onAck: func() {
			if !acked {
				acked = true
				// Only a timely answer is evidence of our own health; one
				// that needed the indirect or TCP path (or that we read
				// late) leaves the score as it is.
				if !timedOut {
					n.aware.apply(-1)
				}
			}
		},
		onNack: func() { nacks++ },
	}
	ping := mustEncode(msgPing, &swimwire.Ping{SeqNo: seq, Target: name})
	msgs := [][]byte{ping}
	if target.state == StateSuspect {
		// Buddy system: tell the suspect, so it can refute at once.
		msgs = append(msgs, mustEncode(msgSuspect, &swimwire.Suspect{Incarnation: inc, Node: name, From: n.cfg.Name}))
	}
	refused := false
	fail := func() {
		if acked {
			return
		}
		_, m := n.lookupName(name) // by name: the member may be gone and its id another's
		if m == nil || m.inc != inc || m.state > StateSuspect {
			return // news overtook the probe
		}
		delta := 1
		switch {
		case refused:
			delta = 0 // the target's host answered: not our health at fault
		case expectedNacks > 0:
			// One point per relay that did not nack (Lifeguard); a
			// duplicated or stray nack must not make a failed probe
			// count as evidence of our own health.
			delta = max(expectedNacks-nacks, 0)
		}
		n.aware.apply(delta)
		n.m.probeFailures.Add(1)
		n.suspectNode(&swimwire.Suspect{Incarnation: inc, Node: name, From: n.cfg.Name})
	}
	n.expectAck(seq, h, interval, fail)
	n.send(addr, msgs...)

	n.after(timeout, func() {
		if acked || n.acks[seq] != h {
			return
		}
		timedOut = true
		ind := mustEncode(msgIndirectPing, &swimwire.IndirectPing{SeqNo: seq, Target: name, TargetAddr: addr, Nack: true})
		for _, via := range n.randomMembers(n.cfg.IndirectChecks, func(m *member) bool {
			return m.id != id && m.state == StateAlive
		}) {
			expectedNacks++
			n.send(via.info.addr, ind)
		}
		if !n.cfg.DisableTCPPings {
			n.request(addr, ping, interval-timeout, func(reply []frame, err error) {
				if errors.Is(err, ErrRefused) && n.acks[seq] == h {
					// Nothing listens at the target's address: its
					// process is gone. Suspect it now rather than at the
					// end of the probe interval; an indirect ack still
					// arriving is a refutation away.
					delete(n.acks, seq)
					h.timer.Stop()
					refused = true
					n.m.probesRefused.Add(1)
					fail()
					return
				}
				if err != nil || len(reply) != 1 || reply[0].t != msgAck {
					return
				}
				if n.acks[seq] == h {
					delete(n.acks, seq)
					h.timer.Stop()
					h.onAck()
				}
			})
		}
	})
}

// indirectPing probes a target for another member and relays the ack, or
// a nack if the target does not answer within the probe timeout.
func (n *Node) indirectPing(from string, req *swimwire.IndirectPing) {
	seq := n.nextSeq()
	relayed := false
	h := &ackHandler{onAck: func() {
		relayed = true
		n.send(from, mustEncode(msgAck, &swimwire.Ack{SeqNo: req.SeqNo}))
	}}
	n.expectAck(seq, h, n.cfg.ProbeTimeout, func() {
		if !relayed && req.Nack {
			n.send(from, mustEncode(msgNack, &swimwire.Nack{SeqNo: req.SeqNo}))
		}
	})
	n.send(req.TargetAddr, mustEncode(msgPing, &swimwire.Ping{SeqNo: seq, Target: req.Target}))
}

// randomMembers picks up to k distinct members other than this one that
// satisfy ok, by random sampling (cheap in large clusters).
func (n *Node) randomMembers(k int, ok func(*member) bool) []*member {
	var out []*member
	for tries := 0; tries < 3*len(n.members) && len(out) < k; tries++ {
		m := &n.members[n.rng.IntN(len(n.members))]
		if m.id == n.self || !ok(m) {
			continue
		}
		dup := false
		for _, o := range out {
			dup = dup || o == m
		}
		if !dup {
			out = append(out, m)
		}
	}
	return out
}
