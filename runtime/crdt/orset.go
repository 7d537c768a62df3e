package crdt

// ORSet is an add-wins observed-remove set without per-element tombstones
// (riak_dt's ORSWOT, Akka's ORSet, delta-state per Almeida, Shoker and
// Baquero 2018). Each element carries the dots of the adds that created it;
// the causal context remembers every dot seen. Removing an element drops its
// dots and leaves nothing behind: the context alone tells a later merge that
// those dots were seen and removed. An add concurrent with a remove survives
// (its dot is one the remover never saw).
//
// Deltas (returned by the mutators, accumulated for TakeDelta) are ORSets
// themselves and do not need causal delivery: their contexts hold exact dots,
// so a delta merged out of order is correct, and its dots wait in the
// context's cloud until the gap below them fills (TombstoneCount counts them).
//
// The zero value is an empty set. An ORSet is not safe for concurrent use.
type ORSet[T comparable] struct {
	k     kernel[T, struct{}]
	delta *ORSet[T]
	auto  *AutoGC
}

// Add inserts e on behalf of replica r and returns the delta.
func (s *ORSet[T]) Add(r ReplicaID, e T) *ORSet[T] {
	d := s.k.ctx.Next(r)
	delta := &ORSet[T]{}
	delta.k.ctx.Add(d)
	for old := range s.k.keys[e].all {
		delta.k.ctx.Add(old)
	}
	delta.k.insert(d, e, struct{}{})
	s.apply(delta)
	return delta
}

// Remove deletes e (the adds this replica observed) and returns the delta,
// or nil when e is absent.
func (s *ORSet[T]) Remove(e T) *ORSet[T] {
	ds := s.k.keys[e]
	if ds.len() == 0 {
		return nil
	}
	delta := &ORSet[T]{}
	for d := range ds.all {
		delta.k.ctx.Add(d)
	}
	s.apply(delta)
	return delta
}

// apply merges a locally produced delta into the state and the pending delta.
func (s *ORSet[T]) apply(delta *ORSet[T]) {
	s.k.join(&delta.k, nil)
	if s.delta == nil {
		s.delta = delta.Clone()
	} else {
		s.delta.k.join(&delta.k, nil)
	}
}

// Contains reports whether e is in the set.
func (s *ORSet[T]) Contains(e T) bool {
	_, ok := s.k.keys[e]
	return ok
}

// Len returns the number of elements.
func (s *ORSet[T]) Len() int { return len(s.k.keys) }

// Elements returns the elements in unspecified order.
func (s *ORSet[T]) Elements() []T {
	out := make([]T, 0, len(s.k.keys))
	for e := range s.k.keys {
		out = append(out, e)
	}
	return out
}

// Context returns a copy of the version vector of the set's causal context.
func (s *ORSet[T]) Context() VersionVector { return s.k.ctx.Version() }

// Merge joins another replica's full state (or a delta) into s.
func (s *ORSet[T]) Merge(o *ORSet[T]) {
	s.k.join(&o.k, nil)
	s.auto.maybeRun(s.TombstoneCount(), s.GarbageCollect)
}

// MergeDelta joins a delta into s. A delta is a state, so this is Merge; the
// cost is proportional to the delta, not to s. Causal delivery is not needed.
func (s *ORSet[T]) MergeDelta(d *ORSet[T]) { s.Merge(d) }

// TakeDelta returns what the mutators changed since the last call (nil when
// nothing did) and starts a new delta.
func (s *ORSet[T]) TakeDelta() *ORSet[T] {
	d := s.delta
	s.delta = nil
	return d
}

// Equal reports whether both sets hold the same elements, dots, context and
// pruning markers (pending deltas are not compared).
func (s *ORSet[T]) Equal(o *ORSet[T]) bool { return s.k.equal(&o.k, nil) }

// Clone returns an independent copy without the pending delta.
func (s *ORSet[T]) Clone() *ORSet[T] {
	return &ORSet[T]{k: s.k.clone(nil), auto: s.auto}
}

// IsZero reports whether the set has never seen anything.
func (s *ORSet[T]) IsZero() bool { return s.k.isZero() }

// SetAutoGC installs an automatic collection policy (nil disables it).
func (s *ORSet[T]) SetAutoGC(a *AutoGC) { s.auto = a }

// TombstoneCount returns the removal metadata still held: out-of-order dots
// in the context's cloud (including removes that arrived before their adds)
// and pruning markers of departed replicas.
func (s *ORSet[T]) TombstoneCount() int { return s.k.tombstones() }

// GarbageCollect prunes departed replicas and forgets acknowledged markers
// following the protocol documented on GCOptions. The changes it makes are
// part of the next TakeDelta.
func (s *ORSet[T]) GarbageCollect(opts GCOptions) GCStats {
	delta := &ORSet[T]{}
	st := s.k.gc(opts, nil, &delta.k)
	if !delta.k.isZero() {
		if s.delta == nil {
			s.delta = delta
		} else {
			s.delta.k.join(&delta.k, nil)
		}
	}
	return st
}

// SeedDots implements DotSeeder.
func (s *ORSet[T]) SeedDots(r ReplicaID, floor uint64) { s.k.ctx.raise(r, floor) }

// MaxDot implements DotSeeder.
func (s *ORSet[T]) MaxDot(r ReplicaID) uint64 { return s.k.ctx.Next(r).Counter - 1 }
