package crdt

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestORSetTombstonesRiseAndGCReclaims: a replica's deltas arrive out of
// order and the one that would fill the gap is lost when it leaves; its
// dots wait in the context (TombstoneCount rises) until pruning reclaims
// them, and forgetting the acknowledged marker brings the count to zero.
func TestORSetTombstonesRiseAndGCReclaims(t *testing.T) {
	var x, a ORSet[string]
	var deltas []*ORSet[string]
	for i := range 50 {
		x.Add("x", fmt.Sprint("e", i))
		if i%10 == 9 {
			x.Remove(fmt.Sprint("e", i-5))
		}
		deltas = append(deltas, x.TakeDelta())
	}
	for _, d := range deltas[1:] { // the first delta is lost
		a.MergeDelta(d)
	}
	require.Equal(t, 49, a.TombstoneCount(), "every dot above the gap waits in the cloud")
	before := a.Elements()

	st := a.GarbageCollect(GCOptions{Self: "a", Departed: []ReplicaID{"x"}})
	require.Equal(t, 1, a.TombstoneCount(), "only the pruning marker is left")
	require.Positive(t, st.Pruned)
	require.ElementsMatch(t, before, a.Elements(), "pruning changed the set")

	// the departed replica's stale state cannot resurrect what it removed
	a.Remove("e1")
	a.Merge(&x)
	require.False(t, a.Contains("e1"))
	require.False(t, a.Contains("e0"), "e0's add was lost with the departed replica")

	st = a.GarbageCollect(GCOptions{Self: "a", Forget: []ReplicaID{"x"}})
	require.Equal(t, 1, st.Forgotten)
	require.Zero(t, a.TombstoneCount())
}

// TestORSetCloudFoldsWhenGapsFill: out-of-order dots are reclaimed by the
// merge that fills the gap, without a collection.
func TestORSetCloudFoldsWhenGapsFill(t *testing.T) {
	var b, a ORSet[string]
	b.Add("b", "1")
	first := b.TakeDelta()
	b.Add("b", "2")
	b.Add("b", "3")
	a.MergeDelta(b.TakeDelta())
	require.Equal(t, 2, a.TombstoneCount())
	a.MergeDelta(first)
	require.Zero(t, a.TombstoneCount())
	require.True(t, a.Equal(&b))
}

func TestORSetPruningWaitsForStability(t *testing.T) {
	var x, a ORSet[string]
	x.Add("x", "e")
	x.Add("x", "f")
	a.Merge(&x)
	st := a.GarbageCollect(GCOptions{Self: "a", Departed: []ReplicaID{"x"}, Stable: VersionVector{"x": 1}})
	require.Equal(t, 1, st.Deferred, "some replica has not seen x:2 yet")
	require.Zero(t, a.TombstoneCount())
	st = a.GarbageCollect(GCOptions{Self: "a", Departed: []ReplicaID{"x"}, Stable: VersionVector{"x": 2}})
	require.Zero(t, st.Deferred)
	require.Equal(t, 1, a.TombstoneCount())
	require.ElementsMatch(t, []string{"e", "f"}, a.Elements())
	require.Equal(t, VersionVector{"a": 2}, a.Context(), "x's entry is gone, its elements moved to a")
}

func TestORSetAutoGC(t *testing.T) {
	var y, a ORSet[string]
	auto := &AutoGC{Threshold: 20, Options: func() GCOptions {
		return GCOptions{Self: "a", Departed: []ReplicaID{"y"}}
	}}
	a.SetAutoGC(auto)
	y.Add("y", "lost")
	y.TakeDelta()
	for i := range 21 { // y's last updates, then y leaves
		y.Add("y", fmt.Sprint(i))
		a.MergeDelta(y.TakeDelta())
		if i < 20 {
			require.Equal(t, i+1, a.TombstoneCount())
			require.Zero(t, auto.Runs)
		}
	}
	require.Equal(t, 1, auto.Runs, "the merge that passed the threshold collected")
	require.Equal(t, 1, a.TombstoneCount(), "only the marker is left")
	require.Equal(t, 21, a.Len())
}

func TestORMapTombstonesRiseAndGCReclaims(t *testing.T) {
	var x, a ORMap[string, LWWRegister[string]]
	var deltas []*ORMap[string, LWWRegister[string]]
	for i := range 40 {
		x.Update("x", fmt.Sprint("k", i), func(r *LWWRegister[string]) { r.Set("x", Timestamp(i+1), "v") })
		deltas = append(deltas, x.TakeDelta())
	}
	for _, d := range deltas[1:] { // the first is lost
		a.MergeDelta(d)
	}
	require.Equal(t, 39, a.TombstoneCount())
	a.GarbageCollect(GCOptions{Self: "a", Departed: []ReplicaID{"x"}})
	require.Equal(t, 1, a.TombstoneCount(), "the marker")
	require.Equal(t, 39, a.Len())
	a.GarbageCollect(GCOptions{Self: "a", Forget: []ReplicaID{"x"}})
	require.Zero(t, a.TombstoneCount())
}

// TestORMapNestedMarkers: values that held data of the departed replica
// keep a marker each until it is forgotten.
func TestORMapNestedMarkers(t *testing.T) {
	var x, a ORMap[string, ORSet[string]]
	var deltas []*ORMap[string, ORSet[string]]
	for i := range 40 {
		x.Update("x", fmt.Sprint("k", i%10), func(s *ORSet[string]) { s.Add("x", fmt.Sprint(i)) })
		deltas = append(deltas, x.TakeDelta())
	}
	for i := len(deltas) - 1; i >= 0; i-- { // newest first
		a.MergeDelta(deltas[i])
	}
	require.Zero(t, a.TombstoneCount(), "later deltas carry the earlier dots")
	want := map[string][]string{}
	for _, k := range a.Keys() {
		want[k] = a.Get(k).Elements()
	}
	a.GarbageCollect(GCOptions{Self: "a", Departed: []ReplicaID{"x"}})
	require.Equal(t, 11, a.TombstoneCount(), "the map's marker and one in each value")
	a.GarbageCollect(GCOptions{Self: "a", Forget: []ReplicaID{"x"}})
	require.Zero(t, a.TombstoneCount())
	for k, elems := range want {
		require.ElementsMatch(t, elems, a.Get(k).Elements(), "key %s", k)
	}
}

func TestCounterPruningFoldsIntoSurvivor(t *testing.T) {
	var a, b, x PNCounter
	x.Add("x", 7)
	x.Add("x", -2)
	a.Add("a", 3)
	b.Add("b", 4)
	a.Merge(&x)
	b.Merge(&x)
	b.Merge(&a)
	a.Merge(&b)
	require.Equal(t, int64(12), a.Value())
	staleB := b.Clone()

	a.GarbageCollect(GCOptions{Self: "a", Departed: []ReplicaID{"x"}})
	require.Equal(t, int64(12), a.Value())
	require.Zero(t, a.P.Entry("x"))
	require.Equal(t, uint64(10), a.P.Entry("a"))
	require.Equal(t, 2, a.TombstoneCount(), "one marker in each half")

	b.Merge(&a)
	require.Equal(t, int64(12), b.Value())
	a.Merge(&x)     // the departed replica's own stale state
	a.Merge(staleB) // and a survivor's pre-pruning state
	require.Equal(t, int64(12), a.Value(), "nothing is counted twice")
}
