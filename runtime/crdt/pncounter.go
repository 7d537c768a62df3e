package crdt

// PNCounter is a counter that can go down: two GCounters, one for
// increments and one for decrements. Deltas need no causal delivery.
//
// The zero value is a counter at 0. Not safe for concurrent use.
type PNCounter struct {
	P, N GCounter
}

// Add adds n (negative to subtract) on behalf of replica r and returns the
// delta (nil when n is 0).
func (c *PNCounter) Add(r ReplicaID, n int64) *PNCounter {
	delta := &PNCounter{}
	switch {
	case n > 0:
		delta.P = *c.P.Inc(r, uint64(n))
	case n < 0:
		delta.N = *c.N.Inc(r, uint64(-(n+1))+1)
	default:
		return nil
	}
	return delta
}

// Value returns increments minus decrements, modulo 2^64 like int64
// arithmetic, so it is exact whenever the result fits an int64 and no
// replica's increments or decrements reached math.MaxUint64 (where its
// entry saturates, see GCounter).
func (c *PNCounter) Value() int64 { return int64(c.P.sum() - c.N.sum()) }

// Merge joins another replica's state or a delta.
func (c *PNCounter) Merge(o *PNCounter) {
	c.P.Merge(&o.P)
	c.N.Merge(&o.N)
}

// MergeDelta joins a delta; a delta is a state, so this is Merge.
func (c *PNCounter) MergeDelta(d *PNCounter) { c.Merge(d) }

// TakeDelta returns the changed entries since the last call (nil if none).
func (c *PNCounter) TakeDelta() *PNCounter {
	p, n := c.P.TakeDelta(), c.N.TakeDelta()
	if p == nil && n == nil {
		return nil
	}
	d := &PNCounter{}
	if p != nil {
		d.P = *p
	}
	if n != nil {
		d.N = *n
	}
	return d
}

// Equal reports whether both counters hold the same entries.
func (c *PNCounter) Equal(o *PNCounter) bool { return c.P.Equal(&o.P) && c.N.Equal(&o.N) }

// Clone returns an independent copy without the pending delta.
func (c *PNCounter) Clone() *PNCounter { return &PNCounter{P: *c.P.Clone(), N: *c.N.Clone()} }

// IsZero reports whether the counter has no entries.
func (c *PNCounter) IsZero() bool { return c.P.IsZero() && c.N.IsZero() }

// TombstoneCount returns the pruning markers held.
func (c *PNCounter) TombstoneCount() int { return c.P.TombstoneCount() + c.N.TombstoneCount() }

// GarbageCollect folds departed replicas into opts.Self (see GCounter).
func (c *PNCounter) GarbageCollect(opts GCOptions) GCStats {
	return c.P.GarbageCollect(opts).Add(c.N.GarbageCollect(opts))
}
