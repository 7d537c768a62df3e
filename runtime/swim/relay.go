package swim

import (
	"github.com/dwsdk/distributed/gen/swimwire"
)

// User broadcasts spread like membership news: every member that receives
// one delivers it and queues it to relay it in turn, so it reaches the whole
// cluster with RetransmitMult*ceil(log10(n+1)) transmissions per member
// (the originator's alone would reach at most that many members). A
// broadcast is identified by its origin and a sequence number; the seen set
// makes every member deliver and relay each broadcast once.

// bcastID identifies one user broadcast.
type bcastID struct {
	origin uint32 // name id
	seq    uint64
}

// seenBroadcasts remembers the user broadcasts delivered in the last
// ReapTime. Once an entry is forgotten, its sequence number becomes the
// origin's floor: older broadcasts of that origin are taken as seen, so a
// copy still circulating after ReapTime is not delivered twice. Guarded by
// the Node's lock.
type seenBroadcasts struct {
	at    map[bcastID]int64 // when it was first seen, Unix nanoseconds
	floor map[uint32]uint64 // origin -> highest forgotten sequence number
}

// first records id as seen at now and reports whether it is new.
func (s *seenBroadcasts) first(id bcastID, now int64) bool {
	if s.at == nil {
		s.at, s.floor = map[bcastID]int64{}, map[uint32]uint64{}
	}
	if f, ok := s.floor[id.origin]; ok && id.seq <= f {
		return false
	}
	if _, ok := s.at[id]; ok {
		return false
	}
	s.at[id] = now
	return true
}

// expire forgets the broadcasts first seen before cutoff.
func (s *seenBroadcasts) expire(cutoff int64) {
	for id, at := range s.at {
		if at < cutoff {
			delete(s.at, id)
			if f, ok := s.floor[id.origin]; !ok || id.seq > f {
				s.floor[id.origin] = id.seq
			}
		}
	}
}

// nextBroadcastSeq returns this node's next broadcast sequence number: one
// more than the last, and at least the clock in Unix nanoseconds, so that a
// restarted member's broadcasts are not taken for its previous life's.
func (n *Node) nextBroadcastSeq() uint64 {
	n.bseq = max(n.bseq+1, uint64(max(n.now(), 0)))
	return n.bseq
}

// userBroadcast delivers a received user broadcast the first time it is
// seen and queues it to be relayed.
func (n *Node) userBroadcast(m *swimwire.UserMsg) {
	if m.Origin == "" || m.Origin == n.cfg.Name {
		return // not relayable, or our own coming back
	}
	if !n.seen.first(bcastID{origin: n.names.id(m.Origin), seq: m.Seq}, n.now()) {
		return
	}
	// A broadcast from a member with a larger MTU may not fit this one's
	// packets: queued, it would never be sent nor leave the queue.
	if msg := mustEncode(msgUser, m); msg != nil && n.fits(msg) {
		n.user.push("", msg, nil)
	}
	if n.cfg.OnMessage != nil {
		n.cfg.OnMessage(Message{Payload: m.Payload, Broadcast: true, Origin: m.Origin})
	}
}
