package crdt

import (
	"fmt"
	"maps"
)

// Value is what an ORMap value's pointer type must implement: every CRDT of
// this package (*PNCounter, *ORSet[string], ...) and every generated record.
type Value[V any] interface {
	Merge(o *V)
	Equal(o *V) bool
	Clone() *V
	TakeDelta() *V
	TombstoneCount() int
	GarbageCollect(opts GCOptions) GCStats
}

// valueOf returns v's Value methods. An ORMap whose *V lacks them is a
// programming error (crdtgen refuses such schemas), reported by a panic on
// first use, like a misused sync.Mutex.
func valueOf[V any](v *V) Value[V] {
	m, ok := any(v).(Value[V])
	if !ok {
		panic(fmt.Sprintf("crdt: ORMap value type %T does not implement crdt.Value", v))
	}
	return m
}

func mapOps[V any]() *payloadOps[*V] {
	return &payloadOps[*V]{
		merge: func(dst, src *V) { valueOf(dst).Merge(src) },
		clone: func(v *V) *V { return valueOf(v).Clone() },
		equal: func(a, b *V) bool { return valueOf(a).Equal(b) },
	}
}

// ORMap is an observed-remove map from keys to CRDT values (records or
// CRDTs of this package), add-wins on keys like ORSet.
//
// Each Update writes the key's whole merged value under a fresh dot whose
// context covers the key's previous dots; concurrent updates leave one dot
// each, and reading merges their values. Remove drops the dots (and values)
// this replica observed.
//
// Concurrent Update and Remove of the same key: the update wins. The key
// stays, with the value the updater wrote: everything the updater had seen of
// the key plus its change (the remover's removal of that older content does
// not apply, it was not observed by the update). A key removed and later
// re-added starts from an empty value: stale states carrying the old dots
// are ignored by the context, so removed content never returns.
//
// Limitation: counters inside values keep one entry per replica, which
// does not tell incarnations of a key apart. When replica a removes and
// re-creates a key while b concurrently updates the old incarnation, a's
// new counter entry merges by maximum with its entry in b's value, so the
// smaller of the two contributions of a is lost (riak_dt's embedded
// counters key entries by dot to avoid this). Dot-based values (sets,
// registers, maps) are not affected (see DotSeeder).
//
// Deltas are ORMaps carrying the updated keys' full values; they need no
// causal delivery. The zero value is an empty map. Not safe for concurrent
// use.
type ORMap[K comparable, V any] struct {
	k kernel[K, *V]
	// hw is, per replica, the highest dot that replica used inside any value
	// (merged by maximum), so a value re-created after a remove never reuses
	// a dot still alive in a concurrent incarnation (see DotSeeder).
	hw    map[ReplicaID]uint64
	delta *ORMap[K, V]
	auto  *AutoGC
}

// DotSeeder is implemented by the dot-based CRDTs (ORSet, MVRegister,
// ORMap) and by generated records that contain one. ORMap.Update seeds a
// value with the replica's high-water dot before the update, so the dots a
// replica creates inside values are unique across the whole map, even when
// a removed key is re-created while an older incarnation survives
// concurrently elsewhere. Seeding marks r's dots up to floor as seen: a
// re-created value observes (and so removes) what its replica removed.
type DotSeeder interface {
	// SeedDots makes every dot of r up to floor count as seen.
	SeedDots(r ReplicaID, floor uint64)
	// MaxDot returns the highest dot counter of r seen.
	MaxDot(r ReplicaID) uint64
}

// SeedDots implements DotSeeder.
func (m *ORMap[K, V]) SeedDots(r ReplicaID, floor uint64) {
	m.k.ctx.raise(r, floor)
	m.raiseHW(r, floor)
}

// MaxDot implements DotSeeder.
func (m *ORMap[K, V]) MaxDot(r ReplicaID) uint64 { return max(m.k.ctx.Next(r).Counter-1, m.hw[r]) }

func (m *ORMap[K, V]) raiseHW(r ReplicaID, n uint64) bool {
	if n <= m.hw[r] || m.k.pruned.has(r) {
		return false
	}
	if m.hw == nil {
		m.hw = map[ReplicaID]uint64{}
	}
	m.hw[r] = n
	return true
}

// Get returns the value of key (nil when absent). With one writer the result
// is the stored value: read it, never modify it (use Update). With
// concurrent writers it is their merge.
func (m *ORMap[K, V]) Get(key K) *V {
	ds := m.k.keys[key]
	switch ds.len() {
	case 0:
		return nil
	case 1:
		return m.k.dots[ds.first].val
	}
	v := valueOf(m.k.dots[ds.first].val).Clone()
	for _, d := range ds.rest() {
		valueOf(v).Merge(m.k.dots[d].val)
	}
	return v
}

// Contains reports whether key is present.
func (m *ORMap[K, V]) Contains(key K) bool {
	_, ok := m.k.keys[key]
	return ok
}

// Len returns the number of keys.
func (m *ORMap[K, V]) Len() int { return len(m.k.keys) }

// Keys returns the keys in unspecified order.
func (m *ORMap[K, V]) Keys() []K {
	out := make([]K, 0, len(m.k.keys))
	for key := range m.k.keys {
		out = append(out, key)
	}
	return out
}

// Update applies fn to key's value (an empty V when absent) on behalf of
// replica r, and returns the delta. fn receives a private copy; the CRDT
// mutators it calls should use the same replica r.
func (m *ORMap[K, V]) Update(r ReplicaID, key K, fn func(v *V)) *ORMap[K, V] {
	var v *V
	if cur := m.Get(key); cur != nil {
		v = valueOf(cur).Clone()
	} else {
		v = new(V)
	}
	seeder, _ := any(v).(DotSeeder)
	if seeder != nil {
		seeder.SeedDots(r, m.hw[r])
	}
	fn(v)
	valueOf(v).TakeDelta() // the map replicates whole values
	d := m.k.ctx.Next(r)
	delta := &ORMap[K, V]{}
	if seeder != nil {
		if mx := seeder.MaxDot(r); mx > m.hw[r] {
			delta.hw = map[ReplicaID]uint64{r: mx}
		}
	}
	delta.k.ctx.Add(d)
	for old := range m.k.keys[key].all {
		delta.k.ctx.Add(old)
	}
	delta.k.insert(d, key, v)
	m.apply(delta)
	return delta
}

// Remove deletes key and its value (as observed here) and returns the
// delta, or nil when key is absent.
func (m *ORMap[K, V]) Remove(key K) *ORMap[K, V] {
	ds := m.k.keys[key]
	if ds.len() == 0 {
		return nil
	}
	delta := &ORMap[K, V]{}
	for d := range ds.all {
		delta.k.ctx.Add(d)
	}
	m.apply(delta)
	return delta
}

func (m *ORMap[K, V]) apply(delta *ORMap[K, V]) {
	m.join(delta)
	if m.delta == nil {
		m.delta = delta.Clone()
	} else {
		m.delta.join(delta)
	}
}

func (m *ORMap[K, V]) join(o *ORMap[K, V]) {
	m.countValues()
	m.k.join(&o.k, mapOps[V]())
	for r, n := range o.hw {
		m.raiseHW(r, n)
	}
	for x := range m.k.pruned {
		delete(m.hw, x)
	}
}

// Merge joins another replica's state (or a delta) into m.
func (m *ORMap[K, V]) Merge(o *ORMap[K, V]) {
	m.join(o)
	if m.auto.due(m.k.tombstones()) {
		m.auto.Runs++
		m.GarbageCollect(m.auto.Options())
	}
}

// MergeDelta joins a delta; a delta is a state, so this is Merge. Its cost
// is proportional to the delta.
func (m *ORMap[K, V]) MergeDelta(d *ORMap[K, V]) { m.Merge(d) }

// TakeDelta returns what the mutators changed since the last call (nil when
// nothing did).
func (m *ORMap[K, V]) TakeDelta() *ORMap[K, V] {
	d := m.delta
	m.delta = nil
	return d
}

// Equal reports whether both maps hold the same dots, values, context and
// markers.
func (m *ORMap[K, V]) Equal(o *ORMap[K, V]) bool {
	return m.k.equal(&o.k, mapOps[V]()) && mapsEqualNonZero(m.hw, o.hw)
}

// Clone returns an independent deep copy without the pending delta.
func (m *ORMap[K, V]) Clone() *ORMap[K, V] {
	return &ORMap[K, V]{k: m.k.clone(mapOps[V]()), hw: maps.Clone(m.hw), auto: m.auto}
}

// IsZero reports whether the map has never seen anything.
func (m *ORMap[K, V]) IsZero() bool { return m.k.isZero() && len(m.hw) == 0 }

// SetAutoGC installs an automatic collection policy (nil disables it). The
// check after a merge looks at the map's own metadata (cloud dots and
// markers), which it keeps in O(1); values are collected with the map.
func (m *ORMap[K, V]) SetAutoGC(a *AutoGC) { m.auto = a }

// TombstoneCount returns the map's out-of-order context dots and pruning
// markers plus the TombstoneCount of every stored value. Once the map has
// merged or been updated, the values' sum is kept up to date as their
// changes go through the map, so this costs O(1), not the map's size
// (records with AutoGC check it after every merge). It only reads the map.
func (m *ORMap[K, V]) TombstoneCount() int {
	if m.k.pcount != nil {
		return m.k.tombstones() + m.k.ptombs
	}
	return m.k.tombstones() + m.sumValueTombstones()
}

func (m *ORMap[K, V]) sumValueTombstones() int {
	n := 0
	for _, e := range m.k.dots {
		n += valueTombstones(e.val)
	}
	return n
}

func valueTombstones[V any](v *V) int { return valueOf(v).TombstoneCount() }

// countValues starts keeping the values' TombstoneCount sum (see
// TombstoneCount), once.
func (m *ORMap[K, V]) countValues() {
	if m.k.pcount == nil {
		m.k.ptombs = m.sumValueTombstones()
		m.k.pcount = valueTombstones[V]
	}
}

// pruning reports whether opts prunes a replica not yet pruned here.
func (m *ORMap[K, V]) pruning(opts GCOptions) bool {
	for _, x := range opts.Departed {
		if x != opts.Self && !m.k.pruned.has(x) {
			return true
		}
	}
	return false
}

// GarbageCollect prunes departed replicas from the keys' dots (values move
// to fresh dots of opts.Self) and from every value, and forgets acknowledged
// markers (see GCOptions). Values changed by the collection are part of the
// next TakeDelta under their unchanged dots.
func (m *ORMap[K, V]) GarbageCollect(opts GCOptions) GCStats {
	ops := mapOps[V]()
	delta := &ORMap[K, V]{}
	if m.pruning(opts) {
		// Values pruned one dot at a time would not fold exactly under the
		// read-merge of concurrent values: collapse each key to one value
		// first.
		for key, ds := range m.k.keys {
			if ds.len() > 1 {
				m.k.collapse(key, opts.Self, "", ops, &delta.k)
			}
		}
	}
	before := len(m.k.pruned)
	st := m.k.gc(opts, ops, &delta.k)
	// A replica newly pruned here is pruned (or marked) in every value too:
	// the delta carries every value, as the full state would, or a peer
	// merging only the delta would keep values the pruner changed.
	fresh := len(m.k.pruned)+st.Forgotten > before
	for x := range m.k.pruned {
		if _, ok := m.hw[x]; ok {
			delete(m.hw, x)
			st.Pruned++
		}
	}
	for d, e := range m.k.dots {
		vs := valueOf(e.val).GarbageCollect(opts)
		valueOf(e.val).TakeDelta()
		if seeder, ok := any(e.val).(DotSeeder); ok && m.raiseHW(opts.Self, seeder.MaxDot(opts.Self)) {
			if delta.hw == nil {
				delta.hw = map[ReplicaID]uint64{}
			}
			delta.hw[opts.Self] = m.hw[opts.Self]
		}
		if vs.Pruned > 0 || fresh {
			// after the value's collection: a key collapsed above put
			// the value in the delta as it was before
			delta.k.ctx.Add(d)
			if _, ok := delta.k.dots[d]; ok {
				delta.k.dots[d] = kentry[K, *V]{key: e.key, val: valueOf(e.val).Clone()}
			} else {
				delta.k.insert(d, e.key, valueOf(e.val).Clone())
			}
		}
		st = st.Add(vs)
	}
	// the values changed in place: count them again
	m.k.pcount, m.k.ptombs = valueTombstones[V], m.sumValueTombstones()
	if !delta.k.isZero() {
		if m.delta == nil {
			m.delta = delta
		} else {
			m.delta.join(delta)
		}
	}
	return st
}
