package crdt

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"testing"

	"github.com/dwsdk/distributed/runtime/crdt"
)

const (
	churnReplicas = 5
	churnElements = 10_000
	churnFullOps  = 1_000_000
	churnEvery    = 100_000 // ops between size reports (scaled with the ops)
	exchangeEvery = 5       // ops between two pairwise delta exchanges
)

// churnOps is the number of churn operations: the full million in a
// measured run, a tenth of it in the -benchtime=1x smoke run of make test.
// CRDT_CHURN_OPS overrides both.
func churnOps() int {
	if s := os.Getenv("CRDT_CHURN_OPS"); s != "" {
		if n, err := strconv.Atoi(s); err == nil && n > 0 {
			return n
		}
	}
	if f := flag.Lookup("test.benchtime"); f != nil && f.Value.String() == "1x" {
		return churnFullOps / 10
	}
	return churnFullOps
}

// churnSet is what the churn benchmark drives: one replica of a set.
type churnSet interface {
	add(e string)
	remove(e string)
	contains(e string) bool
	takeDelta() any
	mergeDelta(d any)
	joinDelta(into, d any) any // join d into a buffered delta (nil: start one)
	encodedSize() int
}

type oursSet struct {
	id crdt.ReplicaID
	s  crdt.ORSet[string]
}

func (o *oursSet) add(e string)           { o.s.Add(o.id, e) }
func (o *oursSet) remove(e string)        { o.s.Remove(e) }
func (o *oursSet) contains(e string) bool { return o.s.Contains(e) }
func (o *oursSet) takeDelta() any {
	if d := o.s.TakeDelta(); d != nil {
		return d
	}
	return nil
}
func (o *oursSet) mergeDelta(d any) { o.s.MergeDelta(d.(*crdt.ORSet[string])) }
func (o *oursSet) joinDelta(into, d any) any {
	dd := d.(*crdt.ORSet[string])
	if into == nil {
		return dd.Clone()
	}
	into.(*crdt.ORSet[string]).Merge(dd)
	return into
}
func (o *oursSet) encodedSize() int { return len(o.s.AppendTo(nil, crdt.StringCodec)) }

type naiveChurn struct {
	id uint8
	s  *naiveSet
}

func (n *naiveChurn) add(e string)           { n.s.add(n.id, e) }
func (n *naiveChurn) remove(e string)        { n.s.remove(e) }
func (n *naiveChurn) contains(e string) bool { return n.s.contains(e) }
func (n *naiveChurn) takeDelta() any {
	if d := n.s.take(); d != nil {
		return d
	}
	return nil
}
func (n *naiveChurn) mergeDelta(d any) { n.s.merge(d.(*naiveSet)) }
func (n *naiveChurn) joinDelta(into, d any) any {
	dd := d.(*naiveSet)
	if into == nil {
		return dd.clone()
	}
	into.(*naiveSet).merge(dd)
	return into
}
func (n *naiveChurn) encodedSize() int { return len(n.s.encode(nil)) }

// cluster is five replicas with, per ordered pair, the join of the deltas
// not yet sent (so every replica's changes reach every peer directly).
type cluster struct {
	reps    []churnSet
	pending [][]any
	rng     *rand.Rand
}

func newCluster(impl string, seed uint64) *cluster {
	c := &cluster{rng: rand.New(rand.NewPCG(seed, seed+1))}
	for i := range churnReplicas {
		if impl == "ours" {
			c.reps = append(c.reps, &oursSet{id: crdt.ReplicaID(fmt.Sprint("node-", i))})
		} else {
			c.reps = append(c.reps, &naiveChurn{id: uint8(i), s: newNaive()})
		}
		c.pending = append(c.pending, make([]any, churnReplicas))
	}
	return c
}

// collect moves replica i's local delta into its per-peer buffers.
func (c *cluster) collect(i int) {
	d := c.reps[i].takeDelta()
	if d == nil {
		return
	}
	for j := range c.reps {
		if j != i {
			c.pending[i][j] = c.reps[i].joinDelta(c.pending[i][j], d)
		}
	}
}

// exchange sends i's buffered delta to j.
func (c *cluster) exchange(i, j int) {
	c.collect(i)
	if d := c.pending[i][j]; d != nil {
		c.reps[j].mergeDelta(d)
		c.pending[i][j] = nil
	}
}

func (c *cluster) syncAll() {
	for i := range c.reps {
		for j := range c.reps {
			if i != j {
				c.exchange(i, j)
			}
		}
	}
}

func heapInUseMiB() float64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return float64(ms.HeapInuse) / (1 << 20)
}

// BenchmarkORSetChurn: 5 replicas over 10,000 elements doing 1,000,000
// random adds (of an element the replica lacks) and removes (of one it
// holds) with random pairwise delta exchange. It prints the
// encoded size of replica 0 and the heap in use every 100,000 operations
// and reports the growth of the encoded state from right after the initial
// fill to the end.
func BenchmarkORSetChurn(b *testing.B) {
	ops := churnOps()
	every := max(ops/10, 1)
	for _, impl := range []string{"ours", "naive"} {
		b.Run("impl="+impl, func(b *testing.B) {
			for range b.N {
				c := newCluster(impl, 42)
				elems := make([]string, churnElements)
				for i := range elems {
					elems[i] = fmt.Sprintf("table-%05d", i)
				}
				for i, e := range elems { // initial fill, spread over the replicas
					c.reps[i%churnReplicas].add(e)
				}
				c.syncAll()
				fill := c.reps[0].encodedSize()
				fmt.Printf("churn impl=%s ops=0 encoded_bytes=%d heap_mib=%.1f\n", impl, fill, heapInUseMiB())
				var heap float64
				b.ResetTimer()
				for op := 1; op <= ops; op++ {
					r := c.reps[c.rng.IntN(churnReplicas)]
					add := c.rng.IntN(2) == 0
					// add an element the replica lacks, remove one it holds
					e := elems[c.rng.IntN(churnElements)]
					for try := 0; try < 64 && r.contains(e) == add; try++ {
						e = elems[c.rng.IntN(churnElements)]
					}
					if add {
						r.add(e)
					} else {
						r.remove(e)
					}
					if op%exchangeEvery == 0 {
						i := c.rng.IntN(churnReplicas)
						j := (i + 1 + c.rng.IntN(churnReplicas-1)) % churnReplicas
						c.exchange(i, j)
					}
					if op%every == 0 {
						b.StopTimer()
						heap = heapInUseMiB()
						fmt.Printf("churn impl=%s ops=%d encoded_bytes=%d heap_mib=%.1f\n",
							impl, op, c.reps[0].encodedSize(), heap)
						b.StartTimer()
					}
				}
				b.StopTimer()
				c.syncAll()
				final := c.reps[0].encodedSize()
				b.ReportMetric(float64(fill), "fill-bytes")
				b.ReportMetric(float64(final), "final-bytes")
				b.ReportMetric(float64(final)/float64(fill), "growth-x")
				b.ReportMetric(heap, "heap-MiB")
				b.ReportMetric(float64(ops), "ops")
			}
		})
	}
}
