package swim

import (
	"errors"
	"fmt"
	"time"

	"github.com/dwsdk/distributed/gen/swimwire"
)

// ackHandler waits for the ack (or nack) of one sequence number.
type ackHandler struct {
	onAck  func()
	onNack func()
	timer  Timer
}

func (n *Node) nextSeq() uint32 {
	n.seq++
	return n.seq
}

// expectAck registers h for seq; after timeout it is dropped and onTimeout runs.
func (n *Node) expectAck(seq uint32, h *ackHandler, timeout time.Duration, onTimeout func()) {
	n.acks[seq] = h
	h.timer = n.after(timeout, func() {
		if n.acks[seq] == h {
			delete(n.acks, seq)
		}
		if onTimeout != nil {
			onTimeout()
		}
	})
}

// fits reports whether msg fits in one of this member's packets. News that
// does not would never be sent nor leave its queue.
func (n *Node) fits(msg []byte) bool {
	return len(msg) <= n.cfg.MTU-overhead(n.kr, n.cfg.Label)
}

// send builds a packet of msgs plus as many queued broadcasts as fit in
// the MTU, and sends it.
func (n *Node) send(addr string, msgs ...[]byte) {
	limit := n.cfg.MTU - overhead(n.kr, n.cfg.Label)
	for _, m := range msgs {
		limit -= len(m)
	}
	msgs = n.piggyback(msgs, addr, limit)
	n.sendCompound(addr, msgs)
}

func (n *Node) sendCompound(addr string, msgs [][]byte) {
	size := 0
	for _, m := range msgs {
		size += len(m)
	}
	c := compound(make([]byte, 0, size), msgs)
	if !n.cfg.DisableCompression {
		if c = compressCompound(c); len(c) < size {
			n.m.packetsCompressed.Add(1)
		}
	}
	p, err := seal(n.kr, n.cfg.Label, c)
	if err != nil {
		n.log.Warn("swim: seal packet", "err", err)
		return
	}
	n.m.packetsSent.Add(1)
	n.m.bytesSent.Add(uint64(len(p)))
	if err := n.tr.SendPacket(addr, p); err != nil {
		n.log.Debug("swim: send packet", "to", addr, "err", err)
	}
}

// piggyback appends queued broadcasts for a packet to addr within avail
// bytes. User broadcasts may take half the room first, then membership
// news, then users again: neither queue can starve the other. A user
// broadcast larger than half the room may take all of it in every other
// packet, or it would wait for membership news to run dry. Each message
// goes to every other member once before any of them twice (see take).
func (n *Node) piggyback(msgs [][]byte, addr string, avail int) [][]byte {
	others := n.live
	if n.get(n.self).state <= StateSuspect {
		others--
	}
	others = max(others, 1) // gossip to the dead, a reply to a stranger
	limit := retransmitLimit(n.cfg.RetransmitMult, n.live)
	n.stamp++
	var u, s int
	msgs, u = n.user.take(msgs, avail/2, limit, others, addr, n.stamp)
	if u == 0 && n.stamp%2 == 1 {
		msgs, u = n.user.take(msgs, avail, limit, others, addr, n.stamp)
	}
	msgs, s = n.sys.take(msgs, avail-u, limit, others, addr, n.stamp)
	msgs, _ = n.user.take(msgs, avail-u-s, limit, others, addr, n.stamp)
	return msgs
}

// request sends one message over a stream; done runs with the lock held.
func (n *Node) request(addr string, msg []byte, timeout time.Duration, done func([]frame, error)) {
	p, err := seal(n.kr, n.cfg.Label, msg)
	if err != nil {
		done(nil, err)
		return
	}
	n.m.streamsSent.Add(1)
	n.tr.Request(addr, p, timeout, func(reply []byte, err error) {
		var frames []frame
		if err == nil {
			frames, err = n.open(reply)
		}
		if n.closed.Load() {
			done(nil, ErrShutdown)
			return
		}
		n.mu.Lock()
		defer n.mu.Unlock()
		if n.closed.Load() {
			err = ErrShutdown
		}
		done(frames, err)
	})
}

// open checks the security layer and splits a packet, counting drops.
func (n *Node) open(p []byte) ([]frame, error) {
	plain, err := unseal(n.kr, n.cfg.Label, p)
	switch {
	case errors.Is(err, errLabel):
		n.m.droppedLabel.Add(1)
		return nil, err
	case errors.Is(err, ErrMalformed):
		n.m.droppedMalformed.Add(1)
		return nil, err
	case err != nil:
		n.m.droppedAuth.Add(1)
		return nil, err
	}
	frames, err := splitFrames(plain)
	if err == nil {
		frames, err = expandFrames(frames)
	}
	if err != nil {
		n.m.droppedMalformed.Add(1)
		return nil, err
	}
	return frames, nil
}

// decoded is one decoded message of a packet.
type decoded struct {
	t msgType
	m any
}

func (n *Node) decodeAll(frames []frame) ([]decoded, error) {
	out := make([]decoded, 0, len(frames))
	for _, f := range frames {
		m, err := decodeFrame(f)
		if err != nil {
			n.m.droppedMalformed.Add(1)
			return nil, err
		}
		if m != nil {
			out = append(out, decoded{f.t, m})
		}
	}
	return out, nil
}

// HandlePacket implements Handler: it authenticates, decodes and applies
// one packet. Bad packets are dropped and counted in Metrics.
func (n *Node) HandlePacket(from string, p []byte) {
	if n.closed.Load() {
		return
	}
	n.m.packetsReceived.Add(1)
	n.m.bytesReceived.Add(uint64(len(p)))
	frames, err := n.open(p)
	if err != nil {
		n.log.Debug("swim: drop packet", "from", from, "err", err)
		return
	}
	msgs, err := n.decodeAll(frames)
	if err != nil {
		n.log.Debug("swim: drop packet", "from", from, "err", err)
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed.Load() {
		return
	}
	// A member puts at most one ping and one indirect ping in a packet.
	// Answering every one would make each (spoofable) datagram a
	// reflector: a deflated packet of a few hundred bytes holds thousands.
	var pinged, relayed, told bool
	for _, d := range msgs {
		switch d.t {
		case msgPing:
			if pinged {
				continue
			}
			pinged = true
		case msgIndirectPing:
			if relayed {
				continue
			}
			relayed = true
		case msgSuspect, msgDead:
			if !told && n.staleAccusation(d.m) {
				told = true
				n.tellAlive(from)
			}
		}
		n.handleMsg(from, d)
	}
}

// staleAccusation reports whether m accuses this node at an incarnation
// it has already refuted: whoever sent it (the prober of the buddy system,
// or a member relaying the accusation) missed the refutation.
func (n *Node) staleAccusation(m any) bool {
	var node string
	var inc uint32
	switch m := m.(type) {
	case *swimwire.Suspect:
		node, inc = m.Node, m.Incarnation
	case *swimwire.Dead:
		node, inc = m.Node, m.Incarnation
	default:
		return false
	}
	return node == n.cfg.Name && !n.leaving && inc < n.get(n.self).inc
}

// tellAlive sends this node's alive news to addr, which holds it suspect
// or dead at an incarnation it has refuted. The refutation is gossiped
// like any news, so a member may miss it (dissemination is probabilistic)
// and then waits out its suspicion timer and declares this healthy member
// dead, while its probes, which carry the stale suspicion, are answered
// and change nothing; memberlist ignores a stale suspicion of itself the
// same way. Once per packet, so a forged packet of many gets one answer.
func (n *Node) tellAlive(addr string) {
	self := n.get(n.self)
	n.sendCompound(addr, [][]byte{n.aliveMsg(n.cfg.Name, self.inc, self.info)})
}

func (n *Node) handleMsg(from string, d decoded) {
	switch m := d.m.(type) {
	case *swimwire.Ping:
		if m.Target != "" && m.Target != n.cfg.Name {
			return // meant for a previous member at this address
		}
		n.send(from, mustEncode(msgAck, &swimwire.Ack{SeqNo: m.SeqNo}))
	case *swimwire.IndirectPing:
		n.indirectPing(from, m)
	case *swimwire.Ack:
		if h := n.acks[m.SeqNo]; h != nil {
			delete(n.acks, m.SeqNo)
			h.timer.Stop()
			if h.onAck != nil {
				h.onAck()
			}
		}
	case *swimwire.Nack:
		if h := n.acks[m.SeqNo]; h != nil && h.onNack != nil {
			h.onNack()
		}
	case *swimwire.Alive:
		n.aliveNode(m, fromGossip)
	case *swimwire.Suspect:
		n.suspectNode(m)
	case *swimwire.Dead:
		n.deadNode(m)
	case *swimwire.UserMsg:
		switch {
		case d.t == msgUser:
			n.userBroadcast(m)
		case n.cfg.OnMessage != nil:
			n.cfg.OnMessage(Message{Payload: m.Payload, From: from})
		}
	}
}

// HandleRequest implements Handler: it answers a stream request (push-pull,
// fallback ping, direct user message).
func (n *Node) HandleRequest(from string, req []byte) ([]byte, error) {
	if n.closed.Load() {
		return nil, ErrShutdown
	}
	n.m.streamsReceived.Add(1)
	frames, err := n.open(req)
	if err != nil {
		return nil, fmt.Errorf("swim: request from %s: %w", from, err)
	}
	msgs, err := n.decodeAll(frames)
	if err != nil {
		return nil, fmt.Errorf("swim: request from %s: %w", from, err)
	}
	if len(msgs) != 1 {
		n.m.droppedMalformed.Add(1)
		return nil, fmt.Errorf("%w: request from %s holds %d messages, want 1", ErrMalformed, from, len(msgs))
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed.Load() {
		return nil, ErrShutdown
	}
	var reply []byte
	switch m := msgs[0].m.(type) {
	case *swimwire.PushPull:
		reply = mustEncode(msgPushPull, &swimwire.PushPull{Nodes: n.localState()})
		n.mergeState(m.Nodes, fromState)
	case *swimwire.Ping:
		if m.Target != "" && m.Target != n.cfg.Name {
			return nil, fmt.Errorf("swim: fallback ping from %s for %q, this is %q", from, m.Target, n.cfg.Name)
		}
		reply = mustEncode(msgAck, &swimwire.Ack{SeqNo: m.SeqNo})
	case *swimwire.UserMsg:
		n.handleMsg(from, msgs[0])
		reply = mustEncode(msgAck, &swimwire.Ack{})
	default:
		n.m.droppedMalformed.Add(1)
		return nil, fmt.Errorf("%w: request from %s: unexpected %v", ErrMalformed, from, msgs[0].t)
	}
	return seal(n.kr, n.cfg.Label, reply)
}
