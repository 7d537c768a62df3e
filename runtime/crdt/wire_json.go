package crdt

import (
	"strconv"

	"github.com/dwsdk/distributed/runtime/wire"
)

// JSON layout shared by the CRDTs (keys sorted, lists in encoding order):
//
//	vv      = {"replica": counter, ...}
//	context = {"vv": vv, "cloud": {"replica": [counter, ...]}}   cloud omitted when empty
//	markers = {"departed": "into", ...}
//	dot     = ["replica", counter]
//	kernel  = {"context": context, "pruned": markers, "entries": [{"<key>": K, "dot": dot, "<val>": V}, ...]}

// jsonIn wraps a wire.JSONReader with a sticky error, so readers check once.
type jsonIn struct {
	r   *wire.JSONReader
	err error
}

func (j *jsonIn) do(err error) {
	if j.err == nil {
		j.err = err
	}
}

// object calls fn for each key of an object (null reads as empty); fn must
// consume the value.
func (j *jsonIn) object(fn func(key string)) {
	if j.err != nil || j.r.Null() {
		return
	}
	if j.err = j.r.BeginObject(); j.err != nil {
		return
	}
	for n := 0; j.err == nil; n++ {
		key, ok, err := j.r.Key(n)
		if err != nil {
			j.err = err
			return
		}
		if !ok {
			return
		}
		fn(string(key))
	}
}

// array calls fn for each element of an array (null reads as empty).
func (j *jsonIn) array(fn func()) {
	if j.err != nil || j.r.Null() {
		return
	}
	if j.err = j.r.BeginArray(); j.err != nil {
		return
	}
	for n := 0; j.err == nil; n++ {
		ok, err := j.r.Elem(n)
		if err != nil {
			j.err = err
			return
		}
		if !ok {
			return
		}
		fn()
	}
}

func (j *jsonIn) str() string {
	if j.err != nil {
		return ""
	}
	s, err := j.r.String()
	j.do(err)
	return s
}

func (j *jsonIn) u64() uint64 {
	if j.err != nil {
		return 0
	}
	v, err := j.r.Uint(64)
	j.do(err)
	return v
}

func (j *jsonIn) skip(key string) {
	if j.err == nil {
		j.do(j.r.SkipField([]byte(key)))
	}
}

func appendVVJSON(b []byte, v VersionVector) []byte {
	b = append(b, '{')
	for i, r := range v.Replicas() {
		if i > 0 {
			b = append(b, ',')
		}
		b = wire.AppendJSONString(b, string(r))
		b = append(b, ':')
		b = strconv.AppendUint(b, v[r], 10)
	}
	return append(b, '}')
}

func readVVJSON(j *jsonIn) VersionVector {
	v := VersionVector{}
	j.object(func(key string) {
		if c := j.u64(); c > 0 {
			v[ReplicaID(key)] = c
		}
	})
	return v
}

func appendContextJSON(b []byte, c *CausalContext) []byte {
	b = append(b, `{"vv":`...)
	b = appendVVJSON(b, c.vv)
	if c.nCloud > 0 {
		b = append(b, `,"cloud":{`...)
		rs, ks := c.cloudSorted()
		for i, r := range rs {
			if i > 0 {
				b = append(b, ',')
			}
			b = wire.AppendJSONString(b, string(r))
			b = append(b, ":["...)
			for n, k := range ks[i] {
				if n > 0 {
					b = append(b, ',')
				}
				b = strconv.AppendUint(b, k, 10)
			}
			b = append(b, ']')
		}
		b = append(b, '}')
	}
	return append(b, '}')
}

func readContextJSON(j *jsonIn) CausalContext {
	var c CausalContext
	j.object(func(key string) {
		switch key {
		case "vv":
			for r, n := range readVVJSON(j) {
				c.raise(r, n)
			}
		case "cloud":
			j.object(func(r string) {
				j.array(func() {
					if k := j.u64(); k > 0 {
						c.Add(Dot{Replica: ReplicaID(r), Counter: k})
					}
				})
			})
		default:
			j.skip(key)
		}
	})
	if err := c.checkCounters(); err != nil {
		j.do(&wire.Error{Field: "context", Offset: j.r.Offset(), Err: err})
	}
	return c
}

func appendMarkersJSON(b []byte, m markers) []byte {
	b = append(b, '{')
	for i, x := range m.sortedKeys() {
		if i > 0 {
			b = append(b, ',')
		}
		b = wire.AppendJSONString(b, string(x))
		b = append(b, ':')
		b = wire.AppendJSONString(b, string(m[x]))
	}
	return append(b, '}')
}

func readMarkersJSON(j *jsonIn) markers {
	var m markers
	j.object(func(x string) {
		m.adopt(markers{ReplicaID(x): ReplicaID(j.str())})
	})
	return m
}

func appendDotJSON(b []byte, d Dot) []byte {
	b = append(b, '[')
	b = wire.AppendJSONString(b, string(d.Replica))
	b = append(b, ',')
	b = strconv.AppendUint(b, d.Counter, 10)
	return append(b, ']')
}

func readDotJSON(j *jsonIn) Dot {
	var d Dot
	n := 0
	j.array(func() {
		switch n {
		case 0:
			d.Replica = ReplicaID(j.str())
		case 1:
			d.Counter = j.u64()
		default:
			j.do(jsonErr(j.r, "dot", "a dot has two elements"))
		}
		n++
	})
	return d
}

// Field names of a kernel's JSON entries.
type kernelJSON struct {
	typ, key, val string
}

func (k *kernel[K, P]) appendJSON(b []byte, names kernelJSON, kc *Codec[K], appendVal func([]byte, P) []byte, extra func([]byte) []byte) []byte {
	b = append(b, `{"context":`...)
	b = appendContextJSON(b, &k.ctx)
	if len(k.pruned) > 0 {
		b = append(b, `,"pruned":`...)
		b = appendMarkersJSON(b, k.pruned)
	}
	b = append(b, `,"entries":[`...)
	es := k.sortedEntries(kc.Compare)
	for i, de := range es {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"`...)
		b = append(b, names.key...)
		b = append(b, `":`...)
		b = kc.AppendJSON(b, &de.e.key)
		b = append(b, `,"dot":`...)
		b = appendDotJSON(b, de.dot)
		if appendVal != nil {
			b = append(b, `,"`...)
			b = append(b, names.val...)
			b = append(b, `":`...)
			b = appendVal(b, de.e.val)
		}
		b = append(b, '}')
	}
	b = append(b, ']')
	if extra != nil {
		b = extra(b)
	}
	return append(b, '}')
}

// readJSON reads a kernel; extra handles type-specific keys (reporting
// whether it consumed the value). It rejects entries whose dot is
// duplicated or not in the context, and value-carrying entries without one.
func (k *kernel[K, P]) readJSON(j *jsonIn, names kernelJSON, kc *Codec[K], readVal func(*jsonIn) P, extra func(key string) bool) {
	var out kernel[K, P]
	type entry struct {
		key    K
		dot    Dot
		val    P
		hasVal bool
	}
	var entries []entry
	j.object(func(key string) {
		switch key {
		case "context":
			out.ctx = readContextJSON(j)
		case "pruned":
			out.pruned = readMarkersJSON(j)
		case "entries":
			j.array(func() {
				var e entry
				j.object(func(f string) {
					switch {
					case f == names.key:
						if j.err == nil {
							j.do(kc.DecodeJSON(j.r, &e.key))
						}
					case f == "dot":
						e.dot = readDotJSON(j)
					case f == names.val && readVal != nil:
						e.val, e.hasVal = readVal(j), true
					default:
						j.skip(f)
					}
				})
				entries = append(entries, e)
			})
		default:
			if extra == nil || !extra(key) {
				j.skip(key)
			}
		}
	})
	if j.err != nil {
		return
	}
	for x := range out.pruned {
		out.ctx.forget(x)
	}
	for _, e := range entries {
		if _, dup := out.dots[e.dot]; dup || !out.ctx.Contains(e.dot) {
			j.do(jsonErr(j.r, "entries.dot", "dot %s:%d duplicated or not in the context", e.dot.Replica, e.dot.Counter))
			return
		}
		if readVal != nil && !e.hasVal {
			j.do(jsonErr(j.r, "entries."+names.val, "entry without a value"))
			return
		}
		out.insert(e.dot, e.key, e.val)
	}
	*k = out
}
