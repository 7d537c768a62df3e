package crdt

import "slices"

// kernel is the dot store shared by ORSet, MVRegister and ORMap (Almeida et
// al.'s "dot fun" over a causal context): each live dot carries a key and a
// payload; a dot the context has seen but the store lacks was removed.
type kernel[K comparable, P any] struct {
	dots   map[Dot]kentry[K, P]
	keys   map[K]dotList
	ctx    CausalContext
	pruned markers
	// pcount, when set, is the payloads' TombstoneCount, and ptombs their
	// sum, kept up to date by insert, del and join (ORMap's values). Nil
	// means not counted yet.
	pcount func(P) int
	ptombs int
}

type kentry[K comparable, P any] struct {
	key K
	val P
}

// payloadOps merges and clones payloads; nil for payload-free kernels.
type payloadOps[P any] struct {
	merge func(dst, src P)
	clone func(P) P
	equal func(a, b P) bool
}

func (k *kernel[K, P]) insert(d Dot, key K, val P) {
	if k.dots == nil {
		k.dots = map[Dot]kentry[K, P]{}
		k.keys = map[K]dotList{}
	}
	k.dots[d] = kentry[K, P]{key: key, val: val}
	if k.pcount != nil {
		k.ptombs += k.pcount(val)
	}
	ds := k.keys[key]
	ds.add(d)
	k.keys[key] = ds
}

func (k *kernel[K, P]) del(d Dot) {
	e, ok := k.dots[d]
	if !ok {
		return
	}
	delete(k.dots, d)
	if k.pcount != nil {
		k.ptombs -= k.pcount(e.val)
	}
	ds := k.keys[e.key]
	if ds.len() <= 1 { // the common case: d is the key's only dot
		delete(k.keys, e.key)
		return
	}
	ds.remove(d)
	k.keys[e.key] = ds
}

// join merges o into k. Its cost is proportional to o: removals are found by
// walking o's context when that is cheaper than walking k's store, so a small
// delta merges into a large state in time proportional to the delta.
func (k *kernel[K, P]) join(o *kernel[K, P], ops *payloadOps[P]) {
	for _, x := range k.pruned.adopt(o.pruned) {
		k.cleanup(x)
	}
	// Removals: dots k holds that o has seen but no longer holds.
	if o.ctx.dotCost() < uint64(len(k.dots)) {
		o.ctx.eachDot(func(d Dot) {
			if _, theirs := o.dots[d]; theirs { // o is small: look there first
				return
			}
			k.del(d)
		})
	} else {
		for d := range k.dots {
			if _, theirs := o.dots[d]; !theirs && o.ctx.Contains(d) {
				k.del(d)
			}
		}
	}
	// Additions: dots o holds that k has not seen (or holds too).
	for d, e := range o.dots {
		if k.pruned.has(d.Replica) {
			continue
		}
		if k.ctx.Contains(d) { // held already (store ⊆ context), or removed
			if ops != nil {
				if mine, ok := k.dots[d]; ok {
					if k.pcount != nil {
						k.ptombs -= k.pcount(mine.val)
					}
					ops.merge(mine.val, e.val)
					if k.pcount != nil {
						k.ptombs += k.pcount(mine.val)
					}
				}
			}
			continue
		}
		v := e.val
		if ops != nil {
			v = ops.clone(v)
		}
		k.insert(d, e.key, v)
	}
	k.mergeCtx(&o.ctx)
}

// mergeCtx merges o's context except the dots of pruned replicas.
func (k *kernel[K, P]) mergeCtx(o *CausalContext) {
	if len(k.pruned) == 0 {
		k.ctx.Merge(o)
		return
	}
	var skip bool
	for r := range k.pruned {
		if _, ok := o.vv[r]; ok {
			skip = true
		}
		if _, ok := o.cloud[r]; ok {
			skip = true
		}
	}
	if !skip {
		k.ctx.Merge(o)
		return
	}
	c := o.Clone()
	for r := range k.pruned {
		c.forget(r)
	}
	k.ctx.Merge(&c)
}

// cleanup drops every dot of the pruned replica x, from store and context.
func (k *kernel[K, P]) cleanup(x ReplicaID) int {
	n := 0
	for d := range k.dots {
		if d.Replica == x {
			k.del(d)
			n++
		}
	}
	return n + k.ctx.forget(x)
}

// prune folds departed replica x into self: every key holding a dot of x
// collapses to one fresh dot of self (see collapse), x's context entries are
// dropped and the marker x→self recorded. The same changes are applied to
// delta so they replicate. It returns the number of metadata entries
// removed.
func (k *kernel[K, P]) prune(x, self ReplicaID, ops *payloadOps[P], delta *kernel[K, P]) int {
	var moved []K
	for key, ds := range k.keys {
		for d := range ds.all {
			if d.Replica == x {
				moved = append(moved, key)
				break
			}
		}
	}
	n := 0
	for _, key := range moved {
		n += k.collapse(key, self, x, ops, delta)
	}
	n += k.ctx.forget(x)
	if k.pruned == nil {
		k.pruned = markers{}
	}
	k.pruned[x] = self
	delta.pruned.adopt(markers{x: self})
	return n
}

// collapse replaces all dots of key by one fresh dot of self carrying the
// merged payload, as if self had rewritten the key, and records that in
// delta (dots of x, being pruned, are left to the marker). It returns the
// number of x's dots dropped.
func (k *kernel[K, P]) collapse(key K, self, x ReplicaID, ops *payloadOps[P], delta *kernel[K, P]) int {
	ds := k.keys[key].slice()
	var val P
	for i, d := range ds {
		v := k.dots[d].val
		switch {
		case ops == nil:
		case i == 0:
			val = ops.clone(v)
		default:
			ops.merge(val, v)
		}
	}
	n := 0
	for _, d := range ds {
		k.del(d)
		if d.Replica == x {
			n++
		} else {
			delta.ctx.Add(d)
		}
	}
	nd := k.ctx.Next(self)
	k.ctx.Add(nd)
	k.insert(nd, key, val)
	delta.ctx.Add(nd)
	dv := val
	if ops != nil {
		dv = ops.clone(val)
	}
	delta.insert(nd, key, dv)
	return n
}

// gc runs the kernel part of GarbageCollect.
func (k *kernel[K, P]) gc(opts GCOptions, ops *payloadOps[P], delta *kernel[K, P]) GCStats {
	var st GCStats
	for _, x := range opts.Departed {
		if x == opts.Self || k.pruned.has(x) {
			continue
		}
		seen := k.ctx.Next(x).Counter - 1
		if opts.Stable != nil && opts.Stable[x] < seen {
			st.Deferred++
			continue
		}
		st.Pruned += k.prune(x, opts.Self, ops, delta)
	}
	st.Forgotten += k.pruned.forget(opts.Forget)
	return st
}

func (k *kernel[K, P]) tombstones() int { return k.ctx.CloudSize() + len(k.pruned) }

func (k *kernel[K, P]) clone(ops *payloadOps[P]) kernel[K, P] {
	out := kernel[K, P]{ctx: k.ctx.Clone(), pruned: k.pruned.clone(), pcount: k.pcount, ptombs: k.ptombs}
	if len(k.dots) > 0 {
		out.dots = make(map[Dot]kentry[K, P], len(k.dots))
		out.keys = make(map[K]dotList, len(k.keys))
		for d, e := range k.dots {
			if ops != nil {
				e.val = ops.clone(e.val)
			}
			out.dots[d] = e
		}
		for key, ds := range k.keys {
			out.keys[key] = ds.clone()
		}
	}
	return out
}

func (k *kernel[K, P]) equal(o *kernel[K, P], ops *payloadOps[P]) bool {
	if len(k.dots) != len(o.dots) || !k.ctx.Equal(&o.ctx) || !k.pruned.equal(o.pruned) {
		return false
	}
	for d, e := range k.dots {
		oe, ok := o.dots[d]
		if !ok || oe.key != e.key {
			return false
		}
		if ops != nil && !ops.equal(e.val, oe.val) {
			return false
		}
	}
	return true
}

func (k *kernel[K, P]) isZero() bool {
	return len(k.dots) == 0 && k.ctx.IsZero() && len(k.pruned) == 0
}

// sortedDots returns the live dots in order.
func (k *kernel[K, P]) sortedDots() []Dot {
	ds := make([]Dot, 0, len(k.dots))
	for d := range k.dots {
		ds = append(ds, d)
	}
	slices.SortFunc(ds, Dot.Compare)
	return ds
}
