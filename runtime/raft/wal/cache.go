package wal

import "github.com/dwsdk/distributed/gen/raftwire"

// entryCache keeps the most recently appended entries decoded, so that
// followers that keep up are served from memory. It holds a contiguous
// window [first, first+len(ents)) of at most max entries. It is not
// synchronised: the WAL's lock protects it.
type entryCache struct {
	max   int
	first uint64
	ents  []raftwire.Entry
}

func (c *entryCache) get(i uint64) (*raftwire.Entry, bool) {
	if i < c.first || i-c.first >= uint64(len(c.ents)) {
		return nil, false
	}
	return &c.ents[i-c.first], true
}

// add appends entries to the window; entries that do not follow it
// contiguously restart it.
func (c *entryCache) add(es []raftwire.Entry) {
	if c.max == 0 || len(es) == 0 {
		return
	}
	if len(c.ents) == 0 || es[0].Index != c.first+uint64(len(c.ents)) {
		c.ents = c.ents[:0]
		c.first = es[0].Index
	}
	if len(es) >= c.max {
		es = es[len(es)-c.max:]
		c.ents = append(c.ents[:0], es...)
		c.first = es[0].Index
		return
	}
	if over := len(c.ents) + len(es) - c.max; over > 0 {
		// Drop the oldest entries. Reslicing moves the window forward;
		// append reallocates (copying only the live window) once the
		// backing array is full, so memory stays within about 2*max.
		clear(c.ents[:over])
		c.ents = c.ents[over:]
		c.first += uint64(over)
	}
	c.ents = append(c.ents, es...)
}

// truncateFrom drops the entries at index i and above.
func (c *entryCache) truncateFrom(i uint64) {
	switch {
	case i <= c.first:
		c.ents = c.ents[:0]
	case i-c.first < uint64(len(c.ents)):
		clear(c.ents[i-c.first:])
		c.ents = c.ents[:i-c.first]
	}
}

// truncateTo drops the entries at index i and below.
func (c *entryCache) truncateTo(i uint64) {
	switch {
	case i < c.first:
	case i-c.first+1 >= uint64(len(c.ents)):
		c.ents = c.ents[:0]
	default:
		n := i - c.first + 1
		clear(c.ents[:n])
		c.ents = c.ents[n:]
		c.first = i + 1
	}
}
