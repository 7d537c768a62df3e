package crdt

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/dwsdk/distributed/runtime/crdt"
)

// mergeBatch is how many deltas are prepared at a time, outside the timer,
// followed by a collection, so the timed merges pay only for themselves.
const mergeBatch = 256

// BenchmarkORSetMergeDelta merges a 100-element delta (50 adds of new
// elements, 50 removes) into sets of 1,000 and 100,000 elements. The merge
// costs the delta, not the set, so both sizes should take about as long.
func BenchmarkORSetMergeDelta(b *testing.B) {
	for _, size := range []int{1_000, 100_000} {
		b.Run(fmt.Sprintf("size=%d/impl=ours", size), func(b *testing.B) {
			var target crdt.ORSet[string]
			for i := range size {
				target.Add("a", fmt.Sprint("elem-", i))
			}
			target.TakeDelta()
			src := target.Clone()
			next, oldest := size, 0
			var ds []*crdt.ORSet[string]
			b.ResetTimer()
			for i := range b.N {
				if i%mergeBatch == 0 {
					b.StopTimer()
					ds = ds[:0]
					for range min(mergeBatch, b.N-i) {
						for range 50 {
							src.Remove(fmt.Sprint("elem-", oldest))
							src.Add("src", fmt.Sprint("elem-", next))
							oldest++
							next++
						}
						ds = append(ds, src.TakeDelta())
					}
					runtime.GC()
					b.StartTimer()
				}
				target.MergeDelta(ds[i%mergeBatch])
			}
			b.StopTimer()
			if target.Len() != size {
				b.Fatalf("set has %d elements, want %d", target.Len(), size)
			}
		})
		b.Run(fmt.Sprintf("size=%d/impl=naive", size), func(b *testing.B) {
			target := newNaive()
			for i := range size {
				target.add(0, fmt.Sprint("elem-", i))
			}
			target.take()
			src := target.clone()
			next, oldest := size, 0
			var ds []*naiveSet
			b.ResetTimer()
			for i := range b.N {
				if i%mergeBatch == 0 {
					b.StopTimer()
					ds = ds[:0]
					for range min(mergeBatch, b.N-i) {
						for range 50 {
							src.remove(fmt.Sprint("elem-", oldest))
							src.add(1, fmt.Sprint("elem-", next))
							oldest++
							next++
						}
						ds = append(ds, src.take())
					}
					runtime.GC()
					b.StartTimer()
				}
				target.merge(ds[i%mergeBatch])
			}
		})
	}
}

func counterReplicas() []*crdt.PNCounter {
	cs := make([]*crdt.PNCounter, 5)
	for i := range cs {
		cs[i] = &crdt.PNCounter{}
		for j := range 100 {
			cs[i].Add(crdt.ReplicaID(fmt.Sprint("node-", i)), int64(j%7-3))
		}
		cs[i].TakeDelta()
	}
	return cs
}

// BenchmarkPNCounter merges and encodes a five-replica counter.
func BenchmarkPNCounter(b *testing.B) {
	b.Run("op=merge/impl=ours", func(b *testing.B) {
		cs := counterReplicas()
		var c crdt.PNCounter
		b.ReportAllocs()
		b.ResetTimer()
		for i := range b.N {
			c.Merge(cs[i%len(cs)])
		}
	})
	b.Run("op=encode/impl=ours", func(b *testing.B) {
		var c crdt.PNCounter
		for _, o := range counterReplicas() {
			c.Merge(o)
		}
		buf := make([]byte, 0, 256)
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			buf = c.AppendTo(buf[:0])
		}
		b.ReportMetric(float64(len(buf)), "bytes")
	})
	b.Run("op=decode/impl=ours", func(b *testing.B) {
		var c crdt.PNCounter
		for _, o := range counterReplicas() {
			c.Merge(o)
		}
		buf := c.AppendTo(nil)
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			var out crdt.PNCounter
			d := crdt.NewDecoder(buf, "PNCounter", 0)
			out.DecodeFrom(d)
			if d.Err() != nil {
				b.Fatal(d.Err())
			}
		}
	})
}
