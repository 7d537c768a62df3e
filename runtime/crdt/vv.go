package crdt

import (
	"maps"
	"slices"
)

// Ordering is the causal relation between two version vectors.
type Ordering int

const (
	// Equal: both vectors saw exactly the same events.
	Equal Ordering = iota
	// Before: the receiver saw a strict subset of the other's events.
	Before
	// After: the receiver saw a strict superset of the other's events.
	After
	// Concurrent: each saw an event the other did not.
	Concurrent
)

// String returns the ordering's name.
func (o Ordering) String() string {
	switch o {
	case Equal:
		return "equal"
	case Before:
		return "before"
	case After:
		return "after"
	default:
		return "concurrent"
	}
}

// VersionVector maps each replica to the number of its events seen (all of
// 1..n). A missing entry means 0. The nil vector is empty and readable; use
// Set or Merge on a non-nil vector.
type VersionVector map[ReplicaID]uint64

// Get returns the entry of r (0 when absent).
func (v VersionVector) Get(r ReplicaID) uint64 { return v[r] }

// Contains reports whether the dot is covered by the vector.
func (v VersionVector) Contains(d Dot) bool { return d.Counter != 0 && d.Counter <= v[d.Replica] }

// Compare returns the causal relation of v to o.
func (v VersionVector) Compare(o VersionVector) Ordering {
	less, greater := false, false
	for r, n := range v {
		if m := o[r]; n > m {
			greater = true
		} else if n < m {
			less = true
		}
	}
	for r, m := range o {
		if _, ok := v[r]; !ok && m > 0 {
			less = true
		}
	}
	switch {
	case less && greater:
		return Concurrent
	case less:
		return Before
	case greater:
		return After
	default:
		return Equal
	}
}

// Merge raises every entry of v to at least o's (pointwise maximum).
func (v VersionVector) Merge(o VersionVector) {
	for r, n := range o {
		if n > v[r] {
			v[r] = n
		}
	}
}

// Clone returns an independent copy (never nil).
func (v VersionVector) Clone() VersionVector {
	c := make(VersionVector, len(v))
	maps.Copy(c, v)
	return c
}

// Replicas returns the replicas with a non-zero entry, sorted.
func (v VersionVector) Replicas() []ReplicaID {
	rs := make([]ReplicaID, 0, len(v))
	for r, n := range v {
		if n > 0 {
			rs = append(rs, r)
		}
	}
	slices.Sort(rs)
	return rs
}

// Min returns the pointwise minimum of the vectors: the events all of them
// saw. With the vectors every live replica acknowledged, that is the causally
// stable frontier.
func Min(vs ...VersionVector) VersionVector {
	out := VersionVector{}
	if len(vs) == 0 {
		return out
	}
	for r, n := range vs[0] {
		m := n
		for _, o := range vs[1:] {
			m = min(m, o[r])
		}
		if m > 0 {
			out[r] = m
		}
	}
	return out
}
