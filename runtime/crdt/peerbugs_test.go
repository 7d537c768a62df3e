package crdt

import (
	"math"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// Regression tests for bugs filed against peer CRDT libraries (riak_dt,
// Akka Distributed Data, delta-CRDT libraries). Each names its upstream
// report; each scenario runs here against our types.

func sortedElems(s *ORSet[string]) []string {
	out := s.Elements()
	slices.Sort(out)
	return out
}

// basho/riak_dt#82 (and #78): an element added on two replicas and removed
// on both, each removal observing only part of the adds, stayed in the set
// because "it is on both sides of the merge".
func TestPeerRiakDT82RemovedOnBothSidesStaysRemoved(t *testing.T) {
	var a, b, c ORSet[string]
	a.Add("a", "x")
	b.Add("b", "x")
	c.Merge(&a)    // rep a to c
	a.Remove("x")  // a removes its own add
	a.Merge(&b)    // rep b to a: x back, by b's add
	b.Remove("x")  // b removes its own add
	m := a.Clone() // merge(b, merge(a, c))
	m.Merge(&c)
	b.Merge(m)
	require.Equal(t, []string(nil), nilIfEmpty(sortedElems(&b)), "x was removed everywhere")
	m.Merge(&b)
	require.True(t, m.Equal(&b))
}

func nilIfEmpty(xs []string) []string {
	if len(xs) == 0 {
		return nil
	}
	return xs
}

// akka/akka#22648 (ORMultiMap delta issue for remove): m1 binds b→B1, m2
// binds b→B2 and removes b; the delta merge kept B2 while the full merge
// dropped it.
func TestPeerAkka22648MapRemoveDeltaEqualsFullMerge(t *testing.T) {
	type M = ORMap[string, ORSet[string]]
	var m1, m2 M
	m1.Update("n1", "b", func(s *ORSet[string]) { s.Add("n1", "B1") })
	m2.Update("n2", "b", func(s *ORSet[string]) { s.Add("n2", "B2") })
	m2.Remove("b")
	d1, d2 := m1.TakeDelta(), m2.TakeDelta()
	for _, tc := range []struct {
		name     string
		dst, src *M
	}{
		{"m1 merge m2", m1.Clone(), &m2},
		{"m2 merge m1", m2.Clone(), &m1},
		{"m1 mergeDelta m2", m1.Clone(), d2},
		{"m2 mergeDelta m1", m2.Clone(), d1},
	} {
		tc.dst.MergeDelta(tc.src)
		require.Equal(t, []string{"b"}, tc.dst.Keys(), tc.name)
		require.Equal(t, []string{"B1"}, sortedElems(tc.dst.Get("b")), tc.name)
	}
}

// akka/akka#22890 and #22631 (ORSet.mergeRemoveDelta raised the version
// vector to the remover's whole vector): a remove delta from a replica that
// had seen more than the receiver made later-arriving adds look removed.
// Our remove delta's context is exactly the removed dots.
func TestPeerAkka22890RemoveDeltaCarriesOnlyRemovedDots(t *testing.T) {
	var a, b, c ORSet[string]
	adds := []*ORSet[string]{a.Add("a", "x"), a.Add("a", "y"), a.Add("a", "z")}
	b.Merge(&a) // b has seen a:1..3
	rm := b.Remove("x")
	require.Equal(t, VersionVector{"a": 1}, rm.Context(), "the delta claims only the removed dot")

	c.MergeDelta(rm) // c gets the remove first, then the adds, reordered
	for _, i := range []int{2, 0, 1} {
		c.MergeDelta(adds[i])
	}
	require.Equal(t, []string{"y", "z"}, sortedElems(&c))
	require.Zero(t, c.TombstoneCount(), "the cloud folded once the gap filled")
}

// derekkraan/delta_crdt_ex#65: a partial delta compressed its context to
// "everything up to dot n", so a receiver dropped keys the sender had added
// earlier but not included. Every delta here, from every mutator and from
// TakeDelta, carries exact dots.
func TestPeerDeltaCrdtEx65DeltaDoesNotClaimUnsentDots(t *testing.T) {
	t.Run("ORSet", func(t *testing.T) {
		var a, b ORSet[string]
		b.MergeDelta(a.Add("a", "y"))
		a.TakeDelta() // y shipped
		a.Add("a", "z")
		a.Remove("z")
		a.Add("a", "w")
		b.MergeDelta(a.TakeDelta())
		require.Equal(t, []string{"w", "y"}, sortedElems(&b))
	})
	t.Run("ORMap", func(t *testing.T) {
		var a, b ORMap[string, PNCounter]
		a.Update("a", "y", func(c *PNCounter) { c.Add("a", 1) })
		b.MergeDelta(a.TakeDelta())
		a.Update("a", "z", func(c *PNCounter) { c.Add("a", 2) })
		a.Remove("z")
		a.Update("a", "w", func(c *PNCounter) { c.Add("a", 3) })
		b.MergeDelta(a.TakeDelta())
		ks := b.Keys()
		slices.Sort(ks)
		require.Equal(t, []string{"w", "y"}, ks)
	})
	t.Run("MVRegister", func(t *testing.T) {
		var a, b, c MVRegister[string]
		c.Set("c", "from-c")
		b.Merge(&c)
		a.Set("a", "v1")
		a.TakeDelta()
		a.Set("a", "v2") // replaces v1 only: a never saw c's write
		b.MergeDelta(a.TakeDelta())
		require.Equal(t, []string{"v2", "from-c"}, b.Values())
	})
}

// basho/riak_dt#113 (#99): a remove that arrived before its add ("deferred")
// was cleared when the entry was removed again, so the add came back. Here
// the early remove is a cloud dot of the context, and nothing but pruning of
// its replica drops it.
func TestPeerRiakDT113EarlyRemoveIsNotForgotten(t *testing.T) {
	var a, b, c ORSet[string]
	pre := a.Add("a", "pre")
	add := a.Add("a", "x") // dot a:2, above c's gap
	b.Merge(&a)
	rm := b.Remove("x")
	c.MergeDelta(rm) // the remove overtakes the add
	require.Equal(t, 1, c.TombstoneCount())
	c.Add("c", "x")
	c.Remove("x") // c removes its own x: the early remove must survive
	c.GarbageCollect(GCOptions{Self: "c"})
	c.MergeDelta(add)
	c.MergeDelta(pre)
	require.False(t, c.Contains("x"), "the add the early remove removed came back")
	require.Equal(t, []string{"pre"}, sortedElems(&c))

	// the same for map keys
	var ma, mb, mc ORMap[string, ORSet[string]]
	up := ma.Update("a", "k", func(s *ORSet[string]) { s.Add("a", "v") })
	mb.Merge(&ma)
	mc.MergeDelta(mb.Remove("k"))
	mc.Update("c", "k", func(s *ORSet[string]) { s.Add("c", "w") })
	mc.Remove("k")
	mc.MergeDelta(up)
	require.False(t, mc.Contains("k"))
}

// apple/swift-distributed-actors#210: merging another replica's delta reset
// the local pending delta, so local updates never left the node. Merge and
// MergeDelta must leave TakeDelta's content alone.
func TestPeerSwiftDA210MergeKeepsPendingDelta(t *testing.T) {
	var a, b ORSet[string]
	b.Add("b", "from-b")
	a.Add("a", "mine")
	a.Merge(&b)
	a.MergeDelta(b.TakeDelta())
	var peer ORSet[string]
	peer.MergeDelta(a.TakeDelta())
	require.True(t, peer.Contains("mine"))

	var c, d PNCounter
	c.Add("c", 5)
	d.Add("d", 7)
	c.Merge(&d)
	var pc PNCounter
	pc.MergeDelta(c.TakeDelta())
	require.Equal(t, int64(5), pc.Value())
}

// jemc/pony-crdt#4 and rust-crdt/rust-crdt#30: counters that wrap on
// overflow diverge (a wrapped entry is smaller, so max-merge drops it). The
// entry saturates (see TestGCounterEntrySaturatesInsteadOfWrapping); the
// most negative int64 decrements by exactly its magnitude.
func TestPeerPonyCRDT4PNCounterMinInt64(t *testing.T) {
	var c PNCounter
	c.Add("a", math.MinInt64)
	require.Equal(t, int64(math.MinInt64), c.Value())
	require.Equal(t, uint64(1)<<63, c.N.Entry("a"))
	c.Add("a", math.MaxInt64)
	require.Equal(t, int64(-1), c.Value())
}

// pathosDev/actor-ts#950, CBaquero/delta-enabled-crdts#7: two writes with
// the same timestamp and the same writer (a replica restarted with its wall
// clock stepped back, or two callers of Set with event timestamps) made
// merge keep whichever side it was called on, so replicas that saw them in
// different orders kept different values for ever, and Equal (hence the
// digests anti-entropy compares) never agreed.
func TestPeerActorTS950LWWSameTimestampAndWriterConverges(t *testing.T) {
	var x, y LWWRegister[string]
	x.Set("a", 10, "before-restart")
	y.Set("a", 10, "after-restart")
	xy, yx := mergeBothWays(&x, &y)
	require.Equal(t, xy.Get(), yx.Get(), "merge must not depend on the order")
	require.True(t, xy.Equal(yx))

	var p, q LWWRegister[int64]
	p.Set("a", 7, -1)
	q.Set("a", 7, 3)
	pq, qp := mergeBothWays(&p, &q)
	require.True(t, pq.Equal(qp), "%d vs %d", pq.Get(), qp.Get())
}

// akkadotnet/akka.net#8219 (fixed by #8220: propagate the full state while
// PruningPerformed is present): a delta carried the pruning marker without
// the pruned data, and a peer that merged it held different values from the
// pruner. Our pruning delta must leave a peer that merges only it equal to
// the pruner: the map's delta carried each collapsed key's value as it was
// before the value itself was pruned, and left out values that only gained
// the marker, so delta-only peers disagreed until a full-state exchange.
func TestPeerAkkaNet8219PruningDeltaEqualsPrunedState(t *testing.T) {
	t.Run("ORMap of ORSet", func(t *testing.T) {
		var a, x ORMap[string, ORSet[string]]
		a.Update("a", "k1", func(s *ORSet[string]) { s.Add("a", "v1") })
		x.Update("x", "k2", func(s *ORSet[string]) { s.Add("x", "v2") })
		a.Merge(&x)
		a.TakeDelta()
		peer := a.Clone()
		a.GarbageCollect(GCOptions{Self: "a", Departed: []ReplicaID{"x"}})
		peer.MergeDelta(a.TakeDelta())
		require.True(t, peer.Equal(&a), "a peer that merged the pruning delta differs from the pruner")
		peer.Merge(&x) // the departed replica's stale state changes nothing
		require.True(t, peer.Equal(&a))
	})
	t.Run("ORMap of PNCounter", func(t *testing.T) {
		var a, x ORMap[string, PNCounter]
		a.Update("a", "k1", func(c *PNCounter) { c.Add("a", 1) })
		x.Update("x", "k2", func(c *PNCounter) { c.Add("x", 2) })
		x.Update("x", "k1", func(c *PNCounter) { c.Add("x", 3) }) // concurrent with a's k1
		a.Merge(&x)
		a.TakeDelta()
		peer := a.Clone()
		a.GarbageCollect(GCOptions{Self: "a", Departed: []ReplicaID{"x"}})
		peer.MergeDelta(a.TakeDelta())
		require.True(t, peer.Equal(&a), "a peer that merged the pruning delta differs from the pruner")
		require.Equal(t, int64(4), peer.Get("k1").Value())
		require.Equal(t, int64(2), peer.Get("k2").Value())
	})
}

// basho/riak_kv#761: removing an element of a nested set is an update of the
// map field, so it must win over a concurrent removal of the field (riak let
// the field remove win when the map's clock dominated the field's dot).
func TestPeerRiakKV761NestedRemoveIsAnUpdateOfTheField(t *testing.T) {
	var a, b ORMap[string, ORSet[string]]
	a.Update("a", "k", func(s *ORSet[string]) { s.Add("a", "e1"); s.Add("a", "e2") })
	a.Update("a", "other", func(s *ORSet[string]) { s.Add("a", "o") })
	b.Merge(&a)
	a.Update("a", "other", func(s *ORSet[string]) { s.Add("a", "o2") }) // a's clock moves on
	a.Remove("k")                                                       // a removes the field
	b.Update("b", "k", func(s *ORSet[string]) { s.Remove("e1") })       // b concurrently removes e1 in it
	ab, ba := a.Clone(), b.Clone()
	ab.Merge(&b)
	ba.Merge(&a)
	require.True(t, ab.Equal(ba))
	require.True(t, ab.Contains("k"), "the nested remove is an update: it wins over the field remove")
	require.Equal(t, []string{"e2"}, sortedElems(ab.Get("k")))
}
