package crdt

import (
	"maps"
	"math"
)

// GCounter is a grow-only counter: one entry per replica, merged by maximum,
// valued as the sum. Deltas carry the changed entries only; they are
// idempotent and need no causal delivery. An entry saturates at
// math.MaxUint64 instead of wrapping (a wrapped entry would be smaller, so
// the increment would be lost on merge and replicas would disagree), and so
// does Value.
//
// The zero value is a counter at 0. Not safe for concurrent use.
type GCounter struct {
	n      map[ReplicaID]uint64
	pruned markers
	delta  *GCounter
}

// Inc adds n on behalf of replica r and returns the delta (nil when n is 0).
func (c *GCounter) Inc(r ReplicaID, n uint64) *GCounter {
	if n == 0 {
		return nil
	}
	if c.n == nil {
		c.n = map[ReplicaID]uint64{}
	}
	c.n[r] = addSat(c.n[r], n)
	delta := &GCounter{n: map[ReplicaID]uint64{r: c.n[r]}}
	c.record(delta)
	return delta
}

func (c *GCounter) record(delta *GCounter) {
	if c.delta == nil {
		c.delta = delta.Clone()
	} else {
		c.delta.Merge(delta)
	}
}

// Value returns the sum of all entries, or math.MaxUint64 when the sum
// does not fit.
func (c *GCounter) Value() uint64 {
	var s uint64
	for _, v := range c.n {
		s = addSat(s, v)
	}
	return s
}

// sum returns the sum of all entries modulo 2^64.
func (c *GCounter) sum() uint64 {
	var s uint64
	for _, v := range c.n {
		s += v
	}
	return s
}

// addSat returns a+b, or math.MaxUint64 when that does not fit.
func addSat(a, b uint64) uint64 {
	if s := a + b; s >= a {
		return s
	}
	return math.MaxUint64
}

// Entry returns replica r's contribution.
func (c *GCounter) Entry(r ReplicaID) uint64 { return c.n[r] }

// Merge joins another replica's state or a delta: entries by maximum, after
// dropping entries of replicas pruned on either side.
func (c *GCounter) Merge(o *GCounter) {
	for _, x := range c.pruned.adopt(o.pruned) {
		delete(c.n, x)
	}
	for r, v := range o.n {
		if c.pruned.has(r) {
			continue
		}
		if v > c.n[r] {
			if c.n == nil {
				c.n = map[ReplicaID]uint64{}
			}
			c.n[r] = v
		}
	}
}

// MergeDelta joins a delta; a delta is a state, so this is Merge.
func (c *GCounter) MergeDelta(d *GCounter) { c.Merge(d) }

// TakeDelta returns the changed entries since the last call (nil if none).
func (c *GCounter) TakeDelta() *GCounter {
	d := c.delta
	c.delta = nil
	return d
}

// Equal reports whether both counters hold the same entries and markers.
func (c *GCounter) Equal(o *GCounter) bool {
	return mapsEqualNonZero(c.n, o.n) && c.pruned.equal(o.pruned)
}

func mapsEqualNonZero(a, b map[ReplicaID]uint64) bool {
	for r, v := range a {
		if b[r] != v {
			return false
		}
	}
	for r, v := range b {
		if a[r] != v {
			return false
		}
	}
	return true
}

// Clone returns an independent copy without the pending delta.
func (c *GCounter) Clone() *GCounter {
	out := &GCounter{pruned: c.pruned.clone()}
	if len(c.n) > 0 {
		out.n = maps.Clone(c.n)
	}
	return out
}

// IsZero reports whether the counter has no entries and no markers.
func (c *GCounter) IsZero() bool { return len(c.n) == 0 && len(c.pruned) == 0 }

// TombstoneCount returns the pruning markers held.
func (c *GCounter) TombstoneCount() int { return len(c.pruned) }

// GarbageCollect folds each departed replica's entry into opts.Self (the
// value does not change), records a pruning marker so a stale state merged
// later cannot count it again, and forgets markers listed in opts.Forget.
func (c *GCounter) GarbageCollect(opts GCOptions) GCStats {
	var st GCStats
	var delta *GCounter
	for _, x := range opts.Departed {
		if x == opts.Self || c.pruned.has(x) {
			continue
		}
		if c.n == nil {
			c.n = map[ReplicaID]uint64{}
		}
		if v, ok := c.n[x]; ok {
			c.n[opts.Self] = addSat(c.n[opts.Self], v)
			delete(c.n, x)
			st.Pruned++
		}
		c.pruned.adopt(markers{x: opts.Self})
		if delta == nil {
			delta = &GCounter{n: map[ReplicaID]uint64{}}
		}
		delta.n[opts.Self] = c.n[opts.Self]
		delta.pruned.adopt(markers{x: opts.Self})
	}
	st.Forgotten = c.pruned.forget(opts.Forget)
	if delta != nil {
		c.record(delta)
	}
	return st
}
