package codegen

import (
	"fmt"

	"github.com/dave/jennifer/jen"
)

const wiretestPkg = "github.com/dwsdk/distributed/runtime/wire/wiretest"

// genTestIterations is how many random values each generated round-trip
// test checks per type.
const genTestIterations = 200

// emitTests writes <pkg>_gen_test.go: per message a random value generator,
// a mirror type without methods for comparing with encoding/json, a
// round-trip test, and per package one fuzz target per codec.
//
// The per-type helpers are gen<T>, genptr<T>, jsonMirror<T> and
// jsonMirrorptr<T>: for exported type names, which start with a capital
// letter, no two types' helpers share a name (genPtr<T> was also gen<PtrT>),
// and the package-wide helpers (checkRoundTrip, codecEncoder, ...) have
// names no such prefix and type name spell.
func emitTests(e *emitter) {
	f := e.test
	f.ImportName(wiretestPkg, "wiretest")
	var msgs []*Message
	for _, d := range e.pkg.Decls {
		if m, ok := d.(*Message); ok {
			msgs = append(msgs, m)
		}
	}
	if len(msgs) == 0 {
		return
	}
	emitTestHelpers(f)
	for _, m := range msgs {
		e.emitGen(m)
		e.emitMirror(m)
		f.Func().Id("TestGenerated"+m.Name).Params(jen.Id("t").Op("*").Qual("testing", "T")).Block(
			jen.Id("r").Op(":=").Qual(wiretestPkg, "New").Call(jen.Id("t")),
			jen.For(jen.Id("i").Op(":=").Lit(0), jen.Id("i").Op("<").Lit(genTestIterations), jen.Id("i").Op("++")).Block(
				jen.Id("r").Dot("InvalidUTF8").Op("=").Id("i").Op("%").Lit(4).Op("==").Lit(3),
				jen.Id("v").Op(":=").Id("gen"+m.Name).Call(jen.Id("r"), jen.Lit(0)),
				jen.Id("checkRoundTrip").Types(jen.Id(m.Name)).Call(jen.Id("t"), jen.Id("v"), jen.Id("v"), jen.Id("v").Dot(m.SizeMethod).Call(),
					jen.Id("v").Dot("jsonMirror").Call(), jen.Op("!").Id("r").Dot("InvalidUTF8"), jen.Lit(!e.hasJSONSkip(m)),
					jen.Id("v").Dot("jsonSize").Call(), jen.Lit(e.jsonSizeExact(m))),
			),
		)
		f.Line()
	}
	e.emitFuzz(msgs)
}

func emitTestHelpers(f *jen.File) {
	t := func() *jen.Statement { return jen.Id("t").Op("*").Qual("testing", "T") }
	fatal := func(format string, args ...jen.Code) jen.Code {
		return jen.Id("t").Dot("Fatalf").Call(append([]jen.Code{jen.Lit(format)}, args...)...)
	}
	f.Type().Id("codecEncoder").Interface(
		jen.Id("MarshalBinary").Params().Params(jen.Index().Byte(), jen.Error()),
		jen.Id("MarshalJSON").Params().Params(jen.Index().Byte(), jen.Error()),
		jen.Id("MarshalEasyJSON").Params(jen.Op("*").Qual(jwriterPkg, "Writer")),
	)
	f.Line()
	decoders := func() jen.Code {
		return jen.Interface(
			jen.Op("*").Id("T"),
			jen.Id("UnmarshalBinary").Params(jen.Index().Byte()).Error(),
			jen.Id("UnmarshalJSON").Params(jen.Index().Byte()).Error(),
			jen.Id("UnmarshalJSONStrict").Params(jen.Index().Byte()).Error(),
			jen.Id("UnmarshalEasyJSON").Params(jen.Op("*").Qual(jlexerPkg, "Lexer")),
			jen.Id("MarshalBinary").Params().Params(jen.Index().Byte(), jen.Error()),
			jen.Id("MarshalJSON").Params().Params(jen.Index().Byte(), jen.Error()),
		)
	}
	deepEq := func(what, got string) jen.Code {
		return jen.If(jen.Op("!").Qual("reflect", "DeepEqual").Call(jen.Id("want"), jen.Id(got))).Block(
			fatal(what+" round trip:\nwant %+v\n got %+v", jen.Id("want"), jen.Id(got)),
		)
	}
	f.Comment("// checkRoundTrip encodes want with both codecs, compares the JSON with what\n// encoding/json writes for the mirror type, checks the size methods, and\n// decodes it back.")
	f.Func().Id("checkRoundTrip").Types(jen.Id("T").Any(), jen.Id("P").Add(decoders())).Params(
		t(), jen.Id("want").Id("T"), jen.Id("enc").Id("codecEncoder"), jen.Id("size").Int(), jen.Id("mirror").Any(), jen.Id("roundTrip").Bool(), jen.Id("jsonDeep").Bool(),
		jen.Id("jsonSize").Int(), jen.Id("jsonSizeExact").Bool(),
	).Block(
		jen.Id("t").Dot("Helper").Call(),
		jen.List(jen.Id("bin"), jen.Err()).Op(":=").Id("enc").Dot("MarshalBinary").Call(),
		jen.If(jen.Err().Op("!=").Nil()).Block(fatal("MarshalBinary: %v", jen.Err())),
		jen.If(jen.Len(jen.Id("bin")).Op("!=").Id("size")).Block(fatal("size method says %d, MarshalBinary wrote %d bytes", jen.Id("size"), jen.Len(jen.Id("bin")))),
		jen.List(jen.Id("js"), jen.Err()).Op(":=").Id("enc").Dot("MarshalJSON").Call(),
		jen.If(jen.Err().Op("!=").Nil()).Block(fatal("MarshalJSON: %v", jen.Err())),
		jen.List(jen.Id("std"), jen.Err()).Op(":=").Qual("encoding/json", "Marshal").Call(jen.Id("mirror")),
		jen.If(jen.Err().Op("!=").Nil()).Block(fatal("encoding/json: %v", jen.Err())),
		jen.If(jen.Op("!").Qual("bytes", "Equal").Call(jen.Id("js"), jen.Id("std"))).Block(
			fatal("MarshalJSON differs from encoding/json:\nours %s\n std %s", jen.Id("js"), jen.Id("std")),
		),
		jen.Comment("MarshalJSON allocates jsonSize bytes: enough unless a string needs\nescaping, and exactly enough when no bool, float or time is written."),
		jen.If(jen.Op("!").Qual("bytes", "ContainsRune").Call(jen.Id("js"), jen.LitRune('\\')).Op("&&").Parens(
			jen.Id("jsonSize").Op("<").Len(jen.Id("js")).Op("||").Id("jsonSizeExact").Op("&&").Id("jsonSize").Op("!=").Len(jen.Id("js")))).Block(
			fatal("jsonSize says %d (exact %v), MarshalJSON wrote %d bytes", jen.Id("jsonSize"), jen.Id("jsonSizeExact"), jen.Len(jen.Id("js"))),
		),
		jen.Var().Id("w").Qual(jwriterPkg, "Writer"),
		jen.Id("enc").Dot("MarshalEasyJSON").Call(jen.Op("&").Id("w")),
		jen.List(jen.Id("ej"), jen.Err()).Op(":=").Id("w").Dot("BuildBytes").Call(),
		jen.If(jen.Err().Op("!=").Nil().Op("||").Op("!").Qual("bytes", "Equal").Call(jen.Id("ej"), jen.Id("js"))).Block(
			fatal("MarshalEasyJSON: %v\n%s\nwant %s", jen.Err(), jen.Id("ej"), jen.Id("js")),
		),
		jen.If(jen.Op("!").Id("roundTrip")).Block(jen.Return()),
		jen.Var().Id("got").Id("T"),
		jen.If(jen.Err().Op(":=").Id("P").Call(jen.Op("&").Id("got")).Dot("UnmarshalBinary").Call(jen.Id("bin")), jen.Err().Op("!=").Nil()).Block(fatal("UnmarshalBinary: %v", jen.Err())),
		deepEq("binary", "got"),
		jen.Var().Id("gotJ").Id("T"),
		jen.If(jen.Err().Op(":=").Id("P").Call(jen.Op("&").Id("gotJ")).Dot("UnmarshalJSON").Call(jen.Id("js")), jen.Err().Op("!=").Nil()).Block(fatal("UnmarshalJSON: %v\n%s", jen.Err(), jen.Id("js"))),
		jen.If(jen.Id("jsonDeep")).Block(deepEq("JSON", "gotJ")),
		jen.If(jen.List(jen.Id("again"), jen.Err()).Op(":=").Id("P").Call(jen.Op("&").Id("gotJ")).Dot("MarshalJSON").Call(), jen.Err().Op("!=").Nil().Op("||").Op("!").Qual("bytes", "Equal").Call(jen.Id("again"), jen.Id("js"))).Block(
			fatal("JSON re-encoding differs: %v\n%s\n%s", jen.Err(), jen.Id("again"), jen.Id("js")),
		),
		jen.Var().Id("gotS").Id("T"),
		jen.If(jen.Err().Op(":=").Id("P").Call(jen.Op("&").Id("gotS")).Dot("UnmarshalJSONStrict").Call(jen.Id("js")), jen.Err().Op("!=").Nil()).Block(fatal("UnmarshalJSONStrict: %v\n%s", jen.Err(), jen.Id("js"))),
		jen.If(jen.Id("jsonDeep")).Block(deepEq("strict JSON", "gotS")),
		jen.Var().Id("gotE").Id("T"),
		jen.Id("l").Op(":=").Qual(jlexerPkg, "Lexer").Values(jen.Dict{jen.Id("Data"): jen.Id("js")}),
		jen.Id("P").Call(jen.Op("&").Id("gotE")).Dot("UnmarshalEasyJSON").Call(jen.Op("&").Id("l")),
		jen.If(jen.Err().Op(":=").Id("l").Dot("Error").Call(), jen.Err().Op("!=").Nil()).Block(fatal("UnmarshalEasyJSON: %v", jen.Err())),
		jen.If(jen.Id("jsonDeep")).Block(deepEq("easyjson", "gotE")),
	)
	f.Line()
	f.Comment("// fuzzBinaryValue decodes data; on success the value must re-encode to bytes\n// that decode and re-encode identically, on failure the error must be a\n// *wire.Error with an offset inside data.")
	f.Func().Id("fuzzBinaryValue").Types(jen.Id("T").Any(), jen.Id("P").Add(decoders())).Params(t(), jen.Id("data").Index().Byte()).Block(
		jen.Var().Id("v").Id("T"),
		jen.If(jen.Err().Op(":=").Id("P").Call(jen.Op("&").Id("v")).Dot("UnmarshalBinary").Call(jen.Id("data")), jen.Err().Op("!=").Nil()).Block(
			jen.Qual(wiretestPkg, "CheckError").Call(jen.Id("t"), jen.Err(), jen.Len(jen.Id("data"))),
			jen.Return(),
		),
		jen.List(jen.Id("b1"), jen.Err()).Op(":=").Id("P").Call(jen.Op("&").Id("v")).Dot("MarshalBinary").Call(),
		jen.If(jen.Err().Op("!=").Nil()).Block(fatal("MarshalBinary of a decoded value: %v", jen.Err())),
		jen.Var().Id("w").Id("T"),
		jen.If(jen.Err().Op(":=").Id("P").Call(jen.Op("&").Id("w")).Dot("UnmarshalBinary").Call(jen.Id("b1")), jen.Err().Op("!=").Nil()).Block(fatal("re-decode: %v", jen.Err())),
		jen.List(jen.Id("b2"), jen.Err()).Op(":=").Id("P").Call(jen.Op("&").Id("w")).Dot("MarshalBinary").Call(),
		jen.If(jen.Err().Op("!=").Nil().Op("||").Op("!").Qual("bytes", "Equal").Call(jen.Id("b1"), jen.Id("b2"))).Block(fatal("re-encoding is not stable: %v\n%x\n%x", jen.Err(), jen.Id("b1"), jen.Id("b2"))),
	)
	f.Line()
	f.Comment("// fuzzJSONValue is fuzzBinaryValue for the JSON codec.")
	f.Func().Id("fuzzJSONValue").Types(jen.Id("T").Any(), jen.Id("P").Add(decoders())).Params(t(), jen.Id("data").Index().Byte()).Block(
		jen.Var().Id("v").Id("T"),
		jen.If(jen.Err().Op(":=").Id("P").Call(jen.Op("&").Id("v")).Dot("UnmarshalJSON").Call(jen.Id("data")), jen.Err().Op("!=").Nil()).Block(
			jen.Qual(wiretestPkg, "CheckError").Call(jen.Id("t"), jen.Err(), jen.Len(jen.Id("data"))),
			jen.Return(),
		),
		jen.List(jen.Id("j1"), jen.Err()).Op(":=").Id("P").Call(jen.Op("&").Id("v")).Dot("MarshalJSON").Call(),
		jen.If(jen.Err().Op("!=").Nil()).Block(fatal("MarshalJSON of a decoded value: %v", jen.Err())),
		jen.Var().Id("w").Id("T"),
		jen.If(jen.Err().Op(":=").Id("P").Call(jen.Op("&").Id("w")).Dot("UnmarshalJSON").Call(jen.Id("j1")), jen.Err().Op("!=").Nil()).Block(fatal("re-decode: %v\n%s", jen.Err(), jen.Id("j1"))),
		jen.List(jen.Id("j2"), jen.Err()).Op(":=").Id("P").Call(jen.Op("&").Id("w")).Dot("MarshalJSON").Call(),
		jen.If(jen.Err().Op("!=").Nil().Op("||").Op("!").Qual("bytes", "Equal").Call(jen.Id("j1"), jen.Id("j2"))).Block(fatal("re-encoding is not stable: %v\n%s\n%s", jen.Err(), jen.Id("j1"), jen.Id("j2"))),
	)
	f.Line()
}

// anyField reports whether pred holds for a field of m or of a message m
// contains. pred sees each field with its type's pointers, slices and maps
// unwrapped to the element.
func (e *emitter) anyField(m *Message, pred func(f *Field, t *Type) bool, seen map[string]bool) bool {
	if seen[m.Name] {
		return false
	}
	seen[m.Name] = true
	for _, f := range m.Fields {
		t := f.Type
		for t.Kind == KindPointer || t.Kind == KindSlice || t.Kind == KindMap {
			t = t.Elem
		}
		if pred(f, t) {
			return true
		}
		if t.Kind == KindMessage && !f.JSONSkip {
			if sub := e.pkg.Messages[t.Name]; sub != nil && e.anyField(sub, pred, seen) {
				return true
			}
		}
	}
	return false
}

// hasJSONSkip reports whether m or a message it contains has a json:"-"
// field, which a JSON round trip cannot preserve.
func (e *emitter) hasJSONSkip(m *Message) bool {
	return e.anyField(m, func(f *Field, _ *Type) bool { return f.JSONSkip }, map[string]bool{})
}

// jsonSizeExact reports whether m's jsonSize is exact for every value whose
// strings need no escaping: no bool, float or time, whose longest form
// jsonSize counts, is written.
func (e *emitter) jsonSizeExact(m *Message) bool {
	return !e.anyField(m, func(f *Field, t *Type) bool { return !f.JSONSkip && jsonFixedLen(t) > 0 }, map[string]bool{})
}

// genExpr is an expression producing a random value of t.
func genExpr(t *Type, elem bool) jen.Code {
	r := func() *jen.Statement { return jen.Id("r") }
	switch t.Kind {
	case KindBool:
		return r().Dot("Bool").Call()
	case KindUint:
		return jen.Id(t.Name).Call(r().Dot("Uint").Call(jen.Lit(t.Bits)))
	case KindInt:
		return jen.Id(t.Name).Call(r().Dot("Int").Call(jen.Lit(t.Bits)))
	case KindEnum:
		if t.Signed {
			return jen.Id(t.Name).Call(r().Dot("Int").Call(jen.Lit(t.Bits)))
		}
		return jen.Id(t.Name).Call(r().Dot("Uint").Call(jen.Lit(t.Bits)))
	case KindDuration:
		return jen.Qual("time", "Duration").Call(r().Dot("Int").Call(jen.Lit(64)))
	case KindFloat:
		if t.Bits == 32 {
			return r().Dot("Float32").Call()
		}
		return r().Dot("Float64").Call()
	case KindString:
		return r().Dot("String").Call()
	case KindBytes:
		if elem {
			return r().Dot("BytesNonNil").Call()
		}
		return r().Dot("Bytes").Call()
	case KindTime:
		return r().Dot("Time").Call()
	case KindMessage:
		return jen.Id("gen"+t.Name).Call(r(), jen.Id("depth").Op("+").Lit(1))
	case KindPointer:
		return jen.Id("genptr"+t.Elem.Name).Call(r(), jen.Id("depth").Op("+").Lit(1))
	}
	panic(fmt.Sprintf("crdtgen: genExpr: unhandled kind %d", t.Kind))
}

func (e *emitter) emitGen(m *Message) {
	f := e.test
	var body []jen.Code
	body = append(body, jen.Var().Id("x").Id(m.Name))
	for _, fl := range m.Fields {
		x := func() *jen.Statement { return jen.Id("x").Dot(fl.Name) }
		switch t := fl.Type; t.Kind {
		case KindPointer:
			body = append(body, jen.If(jen.Id("r").Dot("Maybe").Call(jen.Id("depth"))).Block(x().Op("=").Add(genExpr(t, false))))
		case KindSlice:
			body = append(body, jen.If(jen.Id("n").Op(":=").Id("r").Dot("Len").Call(jen.Id("depth")), jen.Id("n").Op(">=").Lit(0)).Block(
				x().Op("=").Make(t.goType(), jen.Id("n")),
				jen.For(jen.Id("i").Op(":=").Range().Add(x())).Block(x().Index(jen.Id("i")).Op("=").Add(genExpr(t.Elem, true))),
			))
		case KindMap:
			body = append(body, jen.If(jen.Id("n").Op(":=").Id("r").Dot("Len").Call(jen.Id("depth")), jen.Id("n").Op(">=").Lit(0)).Block(
				x().Op("=").Make(t.goType(), jen.Id("n")),
				jen.For(jen.Range().Id("n")).Block(x().Index(genExpr(t.Key, true)).Op("=").Add(genExpr(t.Elem, true))),
			))
		default:
			body = append(body, x().Op("=").Add(genExpr(t, false)))
		}
	}
	body = append(body, jen.Return(jen.Id("x")))
	f.Func().Id("gen"+m.Name).Params(jen.Id("r").Op("*").Qual(wiretestPkg, "Rand"), jen.Id("depth").Int()).Id(m.Name).Block(body...)
	f.Line()
	f.Func().Id("genptr"+m.Name).Params(jen.Id("r").Op("*").Qual(wiretestPkg, "Rand"), jen.Id("depth").Int()).Op("*").Id(m.Name).Block(
		jen.Id("v").Op(":=").Id("gen"+m.Name).Call(jen.Id("r"), jen.Id("depth")),
		jen.Return(jen.Op("&").Id("v")),
	)
	f.Line()
}

// mirrorType is the type of a field in the method-free mirror struct that
// encoding/json encodes for comparison.
func mirrorType(t *Type) jen.Code {
	switch t.Kind {
	case KindEnum:
		return jen.Id(t.Base)
	case KindMessage:
		return jen.Id("jsonMirror" + t.Name)
	case KindPointer:
		return jen.Op("*").Add(mirrorType(t.Elem))
	case KindSlice:
		return jen.Index().Add(mirrorType(t.Elem))
	case KindMap:
		return jen.Map(mirrorType(t.Key)).Add(mirrorType(t.Elem))
	}
	return t.goType()
}

func needsConv(t *Type) bool {
	switch t.Kind {
	case KindEnum, KindMessage, KindPointer:
		return true
	case KindSlice:
		return needsConv(t.Elem)
	case KindMap:
		return needsConv(t.Key) || needsConv(t.Elem)
	}
	return false
}

func convExpr(t *Type, x jen.Code) jen.Code {
	switch t.Kind {
	case KindEnum:
		return jen.Id(t.Base).Call(x)
	case KindMessage:
		return jen.Add(x).Dot("jsonMirror").Call()
	case KindPointer:
		return jen.Id("jsonMirrorptr" + t.Elem.Name).Call(x)
	}
	return x
}

func (e *emitter) emitMirror(m *Message) {
	f := e.test
	f.Type().Id("jsonMirror" + m.Name).StructFunc(func(g *jen.Group) {
		for _, fl := range m.Fields {
			g.Id(fl.Name).Add(mirrorType(fl.Type)).Tag(map[string]string{"json": fl.jsonTag()})
		}
	})
	f.Line()
	var body []jen.Code
	body = append(body, jen.Var().Id("y").Id("jsonMirror"+m.Name))
	for _, fl := range m.Fields {
		x := func() *jen.Statement { return jen.Id("x").Dot(fl.Name) }
		y := func() *jen.Statement { return jen.Id("y").Dot(fl.Name) }
		t := fl.Type
		switch {
		case t.Kind == KindSlice && needsConv(t):
			body = append(body, jen.If(x().Op("!=").Nil()).Block(
				y().Op("=").Make(mirrorType(t), jen.Len(x())),
				jen.For(jen.Id("i").Op(":=").Range().Add(x())).Block(y().Index(jen.Id("i")).Op("=").Add(convExpr(t.Elem, x().Index(jen.Id("i"))))),
			))
		case t.Kind == KindMap && needsConv(t):
			body = append(body, jen.If(x().Op("!=").Nil()).Block(
				y().Op("=").Make(mirrorType(t), jen.Len(x())),
				jen.For(jen.List(jen.Id("k"), jen.Id("v")).Op(":=").Range().Add(x())).Block(
					y().Index(convExpr(t.Key, jen.Id("k"))).Op("=").Add(convExpr(t.Elem, jen.Id("v"))),
				),
			))
		default:
			body = append(body, y().Op("=").Add(convExpr(t, x())))
		}
	}
	body = append(body, jen.Return(jen.Id("y")))
	f.Func().Params(jen.Id("x").Id(m.Name)).Id("jsonMirror").Params().Id("jsonMirror" + m.Name).Block(body...)
	f.Line()
	f.Func().Id("jsonMirrorptr"+m.Name).Params(jen.Id("p").Op("*").Id(m.Name)).Op("*").Id("jsonMirror"+m.Name).Block(
		jen.If(jen.Id("p").Op("==").Nil()).Block(jen.Return(jen.Nil())),
		jen.Id("y").Op(":=").Id("p").Dot("jsonMirror").Call(),
		jen.Return(jen.Op("&").Id("y")),
	)
	f.Line()
}

func (e *emitter) emitFuzz(msgs []*Message) {
	f := e.test
	n := len(msgs)
	dispatch := func(fn string) jen.Code {
		return jen.Switch(jen.Id("data").Index(jen.Lit(0)).Op("%").Lit(n)).BlockFunc(func(g *jen.Group) {
			for i, m := range msgs {
				g.Case(jen.Lit(i)).Block(jen.Id(fn).Types(jen.Id(m.Name)).Call(jen.Id("t"), jen.Id("data").Index(jen.Lit(1), jen.Empty())))
			}
		})
	}
	valid := func(method string) []jen.Code {
		var out []jen.Code
		for i, m := range msgs {
			out = append(out, jen.Block(
				jen.Id("v").Op(":=").Id("gen"+m.Name).Call(jen.Id("r"), jen.Lit(0)),
				jen.List(jen.Id("b"), jen.Id("_")).Op(":=").Id("v").Dot(method).Call(),
				jen.Id("f").Dot("Add").Call(jen.Append(jen.Index().Byte().Values(jen.Lit(i)), jen.Id("b").Op("..."))),
				jen.Id("f").Dot("Add").Call(jen.Append(jen.Index().Byte().Values(jen.Lit(i)), jen.Id("b").Index(jen.Empty(), jen.Len(jen.Id("b")).Op("/").Lit(2)).Op("..."))),
			))
		}
		return out
	}
	fuzzFunc := func(name, doc, method, seeds, fn string, extra []jen.Code) {
		body := []jen.Code{
			jen.Id("r").Op(":=").Qual(wiretestPkg, "NewSeeded").Call(jen.Lit(1)),
			jen.For(jen.Range().Lit(3)).Block(valid(method)...),
			jen.For(jen.List(jen.Id("_"), jen.Id("s")).Op(":=").Range().Qual(wiretestPkg, seeds).Call()).Block(
				jen.For(jen.Id("i").Op(":=").Range().Lit(n)).Block(
					jen.Id("f").Dot("Add").Call(jen.Append(jen.Index().Byte().Values(jen.Byte().Call(jen.Id("i"))), jen.Id("s").Op("..."))),
				),
			),
		}
		body = append(body, extra...)
		body = append(body, jen.Id("f").Dot("Fuzz").Call(jen.Func().Params(jen.Id("t").Op("*").Qual("testing", "T"), jen.Id("data").Index().Byte()).Block(
			jen.If(jen.Len(jen.Id("data")).Op("==").Lit(0)).Block(jen.Return()),
			dispatch(fn),
		)))
		f.Comment(doc)
		f.Func().Id(name).Params(jen.Id("f").Op("*").Qual("testing", "F")).Block(body...)
		f.Line()
	}
	fuzzFunc("FuzzBinary", "// FuzzBinary feeds UnmarshalBinary of the type chosen by the first byte.", "MarshalBinary", "BinarySeeds", "fuzzBinaryValue", nil)
	var fieldSeeds []jen.Code
	for i, m := range msgs {
		fieldSeeds = append(fieldSeeds, jen.For(jen.List(jen.Id("_"), jen.Id("name")).Op(":=").Range().Id("jsonFields"+m.Name)).Block(
			jen.For(jen.List(jen.Id("_"), jen.Id("v")).Op(":=").Range().Qual(wiretestPkg, "JSONValues").Call()).Block(
				jen.Id("f").Dot("Add").Call(jen.Index().Byte().Call(jen.String().Call(jen.Rune().Call(jen.Lit(i))).Op("+").Lit(`{"`).Op("+").Id("name").Op("+").Lit(`":`).Op("+").Id("v").Op("+").Lit("}"))),
			),
		))
	}
	fuzzFunc("FuzzJSON", "// FuzzJSON feeds UnmarshalJSON of the type chosen by the first byte.", "MarshalJSON", "JSONSeeds", "fuzzJSONValue", fieldSeeds)
}
