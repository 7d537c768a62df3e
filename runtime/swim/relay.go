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
// copy still circulating after ReapTime is not delivered twice. The floor
// of an origin that is a member is kept; that of any other origin (a
// member reaped, or a name that never was one: without encryption anyone
// can send broadcasts under any name) is forgotten ReapTime after its last
// broadcast was, with the origin, or the node would remember every origin
// ever seen. Guarded by the Node's lock.
type seenBroadcasts struct {
	origins map[uint32]*originSeen
}

// originSeen is what seenBroadcasts holds about one origin.
type originSeen struct {
	at        map[uint64]int64 // sequence number -> when first seen, Unix nanoseconds
	floor     uint64           // highest forgotten sequence number, if floored
	floored   bool
	flooredAt int64 // when floor last rose
}

// first records id as seen at now and reports whether it is new.
func (s *seenBroadcasts) first(id bcastID, now int64) bool {
	if s.origins == nil {
		s.origins = map[uint32]*originSeen{}
	}
	o := s.origins[id.origin]
	if o == nil {
		o = &originSeen{at: map[uint64]int64{}}
		s.origins[id.origin] = o
	}
	if o.floored && id.seq <= o.floor {
		return false
	}
	if _, ok := o.at[id.seq]; ok {
		return false
	}
	o.at[id.seq] = now
	return true
}

// holds reports whether s remembers anything of origin.
func (s *seenBroadcasts) holds(origin uint32) bool {
	_, ok := s.origins[origin]
	return ok
}

// expire forgets the broadcasts first seen before cutoff, raising their
// origins' floors, and then the origins that are not members (member
// reports false) and have had nothing but a floor since before cutoff,
// calling forgotten for each.
func (s *seenBroadcasts) expire(cutoff, now int64, member func(origin uint32) bool, forgotten func(origin uint32)) {
	for origin, o := range s.origins {
		for seq, at := range o.at {
			if at < cutoff {
				delete(o.at, seq)
				if !o.floored || seq > o.floor {
					o.floor, o.floored, o.flooredAt = seq, true, now
				}
			}
		}
		if len(o.at) == 0 && o.flooredAt < cutoff && !member(origin) {
			delete(s.origins, origin)
			forgotten(origin)
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
