package codegen

import (
	"fmt"
	"strings"

	"github.com/dave/jennifer/jen"
)

// crdtQ qualifies a name of the CRDT runtime package.
func crdtQ(name string) *jen.Statement { return jen.Qual(crdtPkg, name) }

// goType is the Go spelling of a CRDT type.
func (t *CRDTType) goType() *jen.Statement {
	switch t.Kind {
	case CRDTRecord:
		return jen.Id(t.Record)
	case CRDTGCounter, CRDTPNCounter:
		return crdtQ(t.Kind)
	case CRDTORMap:
		return crdtQ(t.Kind).Types(jen.Id(t.Elem), t.Value.goType())
	}
	return crdtQ(t.Kind).Types(jen.Id(t.Elem))
}

// codecVar names the package-level codec variable of an ORMap value type.
func (t *CRDTType) codecVar() string {
	switch t.Kind {
	case CRDTRecord:
		return "codec" + t.Record
	case CRDTGCounter, CRDTPNCounter:
		return ""
	}
	return "codec" + t.Kind + strings.ToUpper(t.Elem[:1]) + t.Elem[1:]
}

// codecExpr is the expression of the codec of an ORMap value type.
func (t *CRDTType) codecExpr() jen.Code {
	if v := t.codecVar(); v != "" {
		return jen.Id(v)
	}
	return crdtQ(t.Kind + "Codec")
}

// codecArgs are the codec arguments the CRDT's AppendTo, DecodeFrom,
// AppendJSON and DecodeJSON methods take.
func (t *CRDTType) codecArgs() []jen.Code {
	switch t.Kind {
	case CRDTGCounter, CRDTPNCounter, CRDTRecord:
		return nil
	case CRDTORMap:
		return []jen.Code{crdtQ(elemCodecs[t.Elem]), t.Value.codecExpr()}
	}
	return []jen.Code{crdtQ(elemCodecs[t.Elem])}
}

// valueCodecDecl declares the codec variable of a CRDT used as an ORMap
// value (records declare their own).
func (t *CRDTType) valueCodecDecl() jen.Code {
	return jen.Var().Id(t.codecVar()).Op("=").Add(crdtQ(t.Kind + "Codec")).Call(crdtQ(elemCodecs[t.Elem]))
}

func (r *Record) declare(e *emitter) {
	e.decl.Add(docComment(r.Doc)).Type().Id(r.Name).StructFunc(func(g *jen.Group) {
		for _, f := range r.Fields {
			g.Add(docComment(f.Doc)).Id(f.Name).Add(f.Type.goType()).Tag(map[string]string{
				"wire": fmt.Sprint(f.Num),
				"json": jsonNameTag(f.JSONName),
			})
		}
		g.Line()
		g.Comment("autoGC is the automatic collection policy (SetAutoGC).")
		g.Id("autoGC").Op("*").Add(crdtQ("AutoGC"))
	})
	e.decl.Line()
}

func (r *Record) methods(e *emitter) {
	r.emitCRDT(e)
	r.emitBinary(e)
	r.emitJSON(e)
	r.emitCodecVars(e)
}

func (r *Record) recv() *jen.Statement { return jen.Id("x").Op("*").Id(r.Name) }

// forFields builds one statement per field.
func (r *Record) forFields(fn func(f *RecordField) jen.Code) []jen.Code {
	out := make([]jen.Code, 0, len(r.Fields))
	for _, f := range r.Fields {
		if c := fn(f); c != nil {
			out = append(out, c)
		}
	}
	return out
}

func xf(f *RecordField) *jen.Statement { return jen.Id("x").Dot(f.Name) }
func of(f *RecordField) *jen.Statement { return jen.Op("&").Id("o").Dot(f.Name) }

// emitCRDT emits merge, delta, GC, equality and cloning.
func (r *Record) emitCRDT(e *emitter) {
	f := e.decl
	T := r.Name
	method := func(doc string) *jen.Statement { return f.Add(docComment(doc)) }

	body := r.forFields(func(fl *RecordField) jen.Code { return xf(fl).Dot("Merge").Call(of(fl)) })
	body = append(body, jen.If(jen.Id("x").Dot("autoGC").Op("!=").Nil()).Block(
		jen.Id("x").Dot("autoGC").Dot("After").Call(jen.Id("x").Dot("TombstoneCount"), jen.Id("x").Dot("GarbageCollect")),
	))
	method(fmt.Sprintf("Merge joins another replica's %s (a full state or a delta) into x, field by\nfield, then collects garbage if the SetAutoGC policy says so.", T)).Func().Params(r.recv()).Id("Merge").Params(jen.Id("o").Op("*").Id(T)).Block(body...)
	f.Line()

	method("MergeDelta joins a delta (as returned by TakeDelta); a delta is a state,\nso this is Merge. No field's delta needs causal delivery.").Func().Params(r.recv()).Id("MergeDelta").Params(jen.Id("d").Op("*").Id(T)).Block(jen.Id("x").Dot("Merge").Call(jen.Id("d")))
	f.Line()

	tb := []jen.Code{jen.Var().Id("d").Id(T), jen.Id("changed").Op(":=").False()}
	tb = append(tb, r.forFields(func(fl *RecordField) jen.Code {
		return jen.If(jen.Id("fd").Op(":=").Add(xf(fl)).Dot("TakeDelta").Call(), jen.Id("fd").Op("!=").Nil()).Block(
			jen.Id("d").Dot(fl.Name).Op("=").Op("*").Id("fd"),
			jen.Id("changed").Op("=").True(),
		)
	})...)
	tb = append(tb, jen.If(jen.Op("!").Id("changed")).Block(jen.Return(jen.Nil())), jen.Return(jen.Op("&").Id("d")))
	method("TakeDelta returns the changes made by the fields' mutators since the last\ncall, or nil when there are none. Unchanged fields stay zero, so the\ndelta encodes only what changed.").Func().Params(r.recv()).Id("TakeDelta").Params().Op("*").Id(T).Block(tb...)
	f.Line()

	eq := jen.True()
	if len(r.Fields) > 0 {
		eq = nil
		for i, fl := range r.Fields {
			c := xf(fl).Dot("Equal").Call(of(fl))
			if i == 0 {
				eq = c
			} else {
				eq = eq.Op("&&").Line().Add(c)
			}
		}
	}
	method("Equal reports whether every field of x equals o's.").Func().Params(r.recv()).Id("Equal").Params(jen.Id("o").Op("*").Id(T)).Bool().Block(jen.Return(eq))
	f.Line()

	method("Clone returns an independent deep copy without pending deltas.").Func().Params(r.recv()).Id("Clone").Params().Op("*").Id(T).Block(jen.Return(jen.Op("&").Id(T).Values(jen.DictFunc(func(d jen.Dict) {
		for _, fl := range r.Fields {
			d[jen.Id(fl.Name)] = jen.Op("*").Add(xf(fl)).Dot("Clone").Call()
		}
		d[jen.Id("autoGC")] = jen.Id("x").Dot("autoGC")
	}))))
	f.Line()

	zero := jen.True()
	for i, fl := range r.Fields {
		c := xf(fl).Dot("IsZero").Call()
		if i == 0 {
			zero = c
		} else {
			zero = zero.Op("&&").Add(c)
		}
	}
	method("IsZero reports whether no field has seen an update.").Func().Params(r.recv()).Id("IsZero").Params().Bool().Block(jen.Return(zero))
	f.Line()

	tc := []jen.Code{jen.Id("n").Op(":=").Lit(0)}
	tc = append(tc, r.forFields(func(fl *RecordField) jen.Code {
		return jen.Id("n").Op("+=").Add(xf(fl)).Dot("TombstoneCount").Call()
	})...)
	tc = append(tc, jen.Return(jen.Id("n")))
	method("TombstoneCount returns the removal metadata the fields still hold\n(out-of-order dots, pruning markers).").Func().Params(r.recv()).Id("TombstoneCount").Params().Int().Block(tc...)
	f.Line()

	gc := []jen.Code{jen.Var().Id("st").Add(crdtQ("GCStats"))}
	gc = append(gc, r.forFields(func(fl *RecordField) jen.Code {
		return jen.Id("st").Op("=").Id("st").Dot("Add").Call(xf(fl).Dot("GarbageCollect").Call(jen.Id("opts")))
	})...)
	gc = append(gc, jen.Return(jen.Id("st")))
	method("GarbageCollect collects every field (see crdt.GCOptions for the pruning\nprotocol) and returns what it reclaimed.").Func().Params(r.recv()).Id("GarbageCollect").Params(jen.Id("opts").Add(crdtQ("GCOptions"))).Add(crdtQ("GCStats")).Block(gc...)
	f.Line()

	method("SetAutoGC makes Merge collect garbage once TombstoneCount passes the\npolicy's threshold (nil disables it).").Func().Params(r.recv()).Id("SetAutoGC").Params(jen.Id("a").Op("*").Add(crdtQ("AutoGC"))).Block(jen.Id("x").Dot("autoGC").Op("=").Id("a"))
	f.Line()

	method("SeedDots implements crdt.DotSeeder for the fields that hold dots.").Func().Params(r.recv()).Id("SeedDots").Params(jen.Id("r").Add(crdtQ("ReplicaID")), jen.Id("floor").Uint64()).Block(
		r.forFields(func(fl *RecordField) jen.Code {
			if !fl.Type.dotted() {
				return nil
			}
			return xf(fl).Dot("SeedDots").Call(jen.Id("r"), jen.Id("floor"))
		})...)
	f.Line()

	md := []jen.Code{jen.Var().Id("m").Uint64()}
	md = append(md, r.forFields(func(fl *RecordField) jen.Code {
		if !fl.Type.dotted() {
			return nil
		}
		return jen.Id("m").Op("=").Max(jen.Id("m"), xf(fl).Dot("MaxDot").Call(jen.Id("r")))
	})...)
	md = append(md, jen.Return(jen.Id("m")))
	method("MaxDot implements crdt.DotSeeder: the highest dot of r any field saw.").Func().Params(r.recv()).Id("MaxDot").Params(jen.Id("r").Add(crdtQ("ReplicaID"))).Uint64().Block(md...)
	f.Line()
}

// emitBinary emits the binary codec: each non-zero field as a
// length-delimited value (wire type 2) holding the CRDT's own encoding.
func (r *Record) emitBinary(e *emitter) {
	f := e.bin
	T, q := r.Name, e.qualName(r.Name)
	reset := jen.Id("a").Op(":=").Id("x").Dot("autoGC").Line().Op("*").Id("x").Op("=").Id(T).Values(jen.Dict{jen.Id("autoGC"): jen.Id("a")})

	f.Add(docComment("AppendBinary appends the binary encoding of x to b (encoding.BinaryAppender).\nFields that never saw an update are omitted.")).Func().Params(r.recv()).Id("AppendBinary").Params(jen.Id("b").Index().Byte()).Params(jen.Index().Byte(), jen.Error()).Block(
		jen.Return(jen.Id("x").Dot("appendBinary").Call(b())))
	f.Line()
	f.Add(docComment("MarshalBinary implements encoding.BinaryMarshaler.")).Func().Params(r.recv()).Id("MarshalBinary").Params().Params(jen.Index().Byte(), jen.Error()).Block(
		jen.Return(jen.Id("x").Dot("appendBinary").Call(jen.Nil())))
	f.Line()
	f.Add(docComment("Size is the length of the binary encoding of x.")).Func().Params(r.recv()).Id("Size").Params().Int().Block(jen.Return(jen.Id("x").Dot("size").Call()))
	f.Line()
	f.Add(docComment("UnmarshalBinary implements encoding.BinaryUnmarshaler. It resets x first\n(keeping its SetAutoGC policy), skips unknown fields and leaves missing\nfields zero. Errors are *wire.Error values naming the field and byte offset.")).Func().Params(r.recv()).Id("UnmarshalBinary").Params(jen.Id("data").Index().Byte()).Error().Block(
		reset,
		jen.Id("d").Op(":=").Add(wq("NewDecoder")).Call(jen.Id("data")),
		jen.If(jen.Err().Op(":=").Id("x").Dot("decodeBinary").Call(jen.Op("&").Id("d")), err().Op("!=").Nil()).Block(
			jen.Return(wq("InType").Call(err(), jen.Lit(q)))),
		jen.Return(jen.Nil()),
	)
	f.Line()

	app := r.forFields(func(fl *RecordField) jen.Code {
		var payload jen.Code
		if fl.Type.Kind == CRDTRecord {
			payload = jen.Func().Params(jen.Id("b").Index().Byte()).Index().Byte().Block(
				jen.List(b(), jen.Id("_")).Op("=").Add(xf(fl)).Dot("appendBinary").Call(b()),
				jen.Return(b()))
		} else {
			payload = jen.Func().Params(jen.Id("b").Index().Byte()).Index().Byte().Block(
				jen.Return(xf(fl).Dot("AppendTo").Call(append([]jen.Code{b()}, fl.Type.codecArgs()...)...)))
		}
		return jen.If(jen.Op("!").Add(xf(fl)).Dot("IsZero").Call()).Block(
			appendTag(fl.Num, 2),
			appendTo(crdtQ("AppendLen").Call(b(), payload)),
		)
	})
	app = append(app, jen.Return(b(), jen.Nil()))
	f.Func().Params(r.recv()).Id("appendBinary").Params(jen.Id("b").Index().Byte()).Params(jen.Index().Byte(), jen.Error()).Block(app...)
	f.Line()
	f.Func().Params(r.recv()).Id("size").Params().Int().Block(
		jen.List(b(), jen.Id("_")).Op(":=").Id("x").Dot("appendBinary").Call(jen.Nil()),
		jen.Return(jen.Len(b())),
	)
	f.Line()

	f.Func().Params(r.recv()).Id("decodeBinary").Params(jen.Id("d").Op("*").Add(wq("Decoder"))).Error().Block(
		jen.For(jen.Id("d").Dot("More").Call()).Block(
			jen.List(jen.Id("num"), jen.Id("typ"), err()).Op(":=").Id("d").Dot("Tag").Call(),
			jen.If(err().Op("!=").Nil()).Block(jen.Return(err())),
			jen.Switch(jen.Id("num")).BlockFunc(func(g *jen.Group) {
				for _, fl := range r.Fields {
					wrap := fieldWrap(fl.Name)
					if fl.Type.Kind == CRDTRecord {
						g.Case(jen.Lit(fl.Num)).Block(
							jen.List(jen.Id("fr"), err()).Op(":=").Id("d").Dot("BeginMessage").Call(jen.Id("typ")),
							jen.If(err().Op("!=").Nil()).Block(jen.Return(wrap(err()))),
							jen.If(err().Op(":=").Add(xf(fl)).Dot("decodeBinary").Call(jen.Id("d")), err().Op("!=").Nil()).Block(jen.Return(wrap(err()))),
							jen.Id("d").Dot("EndMessage").Call(jen.Id("fr")),
						)
						continue
					}
					g.Case(jen.Lit(fl.Num)).Block(
						jen.List(jen.Id("raw"), err()).Op(":=").Id("d").Dot("Bytes").Call(jen.Id("typ")),
						jen.If(err().Op("!=").Nil()).Block(jen.Return(wrap(err()))),
						jen.Id("cd").Op(":=").Add(crdtQ("NewDecoder")).Call(jen.Id("raw"), jen.Lit(""), jen.Id("d").Dot("Offset").Call().Op("-").Len(jen.Id("raw"))),
						xf(fl).Dot("DecodeFrom").Call(append([]jen.Code{jen.Id("cd")}, fl.Type.codecArgs()...)...),
						jen.Id("cd").Dot("End").Call(),
						jen.If(err().Op(":=").Id("cd").Dot("Err").Call(), err().Op("!=").Nil()).Block(jen.Return(wrap(err()))),
					)
				}
				g.Default().Block(
					jen.If(err().Op(":=").Id("d").Dot("Skip").Call(jen.Id("typ")), err().Op("!=").Nil()).Block(jen.Return(err())),
				)
			}),
		),
		jen.Return(jen.Nil()),
	)
	f.Line()
}

// emitJSON emits the JSON codec: an object with one key per non-zero field.
func (r *Record) emitJSON(e *emitter) {
	f := e.json
	T, q := r.Name, e.qualName(r.Name)
	reset := jen.Id("a").Op(":=").Id("x").Dot("autoGC").Line().Op("*").Id("x").Op("=").Id(T).Values(jen.Dict{jen.Id("autoGC"): jen.Id("a")})

	f.Add(docComment("AppendJSON appends x as a JSON object; fields that never saw an update\nare omitted.")).Func().Params(r.recv()).Id("AppendJSON").Params(jen.Id("b").Index().Byte()).Params(jen.Index().Byte(), jen.Error()).Block(
		jen.Return(jen.Id("x").Dot("appendJSON").Call(b())))
	f.Line()
	f.Add(docComment("MarshalJSON implements json.Marshaler.")).Func().Params(r.recv()).Id("MarshalJSON").Params().Params(jen.Index().Byte(), jen.Error()).Block(
		jen.Return(jen.Id("x").Dot("appendJSON").Call(jen.Nil())))
	f.Line()
	f.Add(docComment("MarshalEasyJSON implements easyjson.Marshaler.")).Func().Params(r.recv()).Id("MarshalEasyJSON").Params(jen.Id("w").Op("*").Qual(jwriterPkg, "Writer")).Block(
		jen.List(jen.Id("w").Dot("Buffer").Dot("Buf"), jen.Id("_")).Op("=").Id("x").Dot("appendJSON").Call(jen.Id("w").Dot("Buffer").Dot("Buf")))
	f.Line()
	f.Add(docComment("UnmarshalJSON implements json.Unmarshaler. It resets x first (keeping its\nSetAutoGC policy) and skips unknown fields.")).Func().Params(r.recv()).Id("UnmarshalJSON").Params(jen.Id("data").Index().Byte()).Error().Block(
		jen.Id("r").Op(":=").Add(wq("NewJSONReader")).Call(jen.Id("data"), jen.False()),
		reset,
		jen.Err().Op(":=").Id("x").Dot("decodeJSON").Call(jen.Op("&").Id("r")),
		jen.If(err().Op("==").Nil()).Block(err().Op("=").Id("r").Dot("End").Call()),
		jen.If(err().Op("!=").Nil()).Block(jen.Return(wq("InType").Call(err(), jen.Lit(q)))),
		jen.Return(jen.Nil()),
	)
	f.Line()
	f.Add(docComment("UnmarshalEasyJSON implements easyjson.Unmarshaler.")).Func().Params(r.recv()).Id("UnmarshalEasyJSON").Params(jen.Id("l").Op("*").Qual(jlexerPkg, "Lexer")).Block(
		jen.Id("raw").Op(":=").Id("l").Dot("Raw").Call(),
		jen.If(jen.Op("!").Id("l").Dot("Ok").Call()).Block(jen.Return()),
		jen.Id("r").Op(":=").Add(wq("NewJSONReaderAt")).Call(jen.Id("raw"), jen.Id("l").Dot("GetPos").Call().Op("-").Len(jen.Id("raw")), jen.False()),
		reset,
		jen.Err().Op(":=").Id("x").Dot("decodeJSON").Call(jen.Op("&").Id("r")),
		jen.If(err().Op("==").Nil()).Block(err().Op("=").Id("r").Dot("End").Call()),
		jen.If(err().Op("!=").Nil()).Block(jen.Id("l").Dot("AddError").Call(wq("InType").Call(err(), jen.Lit(q)))),
	)
	f.Line()

	app := []jen.Code{jen.Id("start").Op(":=").Len(b())}
	app = append(app, r.forFields(func(fl *RecordField) jen.Code {
		var enc jen.Code
		if fl.Type.Kind == CRDTRecord {
			enc = jen.List(b(), jen.Id("_")).Op("=").Add(xf(fl)).Dot("appendJSON").Call(b())
		} else {
			enc = appendTo(xf(fl).Dot("AppendJSON").Call(append([]jen.Code{b()}, fl.Type.codecArgs()...)...))
		}
		return jen.If(jen.Op("!").Add(xf(fl)).Dot("IsZero").Call()).Block(
			appendLit(fmt.Sprintf(",%q:", fl.JSONName)),
			enc,
		)
	})...)
	app = append(app,
		jen.If(jen.Len(b()).Op("==").Id("start")).Block(jen.Return(jen.Append(b(), jen.Lit("{}").Op("...")), jen.Nil())),
		b().Index(jen.Id("start")).Op("=").LitByte('{'),
		jen.Return(jen.Append(b(), jen.LitByte('}')), jen.Nil()),
	)
	f.Func().Params(r.recv()).Id("appendJSON").Params(jen.Id("b").Index().Byte()).Params(jen.Index().Byte(), jen.Error()).Block(app...)
	f.Line()

	f.Func().Params(r.recv()).Id("decodeJSON").Params(jen.Id("r").Op("*").Add(wq("JSONReader"))).Error().Block(
		jen.If(jen.Id("r").Dot("Null").Call()).Block(jen.Return(jen.Nil())),
		jen.If(err().Op(":=").Id("r").Dot("BeginObject").Call(), err().Op("!=").Nil()).Block(jen.Return(err())),
		jen.For(jen.Id("n").Op(":=").Lit(0), jen.Empty(), jen.Id("n").Op("++")).Block(
			jen.List(jen.Id("key"), jen.Id("ok"), err()).Op(":=").Id("r").Dot("Key").Call(jen.Id("n")),
			jen.If(err().Op("!=").Nil()).Block(jen.Return(err())),
			jen.If(jen.Op("!").Id("ok")).Block(jen.Return(jen.Nil())),
			jen.Switch(jen.String().Call(jen.Id("key"))).BlockFunc(func(g *jen.Group) {
				for _, fl := range r.Fields {
					var call jen.Code
					if fl.Type.Kind == CRDTRecord {
						call = xf(fl).Dot("decodeJSON").Call(jen.Id("r"))
					} else {
						call = xf(fl).Dot("DecodeJSON").Call(append([]jen.Code{jen.Id("r")}, fl.Type.codecArgs()...)...)
					}
					g.Case(jen.Lit(fl.JSONName)).Block(
						jen.If(err().Op(":=").Add(call), err().Op("!=").Nil()).Block(jen.Return(fieldWrap(fl.Name)(err()))),
					)
				}
				g.Default().Block(
					jen.If(err().Op(":=").Id("r").Dot("SkipField").Call(jen.Id("key")), err().Op("!=").Nil()).Block(jen.Return(err())),
				)
			}),
		),
	)
	f.Line()
}

// emitCodecVars declares the record's own value codec (for ORMaps of it) and
// the codecs of CRDT values of its ORMap fields.
func (r *Record) emitCodecVars(e *emitter) {
	f := e.decl
	T, q := r.Name, e.qualName(r.Name)
	v := func() *jen.Statement { return jen.Id("v").Op("*").Id(T) }
	f.Add(docComment(fmt.Sprintf("codec%s encodes %s values inside crdt.ORMaps: binary length-prefixed.", T, T))).Var().Id("codec" + T).Op("=").Op("&").Add(crdtQ("Codec")).Types(jen.Id(T)).Values(jen.Dict{
		jen.Id("Name"): jen.Lit(q),
		jen.Id("AppendBinary"): jen.Func().Params(jen.Id("b").Index().Byte(), v()).Index().Byte().Block(
			jen.Return(crdtQ("AppendLen").Call(b(), jen.Func().Params(jen.Id("b").Index().Byte()).Index().Byte().Block(
				jen.List(b(), jen.Id("_")).Op("=").Id("v").Dot("appendBinary").Call(b()),
				jen.Return(b()),
			)))),
		jen.Id("DecodeBinary"): jen.Func().Params(jen.Id("d").Op("*").Add(crdtQ("Decoder")), v()).Block(
			jen.Id("d").Dot("Nested").Call(jen.Lit("value"), jen.Func().Params(jen.Id("raw").Index().Byte()).Error().Block(
				jen.Id("wd").Op(":=").Add(wq("NewDecoder")).Call(jen.Id("raw")),
				jen.Return(jen.Id("v").Dot("decodeBinary").Call(jen.Op("&").Id("wd"))),
			))),
		jen.Id("AppendJSON"): jen.Func().Params(jen.Id("b").Index().Byte(), v()).Index().Byte().Block(
			jen.List(b(), jen.Id("_")).Op("=").Id("v").Dot("appendJSON").Call(b()),
			jen.Return(b())),
		jen.Id("DecodeJSON"): jen.Func().Params(jen.Id("r").Op("*").Add(wq("JSONReader")), v()).Error().Block(
			jen.Return(jen.Id("v").Dot("decodeJSON").Call(jen.Id("r")))),
	})
	f.Line()
	for _, fl := range r.Fields {
		if fl.Type.Kind != CRDTORMap {
			continue
		}
		vt := fl.Type.Value
		if vt.Kind == CRDTRecord || vt.codecVar() == "" || !r.firstUser(e.pkg, vt.codecVar()) {
			continue
		}
		f.Add(vt.valueCodecDecl())
		f.Line()
	}
}

// firstUser reports whether r is the first record of p (in declaration
// order) with an ORMap whose values use the codec variable name, so each
// variable is declared once.
func (r *Record) firstUser(p *Package, name string) bool {
	for _, d := range p.Decls {
		o, ok := d.(*Record)
		if !ok {
			continue
		}
		for _, fl := range o.Fields {
			if fl.Type.Kind == CRDTORMap && fl.Type.Value.codecVar() == name {
				return o == r
			}
		}
	}
	return false
}
