package crdt

import (
	"fmt"
	"slices"

	"github.com/mailru/easyjson/jlexer"
	"github.com/mailru/easyjson/jwriter"
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
	b = AppendUvarint(b, uint64(len(rs)))
	for _, r := range rs {
		b = AppendString(b, string(r))
		b = AppendUvarint(b, v[r])
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
	b = AppendUvarint(b, uint64(len(rs)))
	for i, r := range rs {
		b = AppendString(b, string(r))
		b = AppendUvarint(b, uint64(len(ks[i])))
		prev := c.vv[r]
		for _, k := range ks[i] {
			b = AppendUvarint(b, k-prev)
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
	return c
}

func appendMarkers(b []byte, m markers) []byte {
	ks := m.sortedKeys()
	b = AppendUvarint(b, uint64(len(ks)))
	for _, x := range ks {
		b = AppendString(b, string(x))
		b = AppendString(b, string(m[x]))
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

// sortedEntries returns the kernel's dots ordered by key (cmpKey), then dot.
func (k *kernel[K, P]) sortedEntries(cmpKey func(a, b *K) int) []Dot {
	ds := k.sortedDots()
	if cmpKey != nil {
		slices.SortStableFunc(ds, func(a, b Dot) int {
			ka, kb := k.dots[a].key, k.dots[b].key
			return cmpKey(&ka, &kb)
		})
	}
	return ds
}

// appendTo writes the kernel. Entry dots name their replica by index into a
// sorted table of the replicas that occur, so a replica ID is written once.
func (k *kernel[K, P]) appendTo(b []byte, kc *Codec[K], appendVal func([]byte, P) []byte) []byte {
	b = appendContext(b, &k.ctx)
	b = appendMarkers(b, k.pruned)
	ds := k.sortedEntries(kc.Compare)
	var table []ReplicaID
	for _, d := range ds {
		if !slices.Contains(table, d.Replica) {
			table = append(table, d.Replica)
		}
	}
	slices.Sort(table)
	b = AppendUvarint(b, uint64(len(table)))
	for _, r := range table {
		b = AppendString(b, string(r))
	}
	b = AppendUvarint(b, uint64(len(ds)))
	for _, d := range ds {
		e := k.dots[d]
		b = kc.AppendBinary(b, &e.key)
		i, _ := slices.BinarySearch(table, d.Replica)
		b = AppendUvarint(b, uint64(i))
		b = AppendUvarint(b, d.Counter)
		if appendVal != nil {
			b = appendVal(b, e.val)
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

// Field names of a kernel's JSON entries.
type kernelJSON struct {
	typ, key, val string
}

func appendDotJSON(w *jwriter.Writer, d Dot) {
	w.RawByte('[')
	w.String(string(d.Replica))
	w.RawByte(',')
	w.Uint64(d.Counter)
	w.RawByte(']')
}

func readDotJSON(l *jlexer.Lexer) Dot {
	var d Dot
	l.Delim('[')
	d.Replica = ReplicaID(l.String())
	l.WantComma()
	d.Counter = l.Uint64()
	l.WantComma()
	l.Delim(']')
	return d
}

func writeVVJSON(w *jwriter.Writer, v VersionVector) {
	w.RawByte('{')
	for i, r := range v.Replicas() {
		if i > 0 {
			w.RawByte(',')
		}
		w.String(string(r))
		w.RawByte(':')
		w.Uint64(v[r])
	}
	w.RawByte('}')
}

func readVVJSON(l *jlexer.Lexer) VersionVector {
	v := VersionVector{}
	l.Delim('{')
	for !l.IsDelim('}') {
		r := ReplicaID(l.String())
		l.WantColon()
		if c := l.Uint64(); c > 0 {
			v[r] = c
		}
		l.WantComma()
	}
	l.Delim('}')
	return v
}

func writeContextJSON(w *jwriter.Writer, c *CausalContext) {
	w.RawString(`{"vv":`)
	writeVVJSON(w, c.vv)
	if c.nCloud > 0 {
		w.RawString(`,"cloud":{`)
		rs, ks := c.cloudSorted()
		for i, r := range rs {
			if i > 0 {
				w.RawByte(',')
			}
			w.String(string(r))
			w.RawString(":[")
			for j, k := range ks[i] {
				if j > 0 {
					w.RawByte(',')
				}
				w.Uint64(k)
			}
			w.RawByte(']')
		}
		w.RawByte('}')
	}
	w.RawByte('}')
}

func readContextJSON(l *jlexer.Lexer) CausalContext {
	var c CausalContext
	l.Delim('{')
	for !l.IsDelim('}') {
		f := l.UnsafeFieldName(false)
		l.WantColon()
		switch f {
		case "vv":
			for r, n := range readVVJSON(l) {
				c.raise(r, n)
			}
		case "cloud":
			l.Delim('{')
			for !l.IsDelim('}') {
				r := ReplicaID(l.String())
				l.WantColon()
				l.Delim('[')
				for !l.IsDelim(']') {
					if k := l.Uint64(); k > 0 {
						c.Add(Dot{Replica: r, Counter: k})
					}
					l.WantComma()
				}
				l.Delim(']')
				l.WantComma()
			}
			l.Delim('}')
		default:
			l.SkipRecursive()
		}
		l.WantComma()
	}
	l.Delim('}')
	return c
}

func writeMarkersJSON(w *jwriter.Writer, m markers) {
	w.RawByte('{')
	for i, x := range m.sortedKeys() {
		if i > 0 {
			w.RawByte(',')
		}
		w.String(string(x))
		w.RawByte(':')
		w.String(string(m[x]))
	}
	w.RawByte('}')
}

func readMarkersJSON(l *jlexer.Lexer) markers {
	var m markers
	l.Delim('{')
	for !l.IsDelim('}') {
		x := ReplicaID(l.String())
		l.WantColon()
		m.adopt(markers{x: ReplicaID(l.String())})
		l.WantComma()
	}
	l.Delim('}')
	return m
}

func (k *kernel[K, P]) writeJSON(w *jwriter.Writer, names kernelJSON, kc *Codec[K], writeVal func(*jwriter.Writer, P), extra func()) {
	w.RawString(`{"context":`)
	writeContextJSON(w, &k.ctx)
	if len(k.pruned) > 0 {
		w.RawString(`,"pruned":`)
		writeMarkersJSON(w, k.pruned)
	}
	w.RawString(`,"entries":[`)
	for i, d := range k.sortedEntries(kc.Compare) {
		if i > 0 {
			w.RawByte(',')
		}
		e := k.dots[d]
		w.RawString(`{"` + names.key + `":`)
		kc.WriteJSON(w, &e.key)
		w.RawString(`,"dot":`)
		appendDotJSON(w, d)
		if writeVal != nil {
			w.RawString(`,"` + names.val + `":`)
			writeVal(w, e.val)
		}
		w.RawByte('}')
	}
	w.RawByte(']')
	if extra != nil {
		extra()
	}
	w.RawByte('}')
}

func (k *kernel[K, P]) readJSON(l *jlexer.Lexer, names kernelJSON, kc *Codec[K], readVal func(*jlexer.Lexer) P, extra func(field string) bool) {
	var out kernel[K, P]
	type entry struct {
		key    K
		dot    Dot
		val    P
		hasVal bool
	}
	var entries []entry
	if l.IsNull() {
		l.Skip()
		*k = out
		return
	}
	l.Delim('{')
	for !l.IsDelim('}') {
		f := l.UnsafeFieldName(false)
		l.WantColon()
		switch f {
		case "context":
			out.ctx = readContextJSON(l)
		case "pruned":
			out.pruned = readMarkersJSON(l)
		case "entries":
			l.Delim('[')
			for !l.IsDelim(']') {
				var e entry
				l.Delim('{')
				for !l.IsDelim('}') {
					g := l.UnsafeFieldName(false)
					l.WantColon()
					switch g {
					case names.key:
						kc.ReadJSON(l, &e.key)
					case "dot":
						e.dot = readDotJSON(l)
					case names.val:
						if readVal != nil {
							e.val, e.hasVal = readVal(l), true
						} else {
							l.SkipRecursive()
						}
					default:
						l.SkipRecursive()
					}
					l.WantComma()
				}
				l.Delim('}')
				entries = append(entries, e)
				l.WantComma()
			}
			l.Delim(']')
		default:
			if extra == nil || !extra(f) {
				l.SkipRecursive()
			}
		}
		l.WantComma()
	}
	l.Delim('}')
	if !l.Ok() {
		return
	}
	for x := range out.pruned {
		out.ctx.forget(x)
	}
	for _, e := range entries {
		if _, dup := out.dots[e.dot]; dup || !out.ctx.Contains(e.dot) {
			jsonFail(l, names.typ, "entries.dot", fmt.Errorf("%w: dot %s:%d duplicated or not in the context", ErrInvalid, e.dot.Replica, e.dot.Counter))
			return
		}
		if readVal != nil && !e.hasVal {
			jsonFail(l, names.typ, "entries."+names.val, fmt.Errorf("%w: entry without a value", ErrInvalid))
			return
		}
		out.insert(e.dot, e.key, e.val)
	}
	*k = out
}
