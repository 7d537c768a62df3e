package crdt_test

import (
	"fmt"
	"slices"

	"github.com/dwsdk/distributed/runtime/crdt"
)

// Two replicas edit a set concurrently and exchange deltas.
func ExampleORSet() {
	var a, b crdt.ORSet[string]
	a.Add("a", "orders")
	a.Add("a", "events")
	b.MergeDelta(a.TakeDelta())

	b.Remove("events")      // b removes what it has seen
	a.Add("a", "customers") // while a adds
	wire := a.TakeDelta().AppendTo(nil, crdt.StringCodec)

	var d crdt.ORSet[string]
	dec := crdt.NewDecoder(wire, "ORSet", 0)
	d.DecodeFrom(dec, crdt.StringCodec)
	if err := dec.Err(); err != nil {
		panic(err)
	}
	b.MergeDelta(&d)
	a.MergeDelta(b.TakeDelta())

	ea, eb := a.Elements(), b.Elements()
	slices.Sort(ea)
	slices.Sort(eb)
	fmt.Println(ea, eb, a.Equal(&b), a.TombstoneCount())
	// Output: [customers orders] [customers orders] true 0
}

// A departed replica's counter contribution moves to a survivor.
func ExamplePNCounter_GarbageCollect() {
	var a, x crdt.PNCounter
	x.Add("x", 5)
	a.Add("a", 2)
	a.Merge(&x)
	st := a.GarbageCollect(crdt.GCOptions{Self: "a", Departed: []crdt.ReplicaID{"x"}})
	a.Merge(&x) // a stale state of x cannot count twice
	fmt.Println(a.Value(), st.Pruned, a.P.Entry("a"))
	// Output: 7 1 7
}
