package crdt

import (
	"github.com/mailru/easyjson/jlexer"
	"github.com/mailru/easyjson/jwriter"
)

// Binary and JSON codecs of the CRDT types. Generic types take the codec of
// their element, key or value type; crdtgen passes concrete instances.

var (
	orsetJSON = kernelJSON{typ: "ORSet", key: "element"}
	mvJSON    = kernelJSON{typ: "MVRegister", key: "value"}
	ormapJSON = kernelJSON{typ: "ORMap", key: "key", val: "value"}
)

// AppendTo appends the set's binary encoding (elements sorted by c.Compare).
func (s *ORSet[T]) AppendTo(b []byte, c *Codec[T]) []byte { return s.k.appendTo(b, c, nil) }

// DecodeFrom replaces s with the set read from d; on error s is unchanged
// and d.Err says what and where.
func (s *ORSet[T]) DecodeFrom(d *Decoder, c *Codec[T]) {
	var k kernel[T, struct{}]
	k.decodeFrom(d, c, nil)
	if d.err == nil {
		*s = ORSet[T]{k: k, auto: s.auto}
	}
}

// WriteJSON writes the set as JSON.
func (s *ORSet[T]) WriteJSON(w *jwriter.Writer, c *Codec[T]) { s.k.writeJSON(w, orsetJSON, c, nil, nil) }

// ReadJSON replaces s with the set read from l (errors go to l).
func (s *ORSet[T]) ReadJSON(l *jlexer.Lexer, c *Codec[T]) {
	var k kernel[T, struct{}]
	k.readJSON(l, orsetJSON, c, nil, nil)
	if l.Ok() {
		*s = ORSet[T]{k: k, auto: s.auto}
	}
}

// AppendTo appends the register's binary encoding.
func (m *MVRegister[T]) AppendTo(b []byte, c *Codec[T]) []byte { return m.k.appendTo(b, c, nil) }

// DecodeFrom replaces m with the register read from d.
func (m *MVRegister[T]) DecodeFrom(d *Decoder, c *Codec[T]) {
	var k kernel[T, struct{}]
	k.decodeFrom(d, c, nil)
	if d.err == nil {
		*m = MVRegister[T]{k: k}
	}
}

// WriteJSON writes the register as JSON.
func (m *MVRegister[T]) WriteJSON(w *jwriter.Writer, c *Codec[T]) { m.k.writeJSON(w, mvJSON, c, nil, nil) }

// ReadJSON replaces m with the register read from l.
func (m *MVRegister[T]) ReadJSON(l *jlexer.Lexer, c *Codec[T]) {
	var k kernel[T, struct{}]
	k.readJSON(l, mvJSON, c, nil, nil)
	if l.Ok() {
		*m = MVRegister[T]{k: k}
	}
}

// AppendTo appends the map's binary encoding (entries sorted by key, then
// dot).
func (m *ORMap[K, V]) AppendTo(b []byte, kc *Codec[K], vc *Codec[V]) []byte {
	b = m.k.appendTo(b, kc, func(b []byte, v *V) []byte { return vc.AppendBinary(b, v) })
	return appendVV(b, m.hw)
}

// DecodeFrom replaces m with the map read from d.
func (m *ORMap[K, V]) DecodeFrom(d *Decoder, kc *Codec[K], vc *Codec[V]) {
	var k kernel[K, *V]
	k.decodeFrom(d, kc, func(d *Decoder) *V {
		v := new(V)
		vc.DecodeBinary(d, v)
		return v
	})
	hw := decodeVV(d, "hw")
	for x := range k.pruned {
		if _, ok := hw[x]; ok && d.err == nil {
			d.Failf("hw", "entry of pruned replica %q", x)
		}
	}
	if len(hw) == 0 {
		hw = nil
	}
	if d.err == nil {
		*m = ORMap[K, V]{k: k, hw: hw, auto: m.auto}
	}
}

// WriteJSON writes the map as JSON.
func (m *ORMap[K, V]) WriteJSON(w *jwriter.Writer, kc *Codec[K], vc *Codec[V]) {
	m.k.writeJSON(w, ormapJSON, kc, func(w *jwriter.Writer, v *V) { vc.WriteJSON(w, v) }, func() {
		if len(m.hw) > 0 {
			w.RawString(`,"hw":`)
			writeVVJSON(w, m.hw)
		}
	})
}

// ReadJSON replaces m with the map read from l.
func (m *ORMap[K, V]) ReadJSON(l *jlexer.Lexer, kc *Codec[K], vc *Codec[V]) {
	var k kernel[K, *V]
	var hw VersionVector
	k.readJSON(l, ormapJSON, kc, func(l *jlexer.Lexer) *V {
		v := new(V)
		vc.ReadJSON(l, v)
		return v
	}, func(f string) bool {
		if f != "hw" {
			return false
		}
		hw = readVVJSON(l)
		return true
	})
	for x := range k.pruned {
		delete(hw, x)
	}
	if len(hw) == 0 {
		hw = nil
	}
	if l.Ok() {
		*m = ORMap[K, V]{k: k, hw: hw, auto: m.auto}
	}
}

// AppendTo appends the register's binary encoding: a presence byte, then
// timestamp, writer and value.
func (l *LWWRegister[T]) AppendTo(b []byte, c *Codec[T]) []byte {
	if l.IsZero() {
		return append(b, 0)
	}
	b = append(b, 1)
	b = AppendUvarint(b, uint64(l.ts))
	b = AppendString(b, string(l.writer))
	return c.AppendBinary(b, &l.val)
}

// DecodeFrom replaces l with the register read from d.
func (l *LWWRegister[T]) DecodeFrom(d *Decoder, c *Codec[T]) {
	var out LWWRegister[T]
	switch d.Byte("set") {
	case 0:
	case 1:
		out.ts = Timestamp(d.Uvarint("ts"))
		out.writer = ReplicaID(d.String("writer"))
		c.DecodeBinary(d, &out.val)
		if d.err == nil && out.IsZero() {
			d.Failf("ts", "set register without timestamp or writer")
		}
	default:
		d.Failf("set", "presence byte not 0 or 1")
	}
	if d.err == nil {
		*l = out
	}
}

// WriteJSON writes the register as JSON ({} when unset).
func (l *LWWRegister[T]) WriteJSON(w *jwriter.Writer, c *Codec[T]) {
	if l.IsZero() {
		w.RawString("{}")
		return
	}
	w.RawString(`{"ts":`)
	w.Uint64(uint64(l.ts))
	w.RawString(`,"writer":`)
	w.String(string(l.writer))
	w.RawString(`,"value":`)
	c.WriteJSON(w, &l.val)
	w.RawByte('}')
}

// ReadJSON replaces l with the register read from lx.
func (l *LWWRegister[T]) ReadJSON(lx *jlexer.Lexer, c *Codec[T]) {
	var out LWWRegister[T]
	if lx.IsNull() {
		lx.Skip()
		*l = out
		return
	}
	lx.Delim('{')
	for !lx.IsDelim('}') {
		f := lx.UnsafeFieldName(false)
		lx.WantColon()
		switch f {
		case "ts":
			out.ts = Timestamp(lx.Uint64())
		case "writer":
			out.writer = ReplicaID(lx.String())
		case "value":
			c.ReadJSON(lx, &out.val)
		default:
			lx.SkipRecursive()
		}
		lx.WantComma()
	}
	lx.Delim('}')
	if lx.Ok() {
		*l = out
	}
}

// AppendTo appends the counter's binary encoding.
func (c *GCounter) AppendTo(b []byte) []byte {
	rs := c.replicas()
	b = AppendUvarint(b, uint64(len(rs)))
	for _, r := range rs {
		b = AppendString(b, string(r))
		b = AppendUvarint(b, c.n[r])
	}
	return appendMarkers(b, c.pruned)
}

// DecodeFrom replaces c with the counter read from d.
func (c *GCounter) DecodeFrom(d *Decoder) {
	var out GCounter
	n := d.Count("entries", 2)
	if n > 0 {
		out.n = make(map[ReplicaID]uint64, n)
	}
	var prev ReplicaID
	for i := 0; i < n && d.err == nil; i++ {
		r := ReplicaID(d.String("entries"))
		v := d.Uvarint("entries")
		if d.err == nil && i > 0 && r <= prev {
			d.Failf("entries", "replica %q out of order", r)
		}
		out.n[r], prev = v, r
	}
	out.pruned = decodeMarkers(d)
	for x := range out.pruned {
		if _, ok := out.n[x]; ok && d.err == nil {
			d.Failf("pruned", "entry of pruned replica %q", x)
		}
	}
	if d.err == nil {
		*c = out
	}
}

// WriteJSON writes the counter as {"entries":{...},"pruned":{...}}.
func (c *GCounter) WriteJSON(w *jwriter.Writer) {
	w.RawString(`{"entries":`)
	writeVVJSON(w, VersionVector(c.n))
	if len(c.pruned) > 0 {
		w.RawString(`,"pruned":`)
		writeMarkersJSON(w, c.pruned)
	}
	w.RawByte('}')
}

// ReadJSON replaces c with the counter read from l.
func (c *GCounter) ReadJSON(l *jlexer.Lexer) {
	var out GCounter
	if l.IsNull() {
		l.Skip()
		*c = out
		return
	}
	l.Delim('{')
	for !l.IsDelim('}') {
		f := l.UnsafeFieldName(false)
		l.WantColon()
		switch f {
		case "entries":
			out.n = readVVJSON(l)
		case "pruned":
			out.pruned = readMarkersJSON(l)
		default:
			l.SkipRecursive()
		}
		l.WantComma()
	}
	l.Delim('}')
	for x := range out.pruned {
		delete(out.n, x)
	}
	if l.Ok() {
		*c = out
	}
}

// AppendTo appends the counter's binary encoding (P, then N).
func (c *PNCounter) AppendTo(b []byte) []byte { return c.N.AppendTo(c.P.AppendTo(b)) }

// DecodeFrom replaces c with the counter read from d.
func (c *PNCounter) DecodeFrom(d *Decoder) {
	var out PNCounter
	out.P.DecodeFrom(d)
	out.N.DecodeFrom(d)
	if d.err == nil {
		*c = out
	}
}

// WriteJSON writes the counter as {"p":...,"n":...}.
func (c *PNCounter) WriteJSON(w *jwriter.Writer) {
	w.RawString(`{"p":`)
	c.P.WriteJSON(w)
	w.RawString(`,"n":`)
	c.N.WriteJSON(w)
	w.RawByte('}')
}

// ReadJSON replaces c with the counter read from l.
func (c *PNCounter) ReadJSON(l *jlexer.Lexer) {
	var out PNCounter
	l.Delim('{')
	for !l.IsDelim('}') {
		f := l.UnsafeFieldName(false)
		l.WantColon()
		switch f {
		case "p":
			out.P.ReadJSON(l)
		case "n":
			out.N.ReadJSON(l)
		default:
			l.SkipRecursive()
		}
		l.WantComma()
	}
	l.Delim('}')
	if l.Ok() {
		*c = out
	}
}

// Codecs of the CRDT types, for use as ORMap values.
var (
	// GCounterCodec encodes GCounter values.
	GCounterCodec = &Codec[GCounter]{
		Name:         "GCounter",
		AppendBinary: func(b []byte, v *GCounter) []byte { return v.AppendTo(b) },
		DecodeBinary: func(d *Decoder, v *GCounter) { v.DecodeFrom(d) },
		WriteJSON:    func(w *jwriter.Writer, v *GCounter) { v.WriteJSON(w) },
		ReadJSON:     func(l *jlexer.Lexer, v *GCounter) { v.ReadJSON(l) },
	}
	// PNCounterCodec encodes PNCounter values.
	PNCounterCodec = &Codec[PNCounter]{
		Name:         "PNCounter",
		AppendBinary: func(b []byte, v *PNCounter) []byte { return v.AppendTo(b) },
		DecodeBinary: func(d *Decoder, v *PNCounter) { v.DecodeFrom(d) },
		WriteJSON:    func(w *jwriter.Writer, v *PNCounter) { v.WriteJSON(w) },
		ReadJSON:     func(l *jlexer.Lexer, v *PNCounter) { v.ReadJSON(l) },
	}
)

// ORSetCodec returns the codec of ORSet[T] values.
func ORSetCodec[T comparable](c *Codec[T]) *Codec[ORSet[T]] {
	return &Codec[ORSet[T]]{
		Name:         "ORSet[" + c.Name + "]",
		AppendBinary: func(b []byte, v *ORSet[T]) []byte { return v.AppendTo(b, c) },
		DecodeBinary: func(d *Decoder, v *ORSet[T]) { v.DecodeFrom(d, c) },
		WriteJSON:    func(w *jwriter.Writer, v *ORSet[T]) { v.WriteJSON(w, c) },
		ReadJSON:     func(l *jlexer.Lexer, v *ORSet[T]) { v.ReadJSON(l, c) },
	}
}

// MVRegisterCodec returns the codec of MVRegister[T] values.
func MVRegisterCodec[T comparable](c *Codec[T]) *Codec[MVRegister[T]] {
	return &Codec[MVRegister[T]]{
		Name:         "MVRegister[" + c.Name + "]",
		AppendBinary: func(b []byte, v *MVRegister[T]) []byte { return v.AppendTo(b, c) },
		DecodeBinary: func(d *Decoder, v *MVRegister[T]) { v.DecodeFrom(d, c) },
		WriteJSON:    func(w *jwriter.Writer, v *MVRegister[T]) { v.WriteJSON(w, c) },
		ReadJSON:     func(l *jlexer.Lexer, v *MVRegister[T]) { v.ReadJSON(l, c) },
	}
}

// LWWRegisterCodec returns the codec of LWWRegister[T] values.
func LWWRegisterCodec[T comparable](c *Codec[T]) *Codec[LWWRegister[T]] {
	return &Codec[LWWRegister[T]]{
		Name:         "LWWRegister[" + c.Name + "]",
		AppendBinary: func(b []byte, v *LWWRegister[T]) []byte { return v.AppendTo(b, c) },
		DecodeBinary: func(d *Decoder, v *LWWRegister[T]) { v.DecodeFrom(d, c) },
		WriteJSON:    func(w *jwriter.Writer, v *LWWRegister[T]) { v.WriteJSON(w, c) },
		ReadJSON:     func(l *jlexer.Lexer, v *LWWRegister[T]) { v.ReadJSON(l, c) },
	}
}

// ORMapCodec returns the codec of ORMap[K, V] values.
func ORMapCodec[K comparable, V any](kc *Codec[K], vc *Codec[V]) *Codec[ORMap[K, V]] {
	return &Codec[ORMap[K, V]]{
		Name:         "ORMap[" + kc.Name + "," + vc.Name + "]",
		AppendBinary: func(b []byte, v *ORMap[K, V]) []byte { return v.AppendTo(b, kc, vc) },
		DecodeBinary: func(d *Decoder, v *ORMap[K, V]) { v.DecodeFrom(d, kc, vc) },
		WriteJSON:    func(w *jwriter.Writer, v *ORMap[K, V]) { v.WriteJSON(w, kc, vc) },
		ReadJSON:     func(l *jlexer.Lexer, v *ORMap[K, V]) { v.ReadJSON(l, kc, vc) },
	}
}
