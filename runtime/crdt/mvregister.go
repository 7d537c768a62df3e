package crdt

// MVRegister is a multi-value register: a write replaces the values the
// writer observed; concurrent writes are all kept until a later write
// replaces them. It is a dot store over a causal context, like ORSet, so its
// deltas need no causal delivery.
//
// The zero value is an empty register. Not safe for concurrent use.
type MVRegister[T comparable] struct {
	k     kernel[T, struct{}]
	delta *MVRegister[T]
}

// Set writes v on behalf of replica r and returns the delta.
func (m *MVRegister[T]) Set(r ReplicaID, v T) *MVRegister[T] {
	d := m.k.ctx.Next(r)
	delta := &MVRegister[T]{}
	delta.k.ctx.Add(d)
	for old := range m.k.dots {
		delta.k.ctx.Add(old)
	}
	delta.k.insert(d, v, struct{}{})
	m.k.join(&delta.k, nil)
	if m.delta == nil {
		m.delta = delta.Clone()
	} else {
		m.delta.k.join(&delta.k, nil)
	}
	return delta
}

// Values returns the concurrent values, ordered by the dots that wrote them
// (deterministic across replicas). A value written concurrently by two
// replicas appears once.
func (m *MVRegister[T]) Values() []T {
	var out []T
	seen := make(map[T]bool, len(m.k.keys))
	for _, d := range m.k.sortedDots() {
		v := m.k.dots[d].key
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

// Merge joins another replica's state (or a delta) into m.
func (m *MVRegister[T]) Merge(o *MVRegister[T]) { m.k.join(&o.k, nil) }

// MergeDelta joins a delta; a delta is a state, so this is Merge.
func (m *MVRegister[T]) MergeDelta(d *MVRegister[T]) { m.Merge(d) }

// TakeDelta returns the writes since the last call (nil if none).
func (m *MVRegister[T]) TakeDelta() *MVRegister[T] {
	d := m.delta
	m.delta = nil
	return d
}

// Equal reports whether both registers hold the same dots, values, context
// and markers.
func (m *MVRegister[T]) Equal(o *MVRegister[T]) bool { return m.k.equal(&o.k, nil) }

// Clone returns an independent copy without the pending delta.
func (m *MVRegister[T]) Clone() *MVRegister[T] { return &MVRegister[T]{k: m.k.clone(nil)} }

// IsZero reports whether the register has never seen a write.
func (m *MVRegister[T]) IsZero() bool { return m.k.isZero() }

// TombstoneCount returns out-of-order context dots and pruning markers.
func (m *MVRegister[T]) TombstoneCount() int { return m.k.tombstones() }

// GarbageCollect prunes departed replicas (see GCOptions).
func (m *MVRegister[T]) GarbageCollect(opts GCOptions) GCStats {
	delta := &MVRegister[T]{}
	st := m.k.gc(opts, nil, &delta.k)
	if !delta.k.isZero() {
		if m.delta == nil {
			m.delta = delta
		} else {
			m.delta.k.join(&delta.k, nil)
		}
	}
	return st
}

// SeedDots implements DotSeeder.
func (m *MVRegister[T]) SeedDots(r ReplicaID, floor uint64) { m.k.ctx.raise(r, floor) }

// MaxDot implements DotSeeder.
func (m *MVRegister[T]) MaxDot(r ReplicaID) uint64 { return m.k.ctx.Next(r).Counter - 1 }
