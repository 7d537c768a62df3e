package codegen

import (
	"fmt"

	"github.com/dave/jennifer/jen"
)

// wireType is the wire type of a value of type t.
func wireType(t *Type) int {
	switch t.Kind {
	case KindBool, KindInt, KindUint, KindEnum, KindDuration:
		return 0
	case KindFloat:
		if t.Bits == 32 {
			return 5
		}
		return 1
	}
	return 2
}

var wireTypeConst = map[int]string{0: "TypeVarint", 1: "TypeFixed64", 2: "TypeLen", 5: "TypeFixed32"}

// minSize is the fewest bytes a value of type t encodes to.
func minSize(t *Type) int {
	switch wireType(t) {
	case 5:
		return 4
	case 1:
		return 8
	}
	return 1
}

// tagBytes is the uvarint encoding of a field tag.
func tagBytes(num, typ int) []jen.Code {
	v := uint64(num)<<3 | uint64(typ)
	var out []jen.Code
	for v >= 0x80 {
		out = append(out, jen.Op(fmt.Sprintf("0x%02x", byte(v)|0x80)))
		v >>= 7
	}
	return append(out, jen.Op(fmt.Sprintf("0x%02x", byte(v))))
}

func appendTag(num, typ int) jen.Code {
	return appendTo(jen.Append(append([]jen.Code{b()}, tagBytes(num, typ)...)...))
}

func (e *emitter) emitBinary(m *Message) {
	f := e.bin
	q := e.qualName(m.Name)
	recv := func() *jen.Statement { return jen.Id("x").Id(m.Name) }
	precv := func() *jen.Statement { return jen.Id("x").Op("*").Id(m.Name) }

	f.Add(docComment("AppendBinary appends the binary encoding of x to b (encoding.BinaryAppender).\nIt allocates nothing when b has room for Size() more bytes. On error it\nreturns b as it was, without a partial encoding.")).Func().Params(recv()).Id("AppendBinary").Params(jen.Id("b").Index().Byte()).Params(jen.Index().Byte(), jen.Error()).Block(
		jen.List(jen.Id("out"), err()).Op(":=").Id("x").Dot("appendBinary").Call(b()),
		jen.If(err().Op("!=").Nil()).Block(jen.Return(b(), wq("InType").Call(err(), jen.Lit(q)))),
		jen.Return(jen.Id("out"), jen.Nil()),
	)
	f.Line()
	f.Add(docComment("MarshalBinary implements encoding.BinaryMarshaler with one allocation of\nexactly Size() bytes.")).Func().Params(recv()).Id("MarshalBinary").Params().Params(jen.Index().Byte(), jen.Error()).Block(
		jen.List(b(), err()).Op(":=").Id("x").Dot("AppendBinary").Call(jen.Make(jen.Index().Byte(), jen.Lit(0), jen.Id("x").Dot("size").Call())),
		jen.If(err().Op("!=").Nil()).Block(jen.Return(jen.Nil(), err())),
		jen.Return(b(), jen.Nil()),
	)
	f.Line()
	f.Add(docComment(m.SizeMethod + " is the length of the binary encoding of x.")).Func().Params(recv()).Id(m.SizeMethod).Params().Int().Block(jen.Return(jen.Id("x").Dot("size").Call()))
	f.Line()
	f.Add(docComment("UnmarshalBinary implements encoding.BinaryUnmarshaler. It resets x first,\nskips fields it does not know and leaves missing fields zero. Errors are\n*wire.Error values naming the field and byte offset.")).Func().Params(precv()).Id("UnmarshalBinary").Params(jen.Id("data").Index().Byte()).Error().Block(
		jen.Op("*").Id("x").Op("=").Id(m.Name).Values(),
		jen.Id("d").Op(":=").Add(wq("NewDecoder")).Call(jen.Id("data")),
		jen.If(jen.Err().Op(":=").Id("x").Dot("decodeBinary").Call(jen.Op("&").Id("d")), err().Op("!=").Nil()).Block(
			jen.Return(wq("InType").Call(err(), jen.Lit(q))),
		),
		jen.Return(jen.Nil()),
	)
	f.Line()

	// appendBinary
	var app []jen.Code
	if m.canFailBinary {
		app = append(app, jen.Var().Err().Error())
	}
	for _, fl := range m.Fields {
		app = append(app, e.binAppendField(fl))
	}
	app = append(app, jen.Return(b(), jen.Nil()))
	f.Func().Params(precv()).Id("appendBinary").Params(jen.Id("b").Index().Byte()).Params(jen.Index().Byte(), jen.Error()).Block(app...)
	f.Line()

	// size
	sz := []jen.Code{jen.Id("n").Op(":=").Lit(0)}
	for _, fl := range m.Fields {
		sz = append(sz, e.binSizeField(fl))
	}
	sz = append(sz, jen.Return(jen.Id("n")))
	f.Func().Params(precv()).Id("size").Params().Int().Block(sz...)
	f.Line()

	// decodeBinary
	f.Func().Params(precv()).Id("decodeBinary").Params(jen.Id("d").Op("*").Add(wq("Decoder"))).Error().Block(
		jen.For(jen.Id("d").Dot("More").Call()).Block(
			jen.List(jen.Id("num"), jen.Id("typ"), err()).Op(":=").Id("d").Dot("Tag").Call(),
			jen.If(err().Op("!=").Nil()).Block(jen.Return(err())),
			jen.Switch(jen.Id("num")).BlockFunc(func(g *jen.Group) {
				for _, fl := range m.Fields {
					g.Case(jen.Lit(fl.Num)).Block(e.binDecode(fl.Type, id("x").dot(fl.Name), jen.Id("typ"), fieldWrap(fl.Name), fl.Name)...)
				}
				g.Default().Block(
					jen.If(jen.Err().Op(":=").Id("d").Dot("Skip").Call(jen.Id("typ")), err().Op("!=").Nil()).Block(jen.Return(err())),
				)
			}),
		),
		jen.Return(jen.Nil()),
	)
	f.Line()
}

// binNonZero is the condition under which a field is written.
func binNonZero(t *Type, x expr) jen.Code {
	switch t.Kind {
	case KindBool:
		return x()
	case KindInt, KindUint, KindEnum, KindDuration:
		return x().Op("!=").Lit(0)
	case KindFloat:
		if t.Bits == 32 {
			return jen.Qual("math", "Float32bits").Call(x()).Op("!=").Lit(0)
		}
		return jen.Qual("math", "Float64bits").Call(x()).Op("!=").Lit(0)
	case KindString:
		return x().Op("!=").Lit("")
	case KindTime:
		return jen.Op("!").Add(x()).Dot("IsZero").Call()
	}
	return x().Op("!=").Nil() // bytes, pointer, slice, map
}

func (e *emitter) binAppendField(fl *Field) jen.Code {
	t, x, wrap := fl.Type, id("x").dot(fl.Name), fieldWrap(fl.Name)
	tag := tagBytes(fl.Num, wireType(t))
	// tagAndGuess appends the tag and a one-byte length placeholder.
	tagAndGuess := appendTo(jen.Append(append(append([]jen.Code{b()}, tag...), jen.Lit(0))...))
	finish := jen.If(jen.Id("n").Op(":=").Len(b()).Op("-").Id("p").Op("-").Lit(1), jen.Id("n").Op("<").Lit(0x80)).Block(
		b().Index(jen.Id("p")).Op("=").Byte().Call(jen.Id("n")),
	).Else().Block(
		jen.List(b(), jen.Id("_")).Op("=").Add(wq("FinishLen")).Call(b(), jen.Id("p"), jen.Lit(1)),
	)
	switch t.Kind {
	case KindMessage:
		// Written only when it encodes to at least one byte.
		return jen.Block(append(append([]jen.Code{
			jen.Id("start").Op(":=").Len(b()),
			tagAndGuess,
			jen.Id("p").Op(":=").Len(b()).Op("-").Lit(1)},
			e.binCallAppend(t, x, wrap)...),
			jen.If(jen.Len(b()).Op("==").Id("p").Op("+").Lit(1)).Block(
				b().Op("=").Add(b()).Index(jen.Empty(), jen.Id("start")),
			).Else().Block(finish),
		)...)
	case KindPointer:
		return jen.If(x().Op("!=").Nil()).Block(append(append([]jen.Code{
			tagAndGuess,
			jen.Id("p").Op(":=").Len(b()).Op("-").Lit(1)},
			e.binCallAppend(t.Elem, x, wrap)...),
			finish,
		)...)
	case KindSlice:
		loop := jen.For(jen.Id("i").Op(":=").Range().Add(x())).Block(e.binAppendValue(t.Elem, x.index("i"), elemWrap(fl.Name, "i"))...)
		if needsGuess(t.Elem) {
			// Eight or more messages rarely fit in 127 bytes: reserve a
			// two-byte prefix for them, so the whole list is not moved.
			return jen.If(x().Op("!=").Nil()).Block(
				appendTo(jen.Append(append([]jen.Code{b()}, tag...)...)),
				jen.Id("pg").Op(":=").Lit(1),
				jen.If(jen.Len(x()).Op(">=").Lit(8)).Block(jen.Id("pg").Op("=").Lit(2)),
				jen.Var().Id("p").Int(),
				jen.List(b(), jen.Id("p")).Op("=").Add(wq("ReserveLen")).Call(b(), jen.Id("pg")),
				appendTo(wq("AppendUvarint").Call(b(), jen.Uint64().Call(jen.Len(x())))),
				jen.Id("g").Op(":=").Lit(1),
				loop,
				jen.List(b(), jen.Id("_")).Op("=").Add(wq("FinishLen")).Call(b(), jen.Id("p"), jen.Id("pg")),
			)
		}
		return jen.If(x().Op("!=").Nil()).Block(
			tagAndGuess,
			jen.Id("p").Op(":=").Len(b()).Op("-").Lit(1),
			appendTo(wq("AppendUvarint").Call(b(), jen.Uint64().Call(jen.Len(x())))),
			loop,
			finish,
		)
	case KindMap:
		val := func() *jen.Statement { return x().Index(jen.Id("k")) }
		var appLoop []jen.Code
		appLoop = append(appLoop, e.binAppendValue(t.Key, id("k"), fieldWrap(fl.Name))...)
		if t.Elem.Kind == KindMessage {
			appLoop = append(appLoop, jen.Id("v").Op(":=").Add(val()))
			val = id("v")
		}
		appLoop = append(appLoop, e.binAppendValue(t.Elem, val, keyWrap(fl.Name, t.Key, "k"))...)
		body := []jen.Code{
			jen.Var().Id("arr").Index(jen.Lit(8)).Add(t.Key.goType()),
			jen.Id("keys").Op(":=").Add(wq("SortedKeys")).Call(x(), jen.Id("arr").Index(jen.Empty(), jen.Lit(0))),
			tagAndGuess,
			jen.Id("p").Op(":=").Len(b()).Op("-").Lit(1),
			appendTo(wq("AppendUvarint").Call(b(), jen.Uint64().Call(jen.Len(jen.Id("keys"))))),
		}
		if needsGuess(t.Elem) {
			body = append(body, jen.Id("g").Op(":=").Lit(1))
		}
		body = append(body,
			jen.For(jen.List(jen.Id("_"), jen.Id("k")).Op(":=").Range().Id("keys")).Block(appLoop...),
			finish,
		)
		return jen.If(x().Op("!=").Nil()).Block(body...)
	}
	return jen.If(binNonZero(t, x)).Block(append([]jen.Code{appendTo(jen.Append(append([]jen.Code{b()}, tag...)...))}, e.binAppendValue(t, x, wrap)...)...)
}

// needsGuess reports whether list elements of t are messages whose length
// prefixes are back-patched, which needs the guess variable g.
func needsGuess(t *Type) bool { return t.Kind == KindMessage || t.Kind == KindPointer }

// fixedSize is the encoded size of every value of t, or 0 if it varies.
func fixedSize(t *Type) int {
	switch {
	case t.Kind == KindBool:
		return 1
	case t.Kind == KindFloat:
		return t.Bits / 8
	}
	return 0
}

// binCallAppend calls x.appendBinary (x a message, addressable or pointer).
func (e *emitter) binCallAppend(t *Type, x expr, wrap wrapper) []jen.Code {
	if e.canFail(t, false) {
		return []jen.Code{
			jen.List(b(), err()).Op("=").Add(x()).Dot("appendBinary").Call(b()),
			checkEncode(wrap),
		}
	}
	return []jen.Code{jen.List(b(), jen.Id("_")).Op("=").Add(x()).Dot("appendBinary").Call(b())}
}

// binAppendValue appends the value of x without a tag.
func (e *emitter) binAppendValue(t *Type, x expr, wrap wrapper) []jen.Code {
	switch t.Kind {
	case KindBool:
		return []jen.Code{appendTo(wq("AppendBool").Call(b(), x()))}
	case KindUint:
		return []jen.Code{appendTo(wq("AppendUvarint").Call(b(), jen.Uint64().Call(x())))}
	case KindInt, KindDuration:
		return []jen.Code{appendTo(wq("AppendVarint").Call(b(), jen.Int64().Call(x())))}
	case KindEnum:
		if t.Signed {
			return []jen.Code{appendTo(wq("AppendVarint").Call(b(), jen.Int64().Call(x())))}
		}
		return []jen.Code{appendTo(wq("AppendUvarint").Call(b(), jen.Uint64().Call(x())))}
	case KindFloat:
		if t.Bits == 32 {
			return []jen.Code{appendTo(wq("AppendFixed32").Call(b(), x()))}
		}
		return []jen.Code{appendTo(wq("AppendFixed64").Call(b(), x()))}
	case KindString:
		return []jen.Code{appendTo(wq("AppendString").Call(b(), x()))}
	case KindBytes:
		return []jen.Code{appendTo(wq("AppendBytes").Call(b(), x()))}
	case KindTime:
		return []jen.Code{jen.List(b(), err()).Op("=").Add(wq("AppendTime")).Call(b(), x()), checkEncode(wrap)}
	case KindMessage:
		// In a list or map: back-patch the length, guessing the size of the
		// previous element's prefix (g).
		return []jen.Code{jen.Block(append(append([]jen.Code{
			jen.Id("q").Op(":=").Len(b()),
			jen.If(jen.Id("g").Op("==").Lit(1)).Block(
				appendTo(jen.Append(b(), jen.Lit(0))),
			).Else().Block(
				jen.List(b(), jen.Id("_")).Op("=").Add(wq("ReserveLen")).Call(b(), jen.Id("g")),
			)},
			e.binCallAppend(t, x, wrap)...),
			// The common cases, a one- or two-byte prefix guessed right, inline.
			jen.If(jen.Id("n").Op(":=").Len(b()).Op("-").Id("q").Op("-").Id("g"), jen.Id("g").Op("==").Lit(1).Op("&&").Id("n").Op("<").Lit(0x80)).Block(
				b().Index(jen.Id("q")).Op("=").Byte().Call(jen.Id("n")),
			).Else().If(jen.Id("g").Op("==").Lit(2).Op("&&").Id("n").Op(">=").Lit(0x80).Op("&&").Id("n").Op("<").Lit(0x4000)).Block(
				b().Index(jen.Id("q")).Op("=").Byte().Call(jen.Id("n")).Op("|").Lit(0x80),
				b().Index(jen.Id("q").Op("+").Lit(1)).Op("=").Byte().Call(jen.Id("n").Op(">>").Lit(7)),
			).Else().Block(
				jen.List(b(), jen.Id("g")).Op("=").Add(wq("FinishLen")).Call(b(), jen.Id("q"), jen.Id("g")),
			),
		)...)}
	case KindPointer:
		// A nil element of a slice or map encodes as an empty message.
		return []jen.Code{jen.If(x().Op("==").Nil()).Block(appendLit("\x00")).Else().Block(e.binAppendValue(t.Elem, x, wrap)...)}
	}
	panic(fmt.Sprintf("crdtgen: binAppendValue: unhandled kind %d", t.Kind))
}

// binSizeValue adds the size of the value of x (without a tag) to acc.
func (e *emitter) binSizeValue(t *Type, x expr, acc string) []jen.Code {
	add := func(c jen.Code) []jen.Code { return []jen.Code{jen.Id(acc).Op("+=").Add(c)} }
	switch t.Kind {
	case KindBool:
		return add(jen.Lit(1))
	case KindUint:
		return add(wq("SizeUvarint").Call(jen.Uint64().Call(x())))
	case KindInt, KindDuration:
		return add(wq("SizeVarint").Call(jen.Int64().Call(x())))
	case KindEnum:
		if t.Signed {
			return add(wq("SizeVarint").Call(jen.Int64().Call(x())))
		}
		return add(wq("SizeUvarint").Call(jen.Uint64().Call(x())))
	case KindFloat:
		return add(jen.Lit(t.Bits / 8))
	case KindString:
		return add(wq("SizeString").Call(x()))
	case KindBytes:
		return add(wq("SizeBytes").Call(x()))
	case KindTime:
		return add(wq("SizeTime").Call(x()))
	case KindMessage:
		return add(wq("SizeLen").Call(x().Dot("size").Call()))
	case KindPointer:
		return []jen.Code{jen.If(x().Op("==").Nil()).Block(jen.Id(acc).Op("++")).Else().Block(e.binSizeValue(t.Elem, x, acc)...)}
	}
	panic(fmt.Sprintf("crdtgen: binSizeValue: unhandled kind %d", t.Kind))
}

func (e *emitter) binSizeField(fl *Field) jen.Code {
	t, x := fl.Type, id("x").dot(fl.Name)
	tagSize := len(tagBytes(fl.Num, wireType(t)))
	switch t.Kind {
	case KindMessage:
		return jen.If(jen.Id("s").Op(":=").Add(x()).Dot("size").Call(), jen.Id("s").Op(">").Lit(0)).Block(
			jen.Id("n").Op("+=").Lit(tagSize).Op("+").Add(wq("SizeLen")).Call(jen.Id("s")),
		)
	case KindSlice:
		body := []jen.Code{jen.Id("s").Op(":=").Add(wq("SizeUvarint")).Call(jen.Uint64().Call(jen.Len(x())))}
		if s := fixedSize(t.Elem); s > 0 {
			body = append(body, jen.Id("s").Op("+=").Lit(s).Op("*").Len(x()))
		} else {
			body = append(body, jen.For(jen.Id("i").Op(":=").Range().Add(x())).Block(e.binSizeValue(t.Elem, x.index("i"), "s")...))
		}
		body = append(body, jen.Id("n").Op("+=").Lit(tagSize).Op("+").Add(wq("SizeLen")).Call(jen.Id("s")))
		return jen.If(x().Op("!=").Nil()).Block(body...)
	case KindMap:
		loop := e.binSizeValue(t.Key, id("k"), "s")
		vars := jen.Id("k")
		var fixed jen.Code = jen.Null()
		if fs := fixedSize(t.Elem); fs > 0 {
			fixed = jen.Id("s").Op("+=").Lit(fs).Op("*").Len(x())
		} else {
			loop = append(loop, e.binSizeValue(t.Elem, id("v"), "s")...)
			vars = jen.List(jen.Id("k"), jen.Id("v"))
		}
		return jen.If(x().Op("!=").Nil()).Block(
			jen.Id("s").Op(":=").Add(wq("SizeUvarint")).Call(jen.Uint64().Call(jen.Len(x()))),
			jen.For(vars.Op(":=").Range().Add(x())).Block(loop...),
			fixed,
			jen.Id("n").Op("+=").Lit(tagSize).Op("+").Add(wq("SizeLen")).Call(jen.Id("s")),
		)
	}
	body := []jen.Code{jen.Id("n").Op("+=").Lit(tagSize)}
	if t.Kind == KindPointer {
		t = t.Elem // the nil check is binNonZero's
	}
	body = append(body, e.binSizeValue(t, x, "n")...)
	return jen.If(binNonZero(fl.Type, x)).Block(body...)
}

// binDecode decodes one value of type t with wire type typ into x.
func (e *emitter) binDecode(t *Type, x expr, typ jen.Code, wrap wrapper, fname string) []jen.Code {
	d := func() *jen.Statement { return jen.Id("d") }
	ret := func() jen.Code { return jen.If(err().Op("!=").Nil()).Block(jen.Return(wrap(err()))) }
	scalar := func(call jen.Code, conv func(jen.Code) jen.Code) []jen.Code {
		return []jen.Code{jen.Block(
			jen.List(jen.Id("val"), err()).Op(":=").Add(call),
			ret(),
			x().Op("=").Add(conv(jen.Id("val"))),
		)}
	}
	same := func(v jen.Code) jen.Code { return v }
	to := func(name jen.Code) func(jen.Code) jen.Code {
		return func(v jen.Code) jen.Code { return jen.Add(name).Call(v) }
	}
	switch t.Kind {
	case KindBool:
		return scalar(d().Dot("Bool").Call(typ), same)
	case KindUint:
		return scalar(d().Dot("Uvarint").Call(typ, jen.Lit(t.Bits)), to(jen.Id(t.Name)))
	case KindInt:
		return scalar(d().Dot("Varint").Call(typ, jen.Lit(t.Bits)), to(jen.Id(t.Name)))
	case KindDuration:
		return scalar(d().Dot("Varint").Call(typ, jen.Lit(64)), to(jen.Qual("time", "Duration")))
	case KindEnum:
		if t.Signed {
			return scalar(d().Dot("Varint").Call(typ, jen.Lit(t.Bits)), to(jen.Id(t.Name)))
		}
		return scalar(d().Dot("Uvarint").Call(typ, jen.Lit(t.Bits)), to(jen.Id(t.Name)))
	case KindFloat:
		if t.Bits == 32 {
			return scalar(d().Dot("Float32").Call(typ), same)
		}
		return scalar(d().Dot("Float64").Call(typ), same)
	case KindString:
		return scalar(d().Dot("String").Call(typ), same)
	case KindBytes:
		return scalar(d().Dot("Bytes").Call(typ), same)
	case KindTime:
		return scalar(d().Dot("Time").Call(typ), same)
	case KindMessage:
		return []jen.Code{jen.Block(
			jen.List(jen.Id("fr"), err()).Op(":=").Add(d()).Dot("BeginMessage").Call(typ),
			ret(),
			jen.If(jen.Err().Op(":=").Add(x()).Dot("decodeBinary").Call(d()), err().Op("!=").Nil()).Block(jen.Return(wrap(err()))),
			d().Dot("EndMessage").Call(jen.Id("fr")),
		)}
	case KindPointer:
		return []jen.Code{jen.Block(append([]jen.Code{
			jen.Id("p").Op(":=").New(jen.Id(t.Elem.Name))},
			append(e.binDecode(t.Elem, id("p"), typ, wrap, fname),
				x().Op("=").Id("p"))...)...,
		)}
	case KindSlice:
		elemTyp := wq(wireTypeConst[wireType(t.Elem)])
		if t.Elem.Kind == KindMessage || t.Elem.Kind == KindPointer {
			// An element can be a single byte (an empty message), so a count
			// that fits the input can still ask for far more memory than the
			// input holds: preallocate at most maxPrealloc elements and let
			// the slice grow with the elements actually decoded.
			return []jen.Code{jen.Block(
				jen.List(jen.Id("fr"), jen.Id("cnt"), err()).Op(":=").Add(d()).Dot("BeginList").Call(typ, jen.Lit(minSize(t.Elem))),
				ret(),
				jen.Id("s").Op(":=").Make(t.goType(), jen.Lit(0), jen.Min(jen.Id("cnt"), jen.Lit(maxPrealloc))),
				jen.For(jen.Id("i").Op(":=").Lit(0), jen.Id("i").Op("<").Id("cnt"), jen.Id("i").Op("++")).Block(
					append([]jen.Code{jen.Id("s").Op("=").Append(jen.Id("s"), jen.Add(elemZero(t.Elem)))},
						e.binDecode(t.Elem, id("s").index("i"), elemTyp, elemWrap(fname, "i"), fname)...)...,
				),
				jen.If(jen.Err().Op(":=").Add(d()).Dot("EndList").Call(jen.Id("fr")), err().Op("!=").Nil()).Block(jen.Return(wrap(err()))),
				x().Op("=").Id("s"),
			)}
		}
		return []jen.Code{jen.Block(
			jen.List(jen.Id("fr"), jen.Id("cnt"), err()).Op(":=").Add(d()).Dot("BeginList").Call(typ, jen.Lit(minSize(t.Elem))),
			ret(),
			jen.Id("s").Op(":=").Make(t.goType(), jen.Id("cnt")),
			jen.For(jen.Id("i").Op(":=").Range().Id("s")).Block(
				e.binDecode(t.Elem, id("s").index("i"), elemTyp, elemWrap(fname, "i"), fname)...,
			),
			jen.If(jen.Err().Op(":=").Add(d()).Dot("EndList").Call(jen.Id("fr")), err().Op("!=").Nil()).Block(jen.Return(wrap(err()))),
			x().Op("=").Id("s"),
		)}
	case KindMap:
		keyTyp := wq(wireTypeConst[wireType(t.Key)])
		valTyp := wq(wireTypeConst[wireType(t.Elem)])
		loop := []jen.Code{jen.Var().Id("k").Add(t.Key.goType())}
		loop = append(loop, e.binDecode(t.Key, id("k"), keyTyp, elemWrap(fname, "i"), fname)...)
		loop = append(loop, jen.Var().Id("v").Add(t.Elem.goType()))
		loop = append(loop, e.binDecode(t.Elem, id("v"), valTyp, keyWrap(fname, t.Key, "k"), fname)...)
		loop = append(loop, jen.Id("m").Index(jen.Id("k")).Op("=").Id("v"))
		return []jen.Code{jen.Block(
			jen.List(jen.Id("fr"), jen.Id("cnt"), err()).Op(":=").Add(d()).Dot("BeginList").Call(typ, jen.Lit(minSize(t.Key)+minSize(t.Elem))),
			ret(),
			jen.Id("m").Op(":=").Make(t.goType(), jen.Min(jen.Id("cnt"), jen.Lit(maxPrealloc))),
			jen.For(jen.Id("i").Op(":=").Lit(0), jen.Id("i").Op("<").Id("cnt"), jen.Id("i").Op("++")).Block(loop...),
			jen.If(jen.Err().Op(":=").Add(d()).Dot("EndList").Call(jen.Id("fr")), err().Op("!=").Nil()).Block(jen.Return(wrap(err()))),
			x().Op("=").Id("m"),
		)}
	}
	panic(fmt.Sprintf("crdtgen: binDecode: unhandled kind %d", t.Kind))
}

// maxPrealloc bounds how many message elements a binary decoder allocates
// before it has decoded them.
const maxPrealloc = 1024

// elemZero is the zero value of a message or pointer element.
func elemZero(t *Type) jen.Code {
	if t.Kind == KindPointer {
		return jen.Nil()
	}
	return jen.Id(t.Name).Values()
}
