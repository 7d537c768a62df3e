package crdt_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/dwsdk/distributed/gen/records"
	"github.com/dwsdk/distributed/runtime/crdt"
	"github.com/stretchr/testify/require"
)

var (
	tags   = []string{"pii", "hot", "cold", "finance", "staging"}
	owners = []string{"analytics", "billing", "platform"}
	parts  = []string{"2026-01", "2026-02", "2026-03", "2026-04"}
	nodes  = []string{"n1", "n2", "n3"}
)

func pick(rng *rand.Rand, xs []string) string { return xs[rng.IntN(len(xs))] }

// tableOp is one random update of a catalog entry, as replica r.
func tableOp(rng *rand.Rand, r crdt.ReplicaID, clk *crdt.Clock, x *records.TableCatalogEntry) {
	switch rng.IntN(8) {
	case 0:
		x.RowCount.Add(r, int64(rng.IntN(1000)-300))
	case 1:
		x.Tags.Add(r, pick(rng, tags))
	case 2:
		x.Tags.Remove(pick(rng, tags))
	case 3:
		x.Owner.SetNow(r, clk, pick(rng, owners))
	case 4:
		x.Partitions.Update(r, pick(rng, parts), func(p *records.PartitionInfo) {
			p.RowCount.Add(r, int64(rng.IntN(500)))
			p.Leader.SetNow(r, clk, pick(rng, nodes))
			if rng.IntN(2) == 0 {
				p.Replicas.Add(r, pick(rng, nodes))
			} else {
				p.Replicas.Remove(pick(rng, nodes))
			}
		})
	case 5:
		x.Partitions.Remove(pick(rng, parts))
	case 6:
		x.SchemaVersion.Set(r, int64(rng.IntN(4)))
	case 7:
		x.Readers.Add(r, pick(rng, owners))
	}
}

func sorted(xs []string) string {
	slices.Sort(xs)
	return strings.Join(xs, ",")
}

func tableValue(x *records.TableCatalogEntry) string {
	var b strings.Builder
	versions := x.SchemaVersion.Values()
	slices.Sort(versions)
	fmt.Fprintf(&b, "rows=%d tags=%s owner=%s readers=%s versions=%v", x.RowCount.Value(),
		sorted(x.Tags.Elements()), x.Owner.Get(), sorted(x.Readers.Elements()), versions)
	ks := x.Partitions.Keys()
	slices.Sort(ks)
	for _, k := range ks {
		p := x.Partitions.Get(k)
		fmt.Fprintf(&b, " %s{rows=%d leader=%s replicas=%s}", k, p.RowCount.Value(), p.Leader.Get(), sorted(p.Replicas.Elements()))
	}
	return b.String()
}

func TestGeneratedRecordProperties(t *testing.T) {
	crdt.RunRecordProperties(t, "TableCatalogEntry", tableOp, tableValue)
}

func TestGeneratedRecordDeltaEncodesOnlyWhatChanged(t *testing.T) {
	var x records.TableCatalogEntry
	for i := range 200 {
		x.Tags.Add("a", fmt.Sprint("tag-", i))
	}
	x.Partitions.Update("a", "p1", func(p *records.PartitionInfo) { p.RowCount.Add("a", 10) })
	x.TakeDelta()
	full, err := x.MarshalBinary()
	require.NoError(t, err)

	x.RowCount.Add("a", 5)
	d := x.TakeDelta()
	require.NotNil(t, d)
	db, err := d.MarshalBinary()
	require.NoError(t, err)
	require.Less(t, len(db), 16, "a counter delta carries the counter only (full state %d bytes)", len(full))
	require.True(t, d.Tags.IsZero() && d.Partitions.IsZero() && d.Owner.IsZero())
	require.Nil(t, x.TakeDelta(), "nothing changed since")

	var y records.TableCatalogEntry
	require.NoError(t, y.UnmarshalBinary(full))
	var dd records.TableCatalogEntry
	require.NoError(t, dd.UnmarshalBinary(db))
	y.MergeDelta(&dd)
	require.True(t, y.Equal(&x))
}

func TestGeneratedRecordTombstonesAndGC(t *testing.T) {
	var x, a records.TableCatalogEntry
	var deltas []*records.TableCatalogEntry
	for i := range 30 {
		x.Tags.Add("x", fmt.Sprint("t", i))
		x.RowCount.Add("x", 10)
		deltas = append(deltas, x.TakeDelta())
	}
	for _, d := range deltas[1:] { // the first is lost; x then leaves
		a.MergeDelta(d)
	}
	rising := a.TombstoneCount()
	require.Equal(t, 29, rising)
	rows := a.RowCount.Value()

	st := a.GarbageCollect(crdt.GCOptions{Self: "a", Departed: []crdt.ReplicaID{"x"}})
	require.Positive(t, st.Pruned)
	require.Less(t, a.TombstoneCount(), rising)
	require.Equal(t, rows, a.RowCount.Value())
	require.Equal(t, 29, a.Tags.Len())

	a.Merge(&x) // the departed replica's stale state: nothing counted twice
	require.Equal(t, rows, a.RowCount.Value())

	a.GarbageCollect(crdt.GCOptions{Self: "a", Forget: []crdt.ReplicaID{"x"}})
	require.Zero(t, a.TombstoneCount())
}

func TestGeneratedRecordAutoGC(t *testing.T) {
	var x, a records.NodeStats
	auto := &crdt.AutoGC{Threshold: 1, Options: func() crdt.GCOptions {
		return crdt.GCOptions{Self: "a", Departed: []crdt.ReplicaID{"x"}}
	}}
	a.SetAutoGC(auto)
	x.QueriesServed.Inc("x", 7)
	a.Merge(&x)
	require.Zero(t, auto.Runs)
	var c records.Cluster
	c.Nodes.Update("x", "n1", func(s *records.NodeStats) { s.QueriesServed.Inc("x", 1) })
	// a merge that leaves more than one tombstone triggers a collection
	var y records.NodeStats
	y.QueriesServed.GarbageCollect(crdt.GCOptions{Self: "y", Departed: []crdt.ReplicaID{"p", "q"}})
	a.Merge(&y)
	require.Equal(t, 1, auto.Runs)
	require.Equal(t, uint64(7), a.QueriesServed.Value())
	require.Zero(t, a.QueriesServed.Entry("x"), "x was folded into a")
}

func TestGeneratedRecordDecodeErrors(t *testing.T) {
	var x records.TableCatalogEntry
	x.Tags.Add("a", "pii")
	b, err := x.MarshalBinary()
	require.NoError(t, err)
	var y records.TableCatalogEntry
	err = y.UnmarshalBinary(b[:len(b)-1])
	require.Error(t, err)
	require.Contains(t, err.Error(), "records.TableCatalogEntry.Tags")
	require.Contains(t, err.Error(), "offset")

	err = y.UnmarshalJSON([]byte(`{"tags":{"context":{"vv":{"a":1}},"entries":[{"element":"x","dot":["b",4]}]}}`))
	require.ErrorIs(t, err, crdt.ErrInvalid)
	require.Contains(t, err.Error(), "records.TableCatalogEntry.Tags")
}

func FuzzGeneratedRecordBinary(f *testing.F) {
	rng := rand.New(rand.NewPCG(3, 4))
	clk := crdt.NewClock(crdt.DefaultClockConfig())
	var x records.TableCatalogEntry
	for range 40 {
		tableOp(rng, "a", clk, &x)
		b, _ := x.MarshalBinary()
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var y records.TableCatalogEntry
		if y.UnmarshalBinary(data) != nil {
			return
		}
		b, err := y.MarshalBinary()
		require.NoError(t, err)
		var z records.TableCatalogEntry
		require.NoError(t, z.UnmarshalBinary(b))
		require.True(t, y.Equal(&z))
	})
}
