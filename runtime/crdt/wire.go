package crdt

import (
	"slices"

	"github.com/dwsdk/distributed/runtime/wire"
)

// Binary layout shared by the CRDTs (all integers are unsigned varints,
// strings length-prefixed; every list is sorted so equal states encode to
// equal bytes):
//
//	vv      = count (replica counter)*            by replica, counters > 0
//	context = vv count (replica count first gap*)* cloud dots per replica, ascending, as gaps
//	markers = count (departed into)*               by departed replica
//	kernel  = context markers count replica* count (key replica-index counter value?)*  by key, then dot

func appendVV(b []byte, v VersionVector) []byte {
	rs := v.Replicas()
	b = wire.AppendUvarint(b, uint64(len(rs)))
	for _, r := range rs {
		b = wire.AppendString(b, string(r))
		b = wire.AppendUvarint(b, v[r])
	}
	return b
}

func decodeVV(d *Decoder, field string) VersionVector {
	n := d.Count(field, 2)
	v := make(VersionVector, n)
	var prev ReplicaID
	for i := 0; i < n && d.err == nil; i++ {
		r := ReplicaID(d.String(field))
		c := d.Uvarint(field)
		if d.err != nil {
			break
		}
		if c == 0 || (i > 0 && r <= prev) {
			d.Failf(field, "entry %q=%d zero or out of order", r, c)
			break
		}
		v[r] = c
		prev = r
	}
	return v
}

func appendContext(b []byte, c *CausalContext) []byte {
	b = appendVV(b, c.vv)
	rs, ks := c.cloudSorted()
	b = wire.AppendUvarint(b, uint64(len(rs)))
	for i, r := range rs {
		b = wire.AppendString(b, string(r))
		b = wire.AppendUvarint(b, uint64(len(ks[i])))
		prev := c.vv[r]
		for _, k := range ks[i] {
			b = wire.AppendUvarint(b, k-prev)
			prev = k
		}
	}
	return b
}

func decodeContext(d *Decoder) CausalContext {
	var c CausalContext
	c.vv = decodeVV(d, "context.vv")
	n := d.Count("context.cloud", 2)
	for i := 0; i < n && d.err == nil; i++ {
		r := ReplicaID(d.String("context.cloud"))
		m := d.Count("context.cloud", 1)
		prev := c.vv[r]
		for j := 0; j < m && d.err == nil; j++ {
			gap := d.Uvarint("context.cloud")
			if d.err != nil {
				break
			}
			if gap == 0 || prev+gap < prev || (j == 0 && gap < 2) {
				d.Failf("context.cloud", "dot %s:%d+%d not above a gap", r, prev, gap)
				break
			}
			prev += gap
			c.Add(Dot{Replica: r, Counter: prev})
		}
	}
	if err := c.checkCounters(); err != nil {
		d.Fail("context", err)
	}
	return c
}

func appendMarkers(b []byte, m markers) []byte {
	ks := m.sortedKeys()
	b = wire.AppendUvarint(b, uint64(len(ks)))
	for _, x := range ks {
		b = wire.AppendString(b, string(x))
		b = wire.AppendString(b, string(m[x]))
	}
	return b
}

func decodeMarkers(d *Decoder) markers {
	n := d.Count("pruned", 2)
	if n == 0 {
		return nil
	}
	m := make(markers, n)
	for i := 0; i < n && d.err == nil; i++ {
		x, into := ReplicaID(d.String("pruned")), ReplicaID(d.String("pruned"))
		if _, dup := m[x]; dup && d.err == nil {
			d.Failf("pruned", "duplicate marker for %q", x)
		}
		m[x] = into
	}
	return m
}

// dotEntry is one live dot with its entry, for encoding.
type dotEntry[K comparable, P any] struct {
	dot Dot
	e   kentry[K, P]
}

// sortedEntries returns the kernel's entries ordered by key (cmpKey), then
// dot. It sorts pointers into one slice, so comparing keys through the
// codec's function allocates nothing.
func (k *kernel[K, P]) sortedEntries(cmpKey func(a, b *K) int) []*dotEntry[K, P] {
	es := make([]dotEntry[K, P], 0, len(k.dots))
	for d, e := range k.dots {
		es = append(es, dotEntry[K, P]{d, e})
	}
	ps := make([]*dotEntry[K, P], len(es))
	for i := range es {
		ps[i] = &es[i]
	}
	slices.SortFunc(ps, func(a, b *dotEntry[K, P]) int {
		if cmpKey != nil {
			if c := cmpKey(&a.e.key, &b.e.key); c != 0 {
				return c
			}
		}
		return a.dot.Compare(b.dot)
	})
	return ps
}

// appendTo writes the kernel. Entry dots name their replica by index into a
// sorted table of the replicas that occur, so a replica ID is written once.
func (k *kernel[K, P]) appendTo(b []byte, kc *Codec[K], appendVal func([]byte, P) []byte) []byte {
	b = appendContext(b, &k.ctx)
	b = appendMarkers(b, k.pruned)
	es := k.sortedEntries(kc.Compare)
	var table []ReplicaID
	for _, de := range es {
		if r := de.dot.Replica; !slices.Contains(table, r) {
			table = append(table, r)
		}
	}
	slices.Sort(table)
	b = wire.AppendUvarint(b, uint64(len(table)))
	for _, r := range table {
		b = wire.AppendString(b, string(r))
	}
	b = wire.AppendUvarint(b, uint64(len(es)))
	for _, de := range es {
		b = kc.AppendBinary(b, &de.e.key)
		ri, _ := slices.BinarySearch(table, de.dot.Replica)
		b = wire.AppendUvarint(b, uint64(ri))
		b = wire.AppendUvarint(b, de.dot.Counter)
		if appendVal != nil {
			b = appendVal(b, de.e.val)
		}
	}
	return b
}

// decodeFrom reads a kernel. It rejects entries whose dot is duplicated,
// unseen by the context or of a pruned replica.
func (k *kernel[K, P]) decodeFrom(d *Decoder, kc *Codec[K], readVal func(*Decoder) P) {
	var out kernel[K, P]
	out.ctx = decodeContext(d)
	out.pruned = decodeMarkers(d)
	for x := range out.pruned {
		if out.ctx.forget(x) > 0 {
			d.Failf("pruned", "context holds dots of pruned replica %q", x)
		}
	}
	nt := d.Count("replicas", 1)
	table := make([]ReplicaID, 0, nt)
	for i := 0; i < nt && d.err == nil; i++ {
		table = append(table, ReplicaID(d.String("replicas")))
	}
	n := d.Count("entries", 3)
	for i := 0; i < n && d.err == nil; i++ {
		var key K
		kc.DecodeBinary(d, &key)
		ri := d.Uvarint("entries.dot")
		c := d.Uvarint("entries.dot")
		var val P
		if readVal != nil {
			val = readVal(d)
		}
		if d.err != nil {
			break
		}
		if ri >= uint64(len(table)) {
			d.Failf("entries.dot", "replica index %d out of range", ri)
			break
		}
		dot := Dot{Replica: table[ri], Counter: c}
		if _, dup := out.dots[dot]; dup || !out.ctx.Contains(dot) {
			d.Failf("entries.dot", "dot %s:%d duplicated or not in the context", dot.Replica, dot.Counter)
			break
		}
		out.insert(dot, key, val)
	}
	if d.err == nil {
		*k = out
	}
}
