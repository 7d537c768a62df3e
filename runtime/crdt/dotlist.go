package crdt

import "slices"

// dotList holds the dots of one key of a kernel, in the order they were
// added. Almost every key has exactly one dot, so the first is stored inline:
// inserting a key allocates nothing of its own and removing it reads nothing
// beyond the map slot. The rare extra dots sit behind a pointer to keep
// the slot small (32 bytes). The zero value is empty (counters start at 1).
type dotList struct {
	first Dot
	more  *[]Dot
}

// rest returns the dots after the first.
func (l *dotList) rest() []Dot {
	if l.more == nil {
		return nil
	}
	return *l.more
}

// len returns the number of dots.
func (l *dotList) len() int {
	if l.first.Counter == 0 {
		return 0
	}
	return 1 + len(l.rest())
}

// all yields the dots in order.
func (l dotList) all(yield func(Dot) bool) {
	if l.first.Counter == 0 || !yield(l.first) {
		return
	}
	for _, d := range l.rest() {
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
	if l.more == nil {
		l.more = new([]Dot)
	}
	*l.more = append(*l.more, d)
}

// remove deletes d if present, keeping the order of the others.
func (l *dotList) remove(d Dot) {
	rest := l.rest()
	i := slices.Index(rest, d)
	switch {
	case l.first == d && len(rest) == 0:
		l.first = Dot{}
		return
	case l.first == d:
		l.first, i = rest[0], 0
	case i < 0:
		return
	}
	*l.more = slices.Delete(rest, i, i+1)
}

// slice returns the dots as a new slice.
func (l dotList) slice() []Dot { return slices.AppendSeq(make([]Dot, 0, l.len()), l.all) }

// clone returns an independent copy.
func (l dotList) clone() dotList {
	c := dotList{first: l.first}
	if rest := l.rest(); len(rest) > 0 {
		more := slices.Clone(rest)
		c.more = &more
	}
	return c
}
