package crdt

import (
	"fmt"
	"testing"

	"github.com/dwsdk/distributed/gen/records"
	"github.com/dwsdk/distributed/runtime/crdt"
)

// catalogEntry builds a table entry as replica r: 50 tags, 20 partitions.
func catalogEntry(r crdt.ReplicaID) *records.TableCatalogEntry {
	var x records.TableCatalogEntry
	clk := crdt.NewClock(crdt.DefaultClockConfig())
	x.RowCount.Add(r, 1_000_000)
	x.Owner.SetNow(r, clk, "analytics")
	for i := range 50 {
		x.Tags.Add(r, fmt.Sprint("tag-", i))
	}
	for i := range 20 {
		x.Partitions.Update(r, fmt.Sprintf("2026-%02d", i), func(p *records.PartitionInfo) {
			p.RowCount.Add(r, 50_000)
			p.Leader.SetNow(r, clk, "node-1")
			p.Replicas.Add(r, "node-1")
			p.Replicas.Add(r, "node-2")
		})
	}
	x.TakeDelta()
	return &x
}

// BenchmarkRecord merges and encodes a generated TableCatalogEntry.
func BenchmarkRecord(b *testing.B) {
	b.Run("op=merge-full/impl=ours", func(b *testing.B) {
		x, y := catalogEntry("a"), catalogEntry("b")
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			x.Merge(y)
		}
	})
	b.Run("op=merge-delta/impl=ours", func(b *testing.B) {
		x, y := catalogEntry("a"), catalogEntry("b")
		x.Merge(y)
		b.ReportAllocs()
		b.ResetTimer()
		for i := range b.N {
			y.RowCount.Add("b", 1)
			y.Tags.Add("b", fmt.Sprint("t", i%64))
			x.MergeDelta(y.TakeDelta())
		}
	})
	b.Run("op=encode-binary/impl=ours", func(b *testing.B) {
		x := catalogEntry("a")
		x.Merge(catalogEntry("b"))
		var buf []byte
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			buf, _ = x.AppendBinary(buf[:0])
		}
		b.ReportMetric(float64(len(buf)), "bytes")
	})
	b.Run("op=encode-json/impl=ours", func(b *testing.B) {
		x := catalogEntry("a")
		x.Merge(catalogEntry("b"))
		var buf []byte
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			buf, _ = x.AppendJSON(buf[:0])
		}
		b.ReportMetric(float64(len(buf)), "bytes")
	})
	b.Run("op=decode-binary/impl=ours", func(b *testing.B) {
		x := catalogEntry("a")
		x.Merge(catalogEntry("b"))
		data, _ := x.MarshalBinary()
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			var y records.TableCatalogEntry
			if err := y.UnmarshalBinary(data); err != nil {
				b.Fatal(err)
			}
		}
	})
}
