package crdt

import (
	"fmt"
	"maps"
	"math"
	"slices"
)

// CausalContext is the set of dots a replica has seen: a version vector (all
// dots 1..n of each replica) plus a cloud of dots seen out of order, above a
// gap. Cloud dots fold into the vector as soon as the gap below them fills,
// so with causal delivery the cloud stays empty; what it holds is counted by
// TombstoneCount on the types that embed a context.
//
// The zero value is an empty context. A CausalContext is not safe for
// concurrent use.
type CausalContext struct {
	vv     VersionVector
	cloud  map[ReplicaID]map[uint64]struct{}
	nCloud int
}

// Contains reports whether the dot was seen.
func (c *CausalContext) Contains(d Dot) bool {
	if c.vv.Contains(d) {
		return true
	}
	_, ok := c.cloud[d.Replica][d.Counter]
	return ok
}

// Next returns the next dot replica r should create: one above everything of
// r this context has seen.
func (c *CausalContext) Next(r ReplicaID) Dot {
	n := c.vv[r]
	for k := range c.cloud[r] {
		n = max(n, k)
	}
	return Dot{Replica: r, Counter: n + 1}
}

// Add records the dot as seen and folds the cloud where that closes a gap.
func (c *CausalContext) Add(d Dot) {
	if d.Counter == 0 || c.Contains(d) {
		return
	}
	if c.vv == nil {
		c.vv = VersionVector{}
	}
	if d.Counter == c.vv[d.Replica]+1 {
		c.vv[d.Replica] = d.Counter
		c.compact(d.Replica)
		return
	}
	if c.cloud == nil {
		c.cloud = map[ReplicaID]map[uint64]struct{}{}
	}
	m := c.cloud[d.Replica]
	if m == nil {
		m = map[uint64]struct{}{}
		c.cloud[d.Replica] = m
	}
	m[d.Counter] = struct{}{}
	c.nCloud++
}

// raise sets r's vector entry to at least n.
func (c *CausalContext) raise(r ReplicaID, n uint64) {
	if c.vv == nil {
		c.vv = VersionVector{}
	}
	if n <= c.vv[r] {
		return
	}
	c.vv[r] = n
	if m := c.cloud[r]; len(m) > 0 {
		for k := range m { // dots now covered by the vector
			if k <= n {
				delete(m, k)
				c.nCloud--
			}
		}
	}
	c.compact(r)
}

// compact folds r's cloud dots that are contiguous with the version vector.
// Cloud dots are always above the vector (raise drops covered ones), so
// this costs the number of dots folded.
func (c *CausalContext) compact(r ReplicaID) {
	m := c.cloud[r]
	if len(m) == 0 {
		delete(c.cloud, r)
		return
	}
	n := c.vv[r]
	for {
		if _, ok := m[n+1]; !ok {
			break
		}
		delete(m, n+1)
		c.nCloud--
		n++
	}
	c.vv[r] = n
	if len(m) == 0 {
		delete(c.cloud, r)
	}
}

// Merge adds every dot of o. Its cost is proportional to o, not to c.
func (c *CausalContext) Merge(o *CausalContext) {
	if c.vv == nil && (len(o.vv) > 0 || o.nCloud > 0) {
		c.vv = VersionVector{}
	}
	for r, n := range o.vv {
		c.raise(r, n)
	}
	// Add o's cloud dots in ascending order per replica: a dot contiguous
	// with the vector then extends it directly instead of passing through
	// c's cloud (a map allocated, grown and emptied again on every merge of
	// an out-of-order delta). The resulting set of dots is the same.
	var buf [64]uint64
	for r, m := range o.cloud {
		ks := buf[:0]
		for k := range m {
			if !c.Contains(Dot{Replica: r, Counter: k}) {
				ks = append(ks, k)
			}
		}
		slices.Sort(ks)
		for _, k := range ks {
			c.Add(Dot{Replica: r, Counter: k})
		}
	}
}

// maxDotCounter bounds the dot counters a decoded context or high-water
// vector may claim. No replica makes 2^63 updates, and the room above keeps
// Next from wrapping to the invalid counter 0: a state claiming a replica's
// counter at 2^64-1 once made that replica's next add an element no remove
// could reach.
const maxDotCounter = 1 << 63

// checkCounter returns an error wrapping ErrInvalid when r's dot counter n
// is above maxDotCounter.
func checkCounter(r ReplicaID, n uint64) error {
	if n > maxDotCounter {
		return fmt.Errorf("%w: dot counter %s:%d above %d", ErrInvalid, r, n, uint64(maxDotCounter))
	}
	return nil
}

// checkCounters returns an error wrapping ErrInvalid when v holds a counter
// above maxDotCounter.
func checkCounters(v VersionVector) error {
	for r, n := range v {
		if err := checkCounter(r, n); err != nil {
			return err
		}
	}
	return nil
}

// checkCounters returns an error wrapping ErrInvalid when the context holds
// a dot counter above maxDotCounter.
func (c *CausalContext) checkCounters() error {
	if err := checkCounters(c.vv); err != nil {
		return err
	}
	for r, m := range c.cloud {
		for k := range m {
			if err := checkCounter(r, k); err != nil {
				return err
			}
		}
	}
	return nil
}

// Version returns a copy of the context's version vector (its compact part).
func (c *CausalContext) Version() VersionVector { return c.vv.Clone() }

// CloudSize returns the number of dots held above a gap.
func (c *CausalContext) CloudSize() int { return c.nCloud }

// IsZero reports whether the context has seen nothing.
func (c *CausalContext) IsZero() bool { return len(c.vv) == 0 && c.nCloud == 0 }

// Equal reports whether both contexts hold the same dots.
func (c *CausalContext) Equal(o *CausalContext) bool {
	if c.nCloud != o.nCloud || len(c.cloud) != len(o.cloud) {
		return false
	}
	for r, n := range c.vv {
		if o.vv[r] != n {
			return false
		}
	}
	for r, n := range o.vv {
		if c.vv[r] != n {
			return false
		}
	}
	for r, m := range c.cloud {
		om := o.cloud[r]
		if len(om) != len(m) {
			return false
		}
		for k := range m {
			if _, ok := om[k]; !ok {
				return false
			}
		}
	}
	return true
}

// Clone returns an independent copy.
func (c *CausalContext) Clone() CausalContext {
	out := CausalContext{nCloud: c.nCloud}
	if c.vv != nil {
		out.vv = c.vv.Clone()
	}
	if len(c.cloud) > 0 {
		out.cloud = make(map[ReplicaID]map[uint64]struct{}, len(c.cloud))
		for r, m := range c.cloud {
			out.cloud[r] = maps.Clone(m)
		}
	}
	return out
}

// forget drops every dot of r: used when r is pruned. It returns how many
// entries (vector entry plus cloud dots) it removed.
func (c *CausalContext) forget(r ReplicaID) int {
	n := 0
	if _, ok := c.vv[r]; ok {
		delete(c.vv, r)
		n++
	}
	if m, ok := c.cloud[r]; ok {
		n += len(m)
		c.nCloud -= len(m)
		delete(c.cloud, r)
	}
	return n
}

// dotCost estimates how many dots iterating the context would visit. The
// sum saturates: a context of a few huge entries (as a decoded delta may
// claim) must not wrap around to a small cost and be walked dot by dot.
func (c *CausalContext) dotCost() uint64 {
	n := uint64(c.nCloud)
	for _, k := range c.vv {
		if n += k; n < k {
			return math.MaxUint64
		}
	}
	return n
}

// eachDot calls fn for every dot of the context (vector ranges, then cloud).
func (c *CausalContext) eachDot(fn func(Dot)) {
	for r, n := range c.vv {
		for k := uint64(1); k <= n; k++ {
			fn(Dot{Replica: r, Counter: k})
		}
	}
	for r, m := range c.cloud {
		for k := range m {
			fn(Dot{Replica: r, Counter: k})
		}
	}
}

// cloudSorted returns the cloud's counters per replica, sorted, for encoding.
func (c *CausalContext) cloudSorted() (rs []ReplicaID, ks [][]uint64) {
	rs = slices.Sorted(maps.Keys(c.cloud))
	ks = make([][]uint64, len(rs))
	for i, r := range rs {
		ks[i] = slices.Sorted(maps.Keys(c.cloud[r]))
	}
	return rs, ks
}
