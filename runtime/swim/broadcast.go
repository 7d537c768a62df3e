package swim

import (
	"math"
	"slices"
)

// broadcast is one encoded message (type byte, length and body, ready to
// be compounded) waiting to be piggybacked.
type broadcast struct {
	key       string // newer news with the same key invalidates this one; "" never
	msg       []byte
	transmits int
	id        uint64   // creation order: higher is newer
	stamp     uint64   // the packet it was last taken for
	sentTo    []string // where it went in the current round, see take
	done      chan struct{}
}

// queue is a transmit-limited broadcast queue: every message is sent
// retransmitLimit(n) times, to every other member once before any member
// twice; the least-transmitted and then newest go first. Guarded by the
// Node's lock.
type queue struct {
	items  []*broadcast
	nextID uint64
	sorted bool
}

// retransmitLimit is mult * ceil(log10(n+1)).
func retransmitLimit(mult, n int) int {
	return mult * int(math.Ceil(math.Log10(float64(n)+1)))
}

// push queues msg, dropping queued messages with the same key.
func (q *queue) push(key string, msg []byte, done chan struct{}) {
	q.invalidate(key)
	q.nextID++
	q.items = append(q.items, &broadcast{key: key, msg: msg, id: q.nextID, done: done})
	q.sorted = false
}

// invalidate drops the queued messages with key, unless it is "".
func (q *queue) invalidate(key string) {
	if key == "" {
		return
	}
	q.items = slices.DeleteFunc(q.items, func(b *broadcast) bool {
		if b.key == key {
			b.finish()
			return true
		}
		return false
	})
}

func (b *broadcast) finish() {
	if b.done != nil {
		close(b.done)
		b.done = nil
	}
}

// take appends to dst, for a packet to addr, queued messages whose total
// size fits in limit and that were not already taken for the same packet
// (stamp); each counts as transmitted once more and is dropped at the
// retransmit limit. A message skips an address it was already sent to
// until it has been sent to others (the number of other members)
// addresses: a copy to a member that has the news is a transmission wasted,
// and with a handful of transmissions per message each must reach someone
// new (random targets alone left a member of a small cluster unreached in
// a few percent of runs). Once every member had it, the retransmissions
// left start another round. It returns dst and the bytes used.
func (q *queue) take(dst [][]byte, limit, retransmits, others int, addr string, stamp uint64) ([][]byte, int) {
	if len(q.items) == 0 || limit <= 0 {
		return dst, 0
	}
	if !q.sorted {
		slices.SortFunc(q.items, func(a, b *broadcast) int {
			if a.transmits != b.transmits {
				return a.transmits - b.transmits
			}
			switch {
			case a.id > b.id:
				return -1
			case a.id < b.id:
				return 1
			}
			return 0
		})
		q.sorted = true
	}
	used, expired := 0, false
	for _, b := range q.items {
		if b.stamp == stamp || used+len(b.msg) > limit {
			continue
		}
		if len(b.sentTo) >= others {
			b.sentTo = b.sentTo[:0]
		}
		if slices.Contains(b.sentTo, addr) {
			continue
		}
		used += len(b.msg)
		dst = append(dst, b.msg)
		b.stamp = stamp
		b.sentTo = append(b.sentTo, addr)
		b.transmits++
		q.sorted = false
		expired = expired || b.transmits >= retransmits
		if limit-used < 8 {
			break
		}
	}
	if expired {
		q.items = slices.DeleteFunc(q.items, func(b *broadcast) bool {
			if b.transmits >= retransmits {
				b.finish()
				return true
			}
			return false
		})
	}
	return dst, used
}

func (q *queue) len() int { return len(q.items) }

func (q *queue) reset() {
	for _, b := range q.items {
		b.finish()
	}
	q.items = nil
}
