package crdt

import "slices"

// dotList holds the dots of one key of a kernel, in the order they were
// added. Almost every key has exactly one dot, so the first is stored inline:
// inserting a key allocates nothing of its own and removing it reads nothing
// beyond the map slot. The zero value is empty (counters start at 1).
type dotList struct {
	first Dot
	more  []Dot
}

// len returns the number of dots.
func (l *dotList) len() int {
	if l.first.Counter == 0 {
		return 0
	}
	return 1 + len(l.more)
}

// all yields the dots in order.
func (l dotList) all(yield func(Dot) bool) {
	if l.first.Counter == 0 || !yield(l.first) {
		return
	}
	for _, d := range l.more {
		if !yield(d) {
			return
		}
	}
}

// add appends d.
func (l *dotList) add(d Dot) {
	if l.first.Counter == 0 {
		l.first = d
		return
	}
	l.more = append(l.more, d)
}

// remove deletes d if present, keeping the order of the others.
func (l *dotList) remove(d Dot) {
	if l.first == d {
		if len(l.more) == 0 {
			l.first = Dot{}
			return
		}
		l.first = l.more[0]
		l.more = slices.Delete(l.more, 0, 1)
		return
	}
	if i := slices.Index(l.more, d); i >= 0 {
		l.more = slices.Delete(l.more, i, i+1)
	}
}

// slice returns the dots as a new slice.
func (l dotList) slice() []Dot { return slices.AppendSeq(make([]Dot, 0, l.len()), l.all) }

// clone returns an independent copy.
func (l dotList) clone() dotList { return dotList{first: l.first, more: slices.Clone(l.more)} }
