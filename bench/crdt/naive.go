// Package crdt benchmarks runtime/crdt side by side with a naive
// tag-and-tombstone OR-Set, the seed system's design, kept here only as the
// baseline.
package crdt

import (
	"bytes"
	"encoding/binary"
	"maps"
	"slices"
)

// tag identifies one add in the naive set: a 16-byte unique id, the usual
// choice (a GUID) of tag-based OR-Sets. Here it is the adding replica and a
// sequence number, padded, so runs are reproducible.
type tag [16]byte

func newTag(replica uint8, seq uint64) tag {
	var t tag
	t[0] = replica
	binary.LittleEndian.PutUint64(t[8:], seq*0x9e3779b97f4a7c15) // spread like a random id
	binary.LittleEndian.PutUint32(t[1:], uint32(seq))
	return t
}

// naiveSet is the seed's OR-Set: every add gets a unique tag; a remove moves
// the element's tags into a tombstone set that is never collected.
type naiveSet struct {
	elems map[string]map[tag]struct{}
	owner map[tag]string // index so merges cost the delta, not the set
	tombs map[tag]struct{}
	seq   uint64
	delta *naiveSet
}

func newNaive() *naiveSet {
	return &naiveSet{elems: map[string]map[tag]struct{}{}, owner: map[tag]string{}, tombs: map[tag]struct{}{}}
}

func (s *naiveSet) pending() *naiveSet {
	if s.delta == nil {
		s.delta = newNaive()
	}
	return s.delta
}

func (s *naiveSet) add(r uint8, e string) {
	s.seq++
	t := newTag(r, s.seq)
	s.insert(e, t)
	s.pending().insert(e, t)
}

func (s *naiveSet) insert(e string, t tag) {
	if _, dead := s.tombs[t]; dead {
		return
	}
	m := s.elems[e]
	if m == nil {
		m = map[tag]struct{}{}
		s.elems[e] = m
	}
	m[t] = struct{}{}
	s.owner[t] = e
}

func (s *naiveSet) kill(t tag) {
	s.tombs[t] = struct{}{}
	e, ok := s.owner[t]
	if !ok {
		return
	}
	delete(s.owner, t)
	delete(s.elems[e], t)
	if len(s.elems[e]) == 0 {
		delete(s.elems, e)
	}
}

func (s *naiveSet) remove(e string) {
	for t := range s.elems[e] {
		s.pending().kill(t)
		s.kill(t)
	}
}

func (s *naiveSet) contains(e string) bool { return len(s.elems[e]) > 0 }

func (s *naiveSet) merge(o *naiveSet) {
	for t := range o.tombs {
		s.kill(t)
	}
	for e, ts := range o.elems {
		for t := range ts {
			s.insert(e, t)
		}
	}
}

func (s *naiveSet) clone() *naiveSet {
	c := newNaive()
	c.merge(s)
	c.seq = s.seq
	return c
}

func (s *naiveSet) take() *naiveSet {
	d := s.delta
	s.delta = nil
	return d
}

// encode writes elements with their tags, then the tombstones, sorted.
func (s *naiveSet) encode(b []byte) []byte {
	es := slices.Sorted(maps.Keys(s.elems))
	b = binary.AppendUvarint(b, uint64(len(es)))
	for _, e := range es {
		b = binary.AppendUvarint(b, uint64(len(e)))
		b = append(b, e...)
		b = appendTags(b, s.elems[e])
	}
	return appendTags(b, s.tombs)
}

func appendTags(b []byte, m map[tag]struct{}) []byte {
	ts := slices.SortedFunc(maps.Keys(m), func(x, y tag) int { return bytes.Compare(x[:], y[:]) })
	b = binary.AppendUvarint(b, uint64(len(ts)))
	for _, t := range ts {
		b = append(b, t[:]...)
	}
	return b
}
