package codegen

import (
	"fmt"
	"strconv"

	"github.com/dave/jennifer/jen"
)

// wq qualifies a name of the wire runtime package.
func wq(name string) *jen.Statement { return jen.Qual(wirePkg, name) }

// expr builds a fresh expression each time it is called: jennifer
// statements are mutable, so an expression used twice must be built twice.
type expr func() *jen.Statement

func id(name string) expr { return func() *jen.Statement { return jen.Id(name) } }

func (x expr) dot(name string) expr { return func() *jen.Statement { return x().Dot(name) } }

func (x expr) index(i string) expr { return func() *jen.Statement { return x().Index(jen.Id(i)) } }

// wrapper builds the error-path expression that adds a field path to err.
type wrapper func(err jen.Code) jen.Code

func fieldWrap(name string) wrapper {
	return func(err jen.Code) jen.Code { return wq("InField").Call(err, jen.Lit(name)) }
}

func elemWrap(name, i string) wrapper {
	return func(err jen.Code) jen.Code { return wq("InElem").Call(err, jen.Lit(name), jen.Id(i)) }
}

func keyWrap(name string, key *Type, k string) wrapper {
	return func(err jen.Code) jen.Code {
		switch key.Kind {
		case KindString:
			return wq("InKey").Call(err, jen.Lit(name), jen.Id(k))
		}
		if key.Signed {
			return wq("InIntKey").Call(err, jen.Lit(name), jen.Int64().Call(jen.Id(k)))
		}
		return wq("InUintKey").Call(err, jen.Lit(name), jen.Uint64().Call(jen.Id(k)))
	}
}

func b() *jen.Statement   { return jen.Id("b") }
func err() *jen.Statement { return jen.Err() }

// appendTo is `b = <call>`.
func appendTo(call jen.Code) jen.Code { return b().Op("=").Add(call) }

// appendLit is `b = append(b, "lit"...)`.
func appendLit(s string) jen.Code {
	if len(s) == 1 {
		return appendTo(jen.Append(b(), jen.Op(strconv.QuoteRune(rune(s[0])))))
	}
	return appendTo(jen.Append(b(), jen.Lit(s).Op("...")))
}

// checkEncode is `if err != nil { return b, wrap(err) }`.
func checkEncode(wrap wrapper) jen.Code {
	return jen.If(err().Op("!=").Nil()).Block(jen.Return(b(), wrap(err())))
}

func (e *emitter) emitJSON(m *Message) {
	f := e.json
	q := e.qualName(m.Name)
	recv := jen.Id("x").Id(m.Name)
	precv := func() *jen.Statement { return jen.Id("x").Op("*").Id(m.Name) }

	f.Add(docComment("AppendJSON appends the JSON encoding of x to b: byte for byte what\nencoding/json writes for the same struct. It allocates nothing when b has\nroom. On error it returns b as it was, without a partial encoding.")).Func().Params(recv.Clone()).Id("AppendJSON").Params(jen.Id("b").Index().Byte()).Params(jen.Index().Byte(), jen.Error()).Block(
		jen.List(jen.Id("out"), err()).Op(":=").Id("x").Dot("appendJSON").Call(b()),
		jen.If(err().Op("!=").Nil()).Block(jen.Return(b(), wq("InType").Call(err(), jen.Lit(q)))),
		jen.Return(jen.Id("out"), jen.Nil()),
	)
	f.Line()
	f.Add(docComment("MarshalJSON implements json.Marshaler. It allocates once: jsonSize is\nenough unless a string needs escaping.")).Func().Params(recv.Clone()).Id("MarshalJSON").Params().Params(jen.Index().Byte(), jen.Error()).Block(
		jen.List(b(), err()).Op(":=").Id("x").Dot("appendJSON").Call(jen.Make(jen.Index().Byte(), jen.Lit(0), jen.Id("x").Dot("jsonSize").Call())),
		jen.If(err().Op("!=").Nil()).Block(jen.Return(jen.Nil(), wq("InType").Call(err(), jen.Lit(q)))),
		jen.Return(b(), jen.Nil()),
	)
	f.Line()
	f.Add(docComment("MarshalEasyJSON implements easyjson.Marshaler.")).Func().Params(recv.Clone()).Id("MarshalEasyJSON").Params(jen.Id("w").Op("*").Qual(jwriterPkg, "Writer")).Block(
		jen.List(b(), err()).Op(":=").Id("x").Dot("AppendJSON").Call(jen.Id("w").Dot("Buffer").Dot("Buf")),
		jen.Id("w").Dot("Buffer").Dot("Buf").Op("=").Add(b()),
		jen.If(err().Op("!=").Nil().Op("&&").Id("w").Dot("Error").Op("==").Nil()).Block(
			jen.Id("w").Dot("Error").Op("=").Add(err()),
		),
	)
	f.Line()
	f.Add(docComment("UnmarshalJSON implements json.Unmarshaler. It resets x first; unknown\nfields are skipped and keys match case-insensitively, as with encoding/json.")).Func().Params(precv()).Id("UnmarshalJSON").Params(jen.Id("data").Index().Byte()).Error().Block(
		jen.Return(jen.Id("x").Dot("unmarshalJSON").Call(jen.Id("data"), jen.False())),
	)
	f.Line()
	f.Add(docComment("UnmarshalJSONStrict is UnmarshalJSON that refuses unknown fields with\nwire.ErrUnknownField.")).Func().Params(precv()).Id("UnmarshalJSONStrict").Params(jen.Id("data").Index().Byte()).Error().Block(
		jen.Return(jen.Id("x").Dot("unmarshalJSON").Call(jen.Id("data"), jen.True())),
	)
	f.Line()
	f.Func().Params(precv()).Id("unmarshalJSON").Params(jen.Id("data").Index().Byte(), jen.Id("strict").Bool()).Error().Block(
		jen.Id("r").Op(":=").Add(wq("NewJSONReader")).Call(jen.Id("data"), jen.Id("strict")),
		jen.Op("*").Id("x").Op("=").Id(m.Name).Values(),
		jen.Err().Op(":=").Id("x").Dot("decodeJSON").Call(jen.Op("&").Id("r")),
		jen.If(err().Op("==").Nil()).Block(jen.Err().Op("=").Id("r").Dot("End").Call()),
		jen.If(err().Op("!=").Nil()).Block(jen.Return(wq("InType").Call(err(), jen.Lit(q)))),
		jen.Return(jen.Nil()),
	)
	f.Line()
	f.Add(docComment("UnmarshalEasyJSON implements easyjson.Unmarshaler.")).Func().Params(precv()).Id("UnmarshalEasyJSON").Params(jen.Id("l").Op("*").Qual(jlexerPkg, "Lexer")).Block(
		jen.Id("raw").Op(":=").Id("l").Dot("Raw").Call(),
		jen.If(jen.Op("!").Id("l").Dot("Ok").Call()).Block(jen.Return()),
		jen.Id("r").Op(":=").Add(wq("NewJSONReaderAt")).Call(jen.Id("raw"), jen.Id("l").Dot("GetPos").Call().Op("-").Len(jen.Id("raw")), jen.False()),
		jen.Op("*").Id("x").Op("=").Id(m.Name).Values(),
		jen.Err().Op(":=").Id("x").Dot("decodeJSON").Call(jen.Op("&").Id("r")),
		jen.If(err().Op("==").Nil()).Block(jen.Err().Op("=").Id("r").Dot("End").Call()),
		jen.If(err().Op("!=").Nil()).Block(jen.Id("l").Dot("AddError").Call(wq("InType").Call(err(), jen.Lit(q)))),
	)
	f.Line()
	e.emitAppendJSON(m)
	e.emitJSONSize(m)
	e.emitDecodeJSON(m)
}

// emitJSONSize emits jsonSize: the length of the JSON encoding when no
// string needs escaping (floats and times count their longest form). The
// constant parts of every field that is always written are summed into
// one literal, which keeps small messages' jsonSize within the inlining
// budget.
func (e *emitter) emitJSONSize(m *Message) {
	k, always := 1, false // the closing brace
	var stmts []jen.Code
	for _, fl := range m.Fields {
		if fl.JSONSkip {
			continue
		}
		x := id("x").dot(fl.Name)
		// The key with its quotes and colon, the comma or opening brace,
		// and the value's constant part.
		c, code := jsonSizeValue(fl.Type, x, "n")
		c += len(fl.JSONName) + 4
		if cond := nonEmpty(fl.Type, x); fl.OmitEmpty && cond != nil {
			stmts = append(stmts, jen.If(cond).Block(append([]jen.Code{jen.Id("n").Op("+=").Lit(c)}, code...)...))
			continue
		}
		always = true
		k += c
		stmts = append(stmts, code...)
	}
	if !always {
		// With every field omitted the object is {}.
		stmts = append(stmts, jen.If(jen.Id("n").Op("==").Lit(1)).Block(jen.Return(jen.Lit(2))))
	}
	stmts = append([]jen.Code{jen.Id("n").Op(":=").Lit(k)}, stmts...)
	stmts = append(stmts, jen.Return(jen.Id("n")))
	e.json.Func().Params(jen.Id("x").Op("*").Id(m.Name)).Id("jsonSize").Params().Int().Block(stmts...)
	e.json.Line()
}

// jsonFixedLen is the longest JSON form of a bool, float or time (which
// jsonSize counts without looking at the value), or 0.
func jsonFixedLen(t *Type) int {
	switch t.Kind {
	case KindBool:
		return 5
	case KindFloat:
		return 25 // -0.0000012345678901234567
	case KindTime:
		return 37
	}
	return 0
}

// jsonSizeStmts is statements adding the JSON length of x to acc.
func jsonSizeStmts(t *Type, x expr, acc string) []jen.Code {
	c, code := jsonSizeValue(t, x, acc)
	if c != 0 {
		code = append([]jen.Code{jen.Id(acc).Op("+=").Lit(c)}, code...)
	}
	return code
}

// jsonSizeValue splits the JSON length of x into a constant and
// statements adding the rest to acc.
func jsonSizeValue(t *Type, x expr, acc string) (int, []jen.Code) {
	add := func(c jen.Code) []jen.Code { return []jen.Code{jen.Id(acc).Op("+=").Add(c)} }
	signed := t.Kind == KindInt || t.Kind == KindDuration || t.Kind == KindEnum && t.Signed
	orNull := func(code ...jen.Code) []jen.Code {
		return []jen.Code{jen.If(x().Op("==").Nil()).Block(jen.Id(acc).Op("+=").Lit(4)).Else().Block(code...)}
	}
	switch t.Kind {
	case KindBool, KindFloat, KindTime:
		return jsonFixedLen(t), nil
	case KindInt, KindUint, KindEnum, KindDuration:
		if signed {
			return 0, add(wq("IntLen").Call(jen.Int64().Call(x())))
		}
		return 0, add(wq("UintLen").Call(jen.Uint64().Call(x())))
	case KindString:
		return 2, add(jen.Len(x()))
	case KindBytes:
		return 0, add(wq("Base64Len").Call(x()))
	case KindMessage:
		return 0, add(x().Dot("jsonSize").Call())
	case KindPointer:
		return 0, orNull(jsonSizeStmts(t.Elem, x, acc)...)
	case KindSlice:
		if isByteEnum(t.Elem) {
			return 0, orNull(jen.Id(acc).Op("+=").Parens(jen.Len(x()).Op("+").Lit(2)).Op("/").Lit(3).Op("*").Lit(4).Op("+").Lit(2))
		}
		// Brackets, then per element its constant part and a comma, one
		// too many unless the slice is empty: max(2, 1+(c+1)*len).
		c, code := jsonSizeValue(t.Elem, x.index("i"), acc)
		each := jen.Id(acc).Op("+=").Id("max").Call(jen.Lit(2), jen.Lit(1).Op("+").Lit(c+1).Op("*").Len(x()))
		if len(code) == 0 {
			return 0, orNull(each)
		}
		return 0, orNull(each, jen.For(jen.Id("i").Op(":=").Range().Add(x())).Block(code...))
	case KindMap:
		// Braces, then per entry a colon, a comma (one too many unless the
		// map is empty) and the constant parts of key and value.
		ck, code := jsonSizeValue(t.Key, id("k"), acc)
		if t.Key.Kind != KindString {
			ck += 2 // quotes
		}
		cv, val := jsonSizeValue(t.Elem, id("v"), acc)
		vars := jen.Id("k")
		if len(val) > 0 {
			vars = jen.List(jen.Id("k"), jen.Id("v"))
			code = append(code, val...)
		}
		return 0, orNull(
			jen.Id(acc).Op("+=").Id("max").Call(jen.Lit(2), jen.Lit(1).Op("+").Lit(2+ck+cv).Op("*").Len(x())),
			jen.For(vars.Op(":=").Range().Add(x())).Block(code...),
		)
	}
	panic("crdtgen: jsonSizeValue: unhandled kind")
}

func (e *emitter) emitAppendJSON(m *Message) {
	var fields []*Field
	for _, fl := range m.Fields {
		if !fl.JSONSkip {
			fields = append(fields, fl)
		}
	}
	var stmts []jen.Code
	if len(fields) == 0 {
		stmts = append(stmts, jen.Return(jen.Append(b(), jen.Lit("{}").Op("...")), jen.Nil()))
	} else {
		fixup := fields[0].OmitEmpty
		if m.canFailJSON {
			stmts = append(stmts, jen.Var().Err().Error())
		}
		if fixup {
			stmts = append(stmts, jen.Id("start").Op(":=").Len(b()))
		}
		for i, fl := range fields {
			prefix := ","
			if i == 0 && !fixup {
				prefix = "{"
			}
			x := id("x").dot(fl.Name)
			code := []jen.Code{appendLit(prefix + `"` + fl.JSONName + `":`)}
			code = append(code, e.jsonAppend(fl.Type, x, fieldWrap(fl.Name), fl.Name)...)
			if cond := nonEmpty(fl.Type, x); fl.OmitEmpty && cond != nil {
				stmts = append(stmts, jen.If(cond).Block(code...))
				continue
			}
			stmts = append(stmts, code...)
		}
		if fixup {
			// The first field written starts with ','; make it '{'.
			stmts = append(stmts, jen.If(jen.Len(b()).Op("==").Id("start")).Block(
				appendLit("{"),
			).Else().Block(
				b().Index(jen.Id("start")).Op("=").LitByte('{'),
			))
		}
		stmts = append(stmts, jen.Return(jen.Append(b(), jen.Op("'}'")), jen.Nil()))
	}
	e.json.Func().Params(jen.Id("x").Op("*").Id(m.Name)).Id("appendJSON").Params(jen.Id("b").Index().Byte()).Params(jen.Index().Byte(), jen.Error()).Block(stmts...)
	e.json.Line()
}

// nonEmpty is the omitempty condition of encoding/json, or nil when the
// type is never empty (structs: time.Time and messages).
func nonEmpty(t *Type, x expr) jen.Code {
	switch t.Kind {
	case KindBool:
		return x()
	case KindInt, KindUint, KindFloat, KindDuration, KindEnum:
		return x().Op("!=").Lit(0)
	case KindString:
		return x().Op("!=").Lit("")
	case KindBytes, KindSlice, KindMap:
		return jen.Len(x()).Op("!=").Lit(0)
	case KindPointer:
		return x().Op("!=").Nil()
	}
	return nil
}

// jsonAppend appends the JSON value x of type t.
func (e *emitter) jsonAppend(t *Type, x expr, wrap wrapper, fname string) []jen.Code {
	decimal := func(fn string, conv func(jen.Code) *jen.Statement) []jen.Code {
		return []jen.Code{appendTo(wq(fn).Call(b(), conv(x())))}
	}
	switch t.Kind {
	case KindBool:
		return []jen.Code{appendTo(jen.Qual("strconv", "AppendBool").Call(b(), x()))}
	case KindInt, KindDuration:
		return decimal("AppendInt", func(c jen.Code) *jen.Statement { return jen.Int64().Call(c) })
	case KindUint:
		return decimal("AppendUint", func(c jen.Code) *jen.Statement { return jen.Uint64().Call(c) })
	case KindEnum:
		if t.Signed {
			return decimal("AppendInt", func(c jen.Code) *jen.Statement { return jen.Int64().Call(c) })
		}
		return decimal("AppendUint", func(c jen.Code) *jen.Statement { return jen.Uint64().Call(c) })
	case KindFloat:
		return []jen.Code{
			jen.List(b(), err()).Op("=").Add(wq("AppendJSONFloat")).Call(b(), jen.Float64().Call(x()), jen.Lit(t.Bits)),
			checkEncode(wrap),
		}
	case KindString:
		return []jen.Code{appendTo(wq("AppendJSONString").Call(b(), x()))}
	case KindBytes:
		return []jen.Code{appendTo(wq("AppendJSONBytes").Call(b(), x()))}
	case KindTime:
		return []jen.Code{
			jen.List(b(), err()).Op("=").Add(wq("AppendJSONTime")).Call(b(), x()),
			checkEncode(wrap),
		}
	case KindMessage:
		if e.canFail(t, true) {
			return []jen.Code{
				jen.List(b(), err()).Op("=").Add(x()).Dot("appendJSON").Call(b()),
				checkEncode(wrap),
			}
		}
		return []jen.Code{jen.List(b(), jen.Id("_")).Op("=").Add(x()).Dot("appendJSON").Call(b())}
	case KindPointer:
		return []jen.Code{jen.If(x().Op("==").Nil()).Block(appendLit("null")).Else().Block(
			e.jsonAppend(t.Elem, x, wrap, fname)...,
		)}
	case KindSlice:
		if isByteEnum(t.Elem) {
			// encoding/json writes slices of any uint8 type as base64.
			return []jen.Code{appendTo(wq("AppendJSONByteSlice").Call(b(), x()))}
		}
		loop := []jen.Code{jen.If(jen.Id("i").Op(">").Lit(0)).Block(appendLit(","))}
		loop = append(loop, e.jsonAppend(t.Elem, x.index("i"), elemWrap(fname, "i"), fname)...)
		return []jen.Code{jen.If(x().Op("==").Nil()).Block(appendLit("null")).Else().Block(
			appendLit("["),
			jen.For(jen.Id("i").Op(":=").Range().Add(x())).Block(loop...),
			appendLit("]"),
		)}
	case KindMap:
		var sortCall jen.Code = jen.Null()
		var keyCode []jen.Code
		switch {
		case t.Key.Kind == KindString:
			keyCode = []jen.Code{appendTo(wq("AppendJSONString").Call(b(), jen.Id("k")))}
		case t.Key.Signed:
			sortCall = wq("SortJSONIntKeys").Call(jen.Id("keys"))
			keyCode = []jen.Code{appendLit(`"`), appendTo(wq("AppendInt").Call(b(), jen.Int64().Call(jen.Id("k")))), appendLit(`"`)}
		default:
			sortCall = wq("SortJSONUintKeys").Call(jen.Id("keys"))
			keyCode = []jen.Code{appendLit(`"`), appendTo(wq("AppendUint").Call(b(), jen.Uint64().Call(jen.Id("k")))), appendLit(`"`)}
		}
		loop := []jen.Code{jen.If(jen.Id("i").Op(">").Lit(0)).Block(appendLit(","))}
		loop = append(loop, keyCode...)
		loop = append(loop, appendLit(":"))
		val := func() *jen.Statement { return x().Index(jen.Id("k")) }
		if t.Elem.Kind == KindMessage {
			loop = append(loop, jen.Id("v").Op(":=").Add(val()))
			val = id("v")
		}
		loop = append(loop, e.jsonAppend(t.Elem, val, keyWrap(fname, t.Key, "k"), fname)...)
		return []jen.Code{jen.If(x().Op("==").Nil()).Block(appendLit("null")).Else().Block(
			jen.Var().Id("arr").Index(jen.Lit(8)).Add(t.Key.goType()),
			jen.Id("keys").Op(":=").Add(wq("SortedKeys")).Call(x(), jen.Id("arr").Index(jen.Empty(), jen.Lit(0))),
			sortCall,
			appendLit("{"),
			jen.For(jen.List(jen.Id("i"), jen.Id("k")).Op(":=").Range().Id("keys")).Block(loop...),
			appendLit("}"),
		)}
	}
	panic(fmt.Sprintf("crdtgen: jsonAppend: unhandled kind %d", t.Kind))
}

// canFail reports whether encoding a value of type t can return an error.
func (e *emitter) canFail(t *Type, json bool) bool { return e.pkg.canFail(t, json) }

func (e *emitter) emitDecodeJSON(m *Message) {
	var fields []*Field
	for _, fl := range m.Fields {
		if !fl.JSONSkip {
			fields = append(fields, fl)
		}
	}
	namesVar := "jsonFields" + m.Name
	e.json.Var().Id(namesVar).Op("=").Index(jen.Op("...")).String().ValuesFunc(func(g *jen.Group) {
		for _, fl := range fields {
			g.Lit(fl.JSONName)
		}
	})
	e.json.Line()
	exact := jen.Switch(jen.String().Call(jen.Id("key"))).BlockFunc(func(g *jen.Group) {
		for i, fl := range fields {
			g.Case(jen.Lit(fl.JSONName)).Block(jen.Id("f").Op("=").Lit(i + 1))
		}
		g.Default().Block(jen.Id("f").Op("=").Add(wq("FoldIndex")).Call(jen.Id("key"), jen.Id(namesVar).Index(jen.Op(":"))))
	})
	dispatch := jen.Switch(jen.Id("f")).BlockFunc(func(g *jen.Group) {
		for i, fl := range fields {
			g.Case(jen.Lit(i + 1)).Block(e.jsonDecode(fl.Type, id("x").dot(fl.Name), fieldWrap(fl.Name), fl.Name)...)
		}
		g.Default().Block(
			jen.If(jen.Err().Op(":=").Id("r").Dot("SkipField").Call(jen.Id("key")), err().Op("!=").Nil()).Block(jen.Return(err())),
		)
	})
	e.json.Func().Params(jen.Id("x").Op("*").Id(m.Name)).Id("decodeJSON").Params(jen.Id("r").Op("*").Add(wq("JSONReader"))).Error().Block(
		jen.If(jen.Id("r").Dot("Null").Call()).Block(jen.Return(jen.Nil())),
		jen.If(jen.Err().Op(":=").Id("r").Dot("BeginObject").Call(), err().Op("!=").Nil()).Block(jen.Return(err())),
		jen.For(jen.Id("n").Op(":=").Lit(0), jen.Empty(), jen.Id("n").Op("++")).Block(
			jen.List(jen.Id("key"), jen.Id("ok"), err()).Op(":=").Id("r").Dot("Key").Call(jen.Id("n")),
			jen.If(err().Op("!=").Nil()).Block(jen.Return(err())),
			jen.If(jen.Op("!").Id("ok")).Block(jen.Return(jen.Nil())),
			jen.Var().Id("f").Int(),
			exact,
			dispatch,
		),
	)
	e.json.Line()
}

// readCall is the JSONReader call that reads a scalar of type t and the
// conversion of its result to t.
func readCall(t *Type) (call jen.Code, conv func(jen.Code) jen.Code) {
	to := func(name jen.Code) func(jen.Code) jen.Code {
		return func(v jen.Code) jen.Code { return jen.Add(name).Call(v) }
	}
	r := jen.Id("r")
	switch t.Kind {
	case KindBool:
		return r.Dot("Bool").Call(), func(v jen.Code) jen.Code { return v }
	case KindInt, KindEnum:
		if t.Kind == KindInt || t.Signed {
			return r.Dot("Int").Call(jen.Lit(t.Bits)), to(jen.Id(t.Name))
		}
		return r.Dot("Uint").Call(jen.Lit(t.Bits)), to(jen.Id(t.Name))
	case KindUint:
		return r.Dot("Uint").Call(jen.Lit(t.Bits)), to(jen.Id(t.Name))
	case KindDuration:
		return r.Dot("Int").Call(jen.Lit(64)), to(jen.Qual("time", "Duration"))
	case KindFloat:
		return r.Dot("Float").Call(jen.Lit(t.Bits)), to(jen.Id(t.Name))
	case KindString:
		return r.Dot("String").Call(), func(v jen.Code) jen.Code { return v }
	case KindBytes:
		return r.Dot("Bytes").Call(), func(v jen.Code) jen.Code { return v }
	case KindTime:
		return r.Dot("Time").Call(), func(v jen.Code) jen.Code { return v }
	}
	return nil, nil
}

// jsonDecode decodes one JSON value into the addressable expression x.
func (e *emitter) jsonDecode(t *Type, x expr, wrap wrapper, fname string) []jen.Code {
	ret := func() jen.Code { return jen.If(err().Op("!=").Nil()).Block(jen.Return(wrap(err()))) }
	switch t.Kind {
	case KindMessage:
		return []jen.Code{jen.If(jen.Err().Op(":=").Add(x()).Dot("decodeJSON").Call(jen.Id("r")), err().Op("!=").Nil()).Block(jen.Return(wrap(err())))}
	case KindPointer:
		return []jen.Code{jen.If(jen.Id("r").Dot("Null").Call()).Block(
			x().Op("=").Nil(),
		).Else().Block(
			jen.Id("p").Op(":=").New(jen.Id(t.Elem.Name)),
			jen.If(jen.Err().Op(":=").Id("p").Dot("decodeJSON").Call(jen.Id("r")), err().Op("!=").Nil()).Block(jen.Return(wrap(err()))),
			x().Op("=").Id("p"),
		)}
	case KindSlice:
		if isByteEnum(t.Elem) {
			return []jen.Code{jen.Block(
				jen.List(jen.Id("val"), err()).Op(":=").Id("r").Dot("Bytes").Call(),
				ret(),
				x().Op("=").Add(wq("ByteSliceAs")).Types(jen.Id(t.Elem.Name)).Call(jen.Id("val")),
			)}
		}
		initCap := 8
		if t.Elem.Kind == KindMessage || t.Elem.Kind == KindTime {
			initCap = 4
		}
		var elem []jen.Code
		if t.Elem.Kind == KindMessage {
			elem = []jen.Code{
				jen.Id("s").Op("=").Append(jen.Id("s"), jen.Id(t.Elem.Name).Values()),
				jen.If(jen.Err().Op(":=").Id("s").Index(jen.Len(jen.Id("s")).Op("-").Lit(1)).Dot("decodeJSON").Call(jen.Id("r")), err().Op("!=").Nil()).Block(
					jen.Return(elemWrap(fname, "i")(err())),
				),
			}
		} else {
			elem = []jen.Code{jen.Var().Id("v").Add(t.Elem.goType())}
			elem = append(elem, e.jsonDecode(t.Elem, id("v"), elemWrap(fname, "i"), fname)...)
			elem = append(elem, jen.Id("s").Op("=").Append(jen.Id("s"), jen.Id("v")))
		}
		loop := append([]jen.Code{
			jen.List(jen.Id("more"), err()).Op(":=").Id("r").Dot("Elem").Call(jen.Id("i")),
			ret(),
			jen.If(jen.Op("!").Id("more")).Block(jen.Break()),
		}, elem...)
		return []jen.Code{jen.If(jen.Id("r").Dot("Null").Call()).Block(
			x().Op("=").Nil(),
		).Else().Block(
			jen.If(jen.Err().Op(":=").Id("r").Dot("BeginArray").Call(), err().Op("!=").Nil()).Block(jen.Return(wrap(err()))),
			jen.Id("s").Op(":=").Make(t.goType(), jen.Lit(0), jen.Lit(initCap)),
			jen.For(jen.Id("i").Op(":=").Lit(0), jen.Empty(), jen.Id("i").Op("++")).Block(loop...),
			x().Op("=").Id("s"),
		)}
	case KindMap:
		var key []jen.Code
		switch {
		case t.Key.Kind == KindString:
			key = []jen.Code{jen.Id("k").Op(":=").String().Call(jen.Id("key"))}
		default:
			method := "UintKey"
			if t.Key.Signed {
				method = "IntKey"
			}
			key = []jen.Code{
				jen.List(jen.Id("kv"), err()).Op(":=").Id("r").Dot(method).Call(jen.Id("key"), jen.Lit(t.Key.Bits)),
				ret(),
				jen.Id("k").Op(":=").Id(t.Key.Name).Call(jen.Id("kv")),
			}
		}
		loop := []jen.Code{
			jen.List(jen.Id("key"), jen.Id("more"), err()).Op(":=").Id("r").Dot("Key").Call(jen.Id("i")),
			ret(),
			jen.If(jen.Op("!").Id("more")).Block(jen.Break()),
		}
		loop = append(loop, key...)
		loop = append(loop, jen.Var().Id("v").Add(t.Elem.goType()))
		loop = append(loop, e.jsonDecode(t.Elem, id("v"), keyWrap(fname, t.Key, "k"), fname)...)
		loop = append(loop, jen.Id("m").Index(jen.Id("k")).Op("=").Id("v"))
		return []jen.Code{jen.If(jen.Id("r").Dot("Null").Call()).Block(
			x().Op("=").Nil(),
		).Else().Block(
			jen.If(jen.Err().Op(":=").Id("r").Dot("BeginObject").Call(), err().Op("!=").Nil()).Block(jen.Return(wrap(err()))),
			jen.Id("m").Op(":=").Make(t.goType()),
			jen.For(jen.Id("i").Op(":=").Lit(0), jen.Empty(), jen.Id("i").Op("++")).Block(loop...),
			x().Op("=").Id("m"),
		)}
	}
	call, conv := readCall(t)
	return []jen.Code{jen.Block(
		jen.List(jen.Id("val"), err()).Op(":=").Add(call),
		ret(),
		x().Op("=").Add(conv(jen.Id("val"))),
	)}
}

// isByteEnum reports an enum whose base type is uint8: encoding/json writes
// slices of it as base64, like []byte.
func isByteEnum(t *Type) bool { return t.Kind == KindEnum && (t.Base == "uint8" || t.Base == "byte") }
