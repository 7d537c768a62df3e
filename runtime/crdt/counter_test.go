package crdt

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

// An increment past the top of an entry must not wrap it: a mutator must
// inflate the state, or replicas that saw the same updates disagree (the
// wrapped entry is smaller, so peers ignore it, and merging a peer's older
// state takes the increment back).
func TestGCounterEntrySaturatesInsteadOfWrapping(t *testing.T) {
	var a, b GCounter
	a.Inc("a", math.MaxUint64-1)
	b.Merge(&a)
	before := a.Clone()
	b.Merge(a.Inc("a", 5))
	require.Equal(t, uint64(math.MaxUint64), a.Entry("a"))
	require.True(t, a.Equal(&b), "replicas that saw the same increments differ")
	after := a.Clone()
	a.Merge(before)
	require.True(t, a.Equal(after), "merging an older state changed the counter")

	// folding a departed replica into the survivor saturates the same way
	var c GCounter
	c.Inc("x", math.MaxUint64-1)
	c.Inc("s", 7)
	c.GarbageCollect(GCOptions{Self: "s", Departed: []ReplicaID{"x"}})
	require.Equal(t, uint64(math.MaxUint64), c.Entry("s"))
}

func TestCounterValuesAtTheTopOfTheRange(t *testing.T) {
	var g GCounter
	g.Inc("a", 1<<63)
	g.Inc("b", 1<<63)
	require.Equal(t, uint64(math.MaxUint64), g.Value(), "a sum past the top saturates, it does not wrap to 0")

	// a PN-counter whose increments and decrements both pass 2^64 in total
	// still has the exact value
	var p PNCounter
	p.Add("a", math.MaxInt64)
	p.Add("b", math.MaxInt64)
	p.Add("c", 3)
	p.Add("a", math.MinInt64)
	p.Add("b", math.MinInt64)
	require.Equal(t, int64(1), p.Value())
}
