package crdt

import (
	"strconv"

	"github.com/dwsdk/distributed/runtime/wire"
	"github.com/mailru/easyjson/jlexer"
	"github.com/mailru/easyjson/jwriter"
)

// Binary and JSON codecs of the CRDT types. Generic types take the codec of
// their element, key or value type; crdtgen passes concrete instances. Each
// type has:
//
//	AppendTo(b, ...) []byte             binary, appended to b
//	DecodeFrom(d *Decoder, ...)         binary; errors recorded in d
//	AppendJSON(b, ...) []byte           JSON, appended to b
//	DecodeJSON(r *wire.JSONReader, ...) error
//	WriteJSON(w *jwriter.Writer, ...)   easyjson adapters of the two above
//	ReadJSON(l *jlexer.Lexer, ...)
//
// Decoders replace the receiver only on success.

var (
	orsetJSON = kernelJSON{typ: "crdt.ORSet", key: "element"}
	mvJSON    = kernelJSON{typ: "crdt.MVRegister", key: "value"}
	ormapJSON = kernelJSON{typ: "crdt.ORMap", key: "key", val: "value"}
)

// writeEasy appends JSON to an easyjson writer's buffer.
func writeEasy(w *jwriter.Writer, app func([]byte) []byte) { w.Buffer.Buf = app(w.Buffer.Buf) }

// readEasy decodes the next JSON value of an easyjson lexer with dec.
func readEasy(l *jlexer.Lexer, typ string, dec func(*wire.JSONReader) error) {
	raw := l.Raw()
	if !l.Ok() {
		return
	}
	r := wire.NewJSONReaderAt(raw, l.GetPos()-len(raw), false)
	err := dec(&r)
	if err == nil {
		err = r.End()
	}
	if err != nil {
		l.AddError(wire.InType(err, typ))
	}
}

// AppendTo appends the set's binary encoding (elements sorted by c.Compare).
func (s *ORSet[T]) AppendTo(b []byte, c *Codec[T]) []byte { return s.k.appendTo(b, c, nil) }

// DecodeFrom replaces s with the set read from d.
func (s *ORSet[T]) DecodeFrom(d *Decoder, c *Codec[T]) {
	var k kernel[T, struct{}]
	k.decodeFrom(d, c, nil)
	if d.err == nil {
		*s = ORSet[T]{k: k, auto: s.auto}
	}
}

// AppendJSON appends the set as JSON.
func (s *ORSet[T]) AppendJSON(b []byte, c *Codec[T]) []byte {
	return s.k.appendJSON(b, orsetJSON, c, nil, nil)
}

// DecodeJSON replaces s with the set read from r.
func (s *ORSet[T]) DecodeJSON(r *wire.JSONReader, c *Codec[T]) error {
	j := jsonIn{r: r}
	var k kernel[T, struct{}]
	k.readJSON(&j, orsetJSON, c, nil, nil)
	if j.err == nil {
		*s = ORSet[T]{k: k, auto: s.auto}
	}
	return j.err
}

// WriteJSON writes the set to an easyjson writer.
func (s *ORSet[T]) WriteJSON(w *jwriter.Writer, c *Codec[T]) {
	writeEasy(w, func(b []byte) []byte { return s.AppendJSON(b, c) })
}

// ReadJSON reads the set from an easyjson lexer.
func (s *ORSet[T]) ReadJSON(l *jlexer.Lexer, c *Codec[T]) {
	readEasy(l, orsetJSON.typ, func(r *wire.JSONReader) error { return s.DecodeJSON(r, c) })
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

// AppendJSON appends the register as JSON.
func (m *MVRegister[T]) AppendJSON(b []byte, c *Codec[T]) []byte {
	return m.k.appendJSON(b, mvJSON, c, nil, nil)
}

// DecodeJSON replaces m with the register read from r.
func (m *MVRegister[T]) DecodeJSON(r *wire.JSONReader, c *Codec[T]) error {
	j := jsonIn{r: r}
	var k kernel[T, struct{}]
	k.readJSON(&j, mvJSON, c, nil, nil)
	if j.err == nil {
		*m = MVRegister[T]{k: k}
	}
	return j.err
}

// WriteJSON writes the register to an easyjson writer.
func (m *MVRegister[T]) WriteJSON(w *jwriter.Writer, c *Codec[T]) {
	writeEasy(w, func(b []byte) []byte { return m.AppendJSON(b, c) })
}

// ReadJSON reads the register from an easyjson lexer.
func (m *MVRegister[T]) ReadJSON(l *jlexer.Lexer, c *Codec[T]) {
	readEasy(l, mvJSON.typ, func(r *wire.JSONReader) error { return m.DecodeJSON(r, c) })
}

// AppendTo appends the map's binary encoding (entries sorted by key, then
// dot), then the per-replica high-water dots.
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
	if err := checkCounters(hw); err != nil {
		d.Fail("hw", err)
	}
	for x := range k.pruned {
		if _, ok := hw[x]; ok && d.err == nil {
			d.Failf("hw", "entry of pruned replica %q", x)
		}
	}
	if d.err == nil {
		*m = ORMap[K, V]{k: k, hw: nonEmpty(hw), auto: m.auto}
	}
}

func nonEmpty(v VersionVector) VersionVector {
	if len(v) == 0 {
		return nil
	}
	return v
}

// AppendJSON appends the map as JSON.
func (m *ORMap[K, V]) AppendJSON(b []byte, kc *Codec[K], vc *Codec[V]) []byte {
	return m.k.appendJSON(b, ormapJSON, kc, func(b []byte, v *V) []byte { return vc.AppendJSON(b, v) }, func(b []byte) []byte {
		if len(m.hw) == 0 {
			return b
		}
		return appendVVJSON(append(b, `,"hw":`...), m.hw)
	})
}

// DecodeJSON replaces m with the map read from r.
func (m *ORMap[K, V]) DecodeJSON(r *wire.JSONReader, kc *Codec[K], vc *Codec[V]) error {
	j := jsonIn{r: r}
	var k kernel[K, *V]
	var hw VersionVector
	k.readJSON(&j, ormapJSON, kc, func(j *jsonIn) *V {
		v := new(V)
		if j.err == nil {
			j.do(vc.DecodeJSON(j.r, v))
		}
		return v
	}, func(key string) bool {
		if key != "hw" {
			return false
		}
		hw = readVVJSON(&j)
		return true
	})
	for x := range k.pruned {
		delete(hw, x)
	}
	if err := checkCounters(hw); err != nil {
		j.do(&wire.Error{Field: "hw", Offset: r.Offset(), Err: err})
	}
	if j.err == nil {
		*m = ORMap[K, V]{k: k, hw: nonEmpty(hw), auto: m.auto}
	}
	return j.err
}

// WriteJSON writes the map to an easyjson writer.
func (m *ORMap[K, V]) WriteJSON(w *jwriter.Writer, kc *Codec[K], vc *Codec[V]) {
	writeEasy(w, func(b []byte) []byte { return m.AppendJSON(b, kc, vc) })
}

// ReadJSON reads the map from an easyjson lexer.
func (m *ORMap[K, V]) ReadJSON(l *jlexer.Lexer, kc *Codec[K], vc *Codec[V]) {
	readEasy(l, ormapJSON.typ, func(r *wire.JSONReader) error { return m.DecodeJSON(r, kc, vc) })
}

// AppendTo appends the register's binary encoding: a presence byte, then
// timestamp, writer and value.
func (l *LWWRegister[T]) AppendTo(b []byte, c *Codec[T]) []byte {
	if l.IsZero() {
		return append(b, 0)
	}
	b = append(b, 1)
	b = wire.AppendUvarint(b, uint64(l.ts))
	b = wire.AppendString(b, string(l.writer))
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

// AppendJSON appends the register as JSON ({} when unset).
func (l *LWWRegister[T]) AppendJSON(b []byte, c *Codec[T]) []byte {
	if l.IsZero() {
		return append(b, "{}"...)
	}
	b = append(b, `{"ts":`...)
	b = strconv.AppendUint(b, uint64(l.ts), 10)
	b = append(b, `,"writer":`...)
	b = wire.AppendJSONString(b, string(l.writer))
	b = append(b, `,"value":`...)
	b = c.AppendJSON(b, &l.val)
	return append(b, '}')
}

// DecodeJSON replaces l with the register read from r.
func (l *LWWRegister[T]) DecodeJSON(r *wire.JSONReader, c *Codec[T]) error {
	j := jsonIn{r: r}
	var out LWWRegister[T]
	j.object(func(key string) {
		switch key {
		case "ts":
			out.ts = Timestamp(j.u64())
		case "writer":
			out.writer = ReplicaID(j.str())
		case "value":
			if j.err == nil {
				j.do(c.DecodeJSON(r, &out.val))
			}
		default:
			j.skip(key)
		}
	})
	if j.err == nil && out.IsZero() && out.val != *new(T) {
		j.do(jsonErr(r, "ts", "value without timestamp or writer"))
	}
	if j.err == nil {
		*l = out
	}
	return j.err
}

// WriteJSON writes the register to an easyjson writer.
func (l *LWWRegister[T]) WriteJSON(w *jwriter.Writer, c *Codec[T]) {
	writeEasy(w, func(b []byte) []byte { return l.AppendJSON(b, c) })
}

// ReadJSON reads the register from an easyjson lexer.
func (l *LWWRegister[T]) ReadJSON(lx *jlexer.Lexer, c *Codec[T]) {
	readEasy(lx, "crdt.LWWRegister", func(r *wire.JSONReader) error { return l.DecodeJSON(r, c) })
}

// AppendTo appends the counter's binary encoding.
func (c *GCounter) AppendTo(b []byte) []byte { return appendMarkers(appendVV(b, c.n), c.pruned) }

// DecodeFrom replaces c with the counter read from d.
func (c *GCounter) DecodeFrom(d *Decoder) {
	var out GCounter
	out.n = decodeVV(d, "entries")
	out.pruned = decodeMarkers(d)
	for x := range out.pruned {
		if _, ok := out.n[x]; ok && d.err == nil {
			d.Failf("pruned", "entry of pruned replica %q", x)
		}
	}
	if len(out.n) == 0 {
		out.n = nil
	}
	if d.err == nil {
		*c = out
	}
}

// AppendJSON appends the counter as {"entries":{...},"pruned":{...}}.
func (c *GCounter) AppendJSON(b []byte) []byte {
	b = append(b, `{"entries":`...)
	b = appendVVJSON(b, c.n)
	if len(c.pruned) > 0 {
		b = append(b, `,"pruned":`...)
		b = appendMarkersJSON(b, c.pruned)
	}
	return append(b, '}')
}

// DecodeJSON replaces c with the counter read from r.
func (c *GCounter) DecodeJSON(r *wire.JSONReader) error {
	j := jsonIn{r: r}
	var out GCounter
	j.object(func(key string) {
		switch key {
		case "entries":
			out.n = readVVJSON(&j)
		case "pruned":
			out.pruned = readMarkersJSON(&j)
		default:
			j.skip(key)
		}
	})
	for x := range out.pruned {
		delete(out.n, x)
	}
	if len(out.n) == 0 {
		out.n = nil
	}
	if j.err == nil {
		*c = out
	}
	return j.err
}

// WriteJSON writes the counter to an easyjson writer.
func (c *GCounter) WriteJSON(w *jwriter.Writer) { writeEasy(w, c.AppendJSON) }

// ReadJSON reads the counter from an easyjson lexer.
func (c *GCounter) ReadJSON(l *jlexer.Lexer) { readEasy(l, "crdt.GCounter", c.DecodeJSON) }

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

// AppendJSON appends the counter as {"p":...,"n":...}.
func (c *PNCounter) AppendJSON(b []byte) []byte {
	b = c.P.AppendJSON(append(b, `{"p":`...))
	b = c.N.AppendJSON(append(b, `,"n":`...))
	return append(b, '}')
}

// DecodeJSON replaces c with the counter read from r.
func (c *PNCounter) DecodeJSON(r *wire.JSONReader) error {
	j := jsonIn{r: r}
	var out PNCounter
	j.object(func(key string) {
		switch key {
		case "p":
			j.do(out.P.DecodeJSON(r))
		case "n":
			j.do(out.N.DecodeJSON(r))
		default:
			j.skip(key)
		}
	})
	if j.err == nil {
		*c = out
	}
	return j.err
}

// WriteJSON writes the counter to an easyjson writer.
func (c *PNCounter) WriteJSON(w *jwriter.Writer) { writeEasy(w, c.AppendJSON) }

// ReadJSON reads the counter from an easyjson lexer.
func (c *PNCounter) ReadJSON(l *jlexer.Lexer) { readEasy(l, "crdt.PNCounter", c.DecodeJSON) }

// Codecs of the CRDT types, for use as ORMap values.
var (
	// GCounterCodec encodes GCounter values.
	GCounterCodec = &Codec[GCounter]{
		Name:         "GCounter",
		AppendBinary: func(b []byte, v *GCounter) []byte { return v.AppendTo(b) },
		DecodeBinary: func(d *Decoder, v *GCounter) { v.DecodeFrom(d) },
		AppendJSON:   func(b []byte, v *GCounter) []byte { return v.AppendJSON(b) },
		DecodeJSON:   func(r *wire.JSONReader, v *GCounter) error { return v.DecodeJSON(r) },
	}
	// PNCounterCodec encodes PNCounter values.
	PNCounterCodec = &Codec[PNCounter]{
		Name:         "PNCounter",
		AppendBinary: func(b []byte, v *PNCounter) []byte { return v.AppendTo(b) },
		DecodeBinary: func(d *Decoder, v *PNCounter) { v.DecodeFrom(d) },
		AppendJSON:   func(b []byte, v *PNCounter) []byte { return v.AppendJSON(b) },
		DecodeJSON:   func(r *wire.JSONReader, v *PNCounter) error { return v.DecodeJSON(r) },
	}
)

// ORSetCodec returns the codec of ORSet[T] values.
func ORSetCodec[T comparable](c *Codec[T]) *Codec[ORSet[T]] {
	return &Codec[ORSet[T]]{
		Name:         "ORSet[" + c.Name + "]",
		AppendBinary: func(b []byte, v *ORSet[T]) []byte { return v.AppendTo(b, c) },
		DecodeBinary: func(d *Decoder, v *ORSet[T]) { v.DecodeFrom(d, c) },
		AppendJSON:   func(b []byte, v *ORSet[T]) []byte { return v.AppendJSON(b, c) },
		DecodeJSON:   func(r *wire.JSONReader, v *ORSet[T]) error { return v.DecodeJSON(r, c) },
	}
}

// MVRegisterCodec returns the codec of MVRegister[T] values.
func MVRegisterCodec[T comparable](c *Codec[T]) *Codec[MVRegister[T]] {
	return &Codec[MVRegister[T]]{
		Name:         "MVRegister[" + c.Name + "]",
		AppendBinary: func(b []byte, v *MVRegister[T]) []byte { return v.AppendTo(b, c) },
		DecodeBinary: func(d *Decoder, v *MVRegister[T]) { v.DecodeFrom(d, c) },
		AppendJSON:   func(b []byte, v *MVRegister[T]) []byte { return v.AppendJSON(b, c) },
		DecodeJSON:   func(r *wire.JSONReader, v *MVRegister[T]) error { return v.DecodeJSON(r, c) },
	}
}

// LWWRegisterCodec returns the codec of LWWRegister[T] values.
func LWWRegisterCodec[T comparable](c *Codec[T]) *Codec[LWWRegister[T]] {
	return &Codec[LWWRegister[T]]{
		Name:         "LWWRegister[" + c.Name + "]",
		AppendBinary: func(b []byte, v *LWWRegister[T]) []byte { return v.AppendTo(b, c) },
		DecodeBinary: func(d *Decoder, v *LWWRegister[T]) { v.DecodeFrom(d, c) },
		AppendJSON:   func(b []byte, v *LWWRegister[T]) []byte { return v.AppendJSON(b, c) },
		DecodeJSON:   func(r *wire.JSONReader, v *LWWRegister[T]) error { return v.DecodeJSON(r, c) },
	}
}

// ORMapCodec returns the codec of ORMap[K, V] values.
func ORMapCodec[K comparable, V any](kc *Codec[K], vc *Codec[V]) *Codec[ORMap[K, V]] {
	return &Codec[ORMap[K, V]]{
		Name:         "ORMap[" + kc.Name + "," + vc.Name + "]",
		AppendBinary: func(b []byte, v *ORMap[K, V]) []byte { return v.AppendTo(b, kc, vc) },
		DecodeBinary: func(d *Decoder, v *ORMap[K, V]) { v.DecodeFrom(d, kc, vc) },
		AppendJSON:   func(b []byte, v *ORMap[K, V]) []byte { return v.AppendJSON(b, kc, vc) },
		DecodeJSON:   func(r *wire.JSONReader, v *ORMap[K, V]) error { return v.DecodeJSON(r, kc, vc) },
	}
}
