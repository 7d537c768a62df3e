package codegen

import (
	"fmt"
	"go/ast"
	"go/constant"
	"go/token"
	"go/types"
	"math/big"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/tools/go/packages"
)

// Kind is the codec-relevant kind of a field type.
type Kind int

// The field kinds crdtgen supports.
const (
	KindBool     Kind = iota
	KindInt           // int, int8 ... int64
	KindUint          // uint, uint8 ... uint64
	KindFloat         // float32, float64
	KindString        // string
	KindBytes         // []byte
	KindTime          // time.Time
	KindDuration      // time.Duration
	KindEnum          // a named integer type declared in the schema
	KindMessage       // a //crdt:message struct of the schema, by value
	KindPointer       // *Message
	KindSlice         // []T, T any kind above except slices and maps
	KindMap           // map[K]V, K string or integer, V as for slices
)

// Type is a field type as the emitters see it.
type Type struct {
	Kind Kind
	// Name is the Go spelling for basic, enum and message types: "uint64",
	// "int", "EntryType", "Server".
	Name string
	// Bits is the size of integers, enums and floats (int and uint are 64).
	Bits int
	// Signed is set for signed integers and enums with a signed base type.
	Signed bool
	// Base is the underlying basic type of an enum ("uint8").
	Base string
	// Elem is the pointee of a pointer and the element of a slice or map.
	Elem *Type
	// Key is the key of a map.
	Key *Type
}

// Field is one field of a message.
type Field struct {
	Name      string
	Num       int    // wire:"N"
	JSONName  string // the key in JSON
	OmitEmpty bool   // json:",omitempty"
	JSONSkip  bool   // json:"-"
	Type      *Type
	Doc       string
	Pos       token.Pos
}

// Decl is one top-level declaration of a generated package, in source order.
// Messages, enums and constant groups are declared here; //crdt:record types
// are declared by model_record.go through recordModel.
type Decl interface {
	// declare emits the type or constant declaration.
	declare(e *emitter)
	// methods emits the codec methods (JSON into jf, binary into bf).
	methods(e *emitter)
}

// Message is a //crdt:message struct.
type Message struct {
	Name   string
	Doc    string
	Fields []*Field
	Pos    token.Pos
	// SizeMethod is "Size", or "WireSize" when a field is named Size.
	SizeMethod string
	// canFailJSON/canFailBinary: encoding can return an error (a float,
	// a time, or a nested message that can fail).
	canFailJSON, canFailBinary bool
}

// generatedMethods are the exported methods every message gets; a field
// with one of these names would collide. Size is the exception: a message
// with a Size field gets its size method as WireSize instead.
var generatedMethods = map[string]bool{
	"AppendJSON": true, "MarshalJSON": true, "UnmarshalJSON": true, "UnmarshalJSONStrict": true,
	"MarshalEasyJSON": true, "UnmarshalEasyJSON": true,
	"AppendBinary": true, "MarshalBinary": true, "UnmarshalBinary": true, "WireSize": true,
}

// Enum is a named integer type; its constants are in a ConstGroup.
type Enum struct {
	Name string
	Doc  string
	Base string // underlying basic type
}

// Const is one constant declaration.
type Const struct {
	Name  string
	Doc   string
	Type  string // "" for untyped
	Value string // Go literal
}

// ConstGroup is one const ( ... ) block.
type ConstGroup struct {
	Doc    string
	Consts []Const
}

// Package is the model of one schema package.
type Package struct {
	Name  string // package name, also the name of the generated package
	Path  string // import path of the schema package
	Decls []Decl
	// Messages indexes the messages by name.
	Messages map[string]*Message
}

// recordModel builds the model of a //crdt:record type. It is nil until
// model_record.go (the CRDT issue) sets it in an init function; while it is
// nil, records are refused with "crdt:record is not yet supported".
//
// The hook receives the builder (for errors: b.errorf; for field types:
// b.fieldType) and the type's declaration, and returns the record's Decl,
// which declares the struct and emits its methods (emit_record.go). Records
// are registered in pass 1 (b.kinds, b.records), so record fields can refer
// to records declared later. A message field may not hold a record (see
// recordInMessage): the record's Decl does not emit the methods a message's
// codecs call on a field (appendJSON, jsonSize, decodeJSON, appendBinary,
// size, decodeBinary) nor the test helpers emit_gentest.go expects of one.
var recordModel func(b *builder, spec *ast.TypeSpec, obj *types.TypeName, doc string) Decl

// SchemaError is one error in a schema, reported as file:line:col: message.
type SchemaError struct {
	Pos token.Position
	Msg string
}

// Error formats the error as file:line:col: message.
func (e SchemaError) Error() string { return fmt.Sprintf("%s: %s", e.Pos, e.Msg) }

// SchemaErrors is every error found in a run, sorted by position.
type SchemaErrors []SchemaError

// Error formats the errors one per line.
func (es SchemaErrors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// builder turns one type-checked package into a Package, collecting errors.
type builder struct {
	pkg     *packages.Package
	errs    SchemaErrors
	kinds   map[string]string // type name -> "message", "record", "enum"
	records map[string]bool
}

func (b *builder) errorf(pos token.Pos, format string, args ...any) {
	p := b.pkg.Fset.Position(pos)
	if wd, err := os.Getwd(); err == nil {
		if rel, err := filepath.Rel(wd, p.Filename); err == nil && !strings.HasPrefix(rel, "..") {
			p.Filename = rel
		}
	}
	b.errs = append(b.errs, SchemaError{Pos: p, Msg: fmt.Sprintf(format, args...)})
}

// directive returns the //crdt:xxx directive of a type declaration, if any.
func directive(groups ...*ast.CommentGroup) (name string, pos token.Pos) {
	for _, g := range groups {
		if g == nil {
			continue
		}
		for _, c := range g.List {
			if strings.HasPrefix(c.Text, "//crdt:") {
				return strings.TrimSpace(strings.TrimPrefix(c.Text, "//crdt:")), c.Pos()
			}
		}
	}
	return "", token.NoPos
}

// buildModel builds the model of a loaded schema package.
func buildModel(p *packages.Package) (*Package, SchemaErrors) {
	b := &builder{pkg: p, kinds: map[string]string{}, records: map[string]bool{}}
	out := &Package{Name: p.Name, Path: p.PkgPath, Messages: map[string]*Message{}}

	// Pass 1: classify every type so fields can refer to later types.
	type typeDecl struct {
		spec *ast.TypeSpec
		obj  *types.TypeName
		dir  string
		dpos token.Pos
		doc  string
	}
	var order []any // *typeDecl or *ast.GenDecl (const)
	for _, f := range p.Syntax {
		for _, d := range f.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok {
				if fd, ok := d.(*ast.FuncDecl); ok {
					b.errorf(fd.Pos(), "schema packages declare types and constants only; remove func %s", fd.Name.Name)
				}
				continue
			}
			switch gd.Tok {
			case token.TYPE:
				for _, s := range gd.Specs {
					spec := s.(*ast.TypeSpec)
					obj, _ := p.TypesInfo.Defs[spec.Name].(*types.TypeName)
					if obj == nil {
						continue
					}
					groups := []*ast.CommentGroup{spec.Doc}
					doc := spec.Doc
					if len(gd.Specs) == 1 {
						groups = append(groups, gd.Doc)
						if doc == nil {
							doc = gd.Doc
						}
					}
					dir, dpos := directive(groups...)
					td := &typeDecl{spec: spec, obj: obj, dir: dir, dpos: dpos, doc: doc.Text()}
					order = append(order, td)
					switch dir {
					case "message":
						b.kinds[obj.Name()] = "message"
					case "record":
						b.kinds[obj.Name()] = "record"
						b.records[obj.Name()] = true
					case "":
						if isInteger(obj.Type().Underlying()) {
							b.kinds[obj.Name()] = "enum"
						}
					}
				}
			case token.CONST:
				order = append(order, gd)
			case token.VAR:
				b.errorf(gd.Pos(), "schema packages declare types and constants only; remove the var declaration")
			}
		}
	}

	// Pass 2: build declarations in source order.
	for _, o := range order {
		switch o := o.(type) {
		case *ast.GenDecl:
			if g := b.constGroup(o); g != nil {
				out.Decls = append(out.Decls, g)
			}
		case *typeDecl:
			name := o.obj.Name()
			if o.spec.TypeParams != nil {
				b.errorf(o.spec.Name.Pos(), "type %s: generic types are not supported", name)
				continue
			}
			if o.spec.Assign.IsValid() {
				b.errorf(o.spec.Name.Pos(), "type %s: type aliases are not supported", name)
				continue
			}
			switch o.dir {
			case "message":
				if m := b.message(o.spec, o.obj, o.doc); m != nil {
					out.Decls = append(out.Decls, m)
					out.Messages[name] = m
				}
			case "record":
				if recordModel == nil {
					b.errorf(o.dpos, "type %s: crdt:record is not yet supported", name)
					continue
				}
				if d := recordModel(b, o.spec, o.obj, o.doc); d != nil {
					out.Decls = append(out.Decls, d)
				}
			case "":
				under := o.obj.Type().Underlying()
				switch {
				case isInteger(under):
					out.Decls = append(out.Decls, &Enum{Name: name, Doc: o.doc, Base: under.(*types.Basic).Name()})
				case isStruct(under):
					b.errorf(o.spec.Name.Pos(), "type %s: struct has no //crdt:message or //crdt:record directive", name)
				default:
					b.errorf(o.spec.Name.Pos(), "type %s: a schema declares //crdt:message and //crdt:record structs and named integer enums only", name)
				}
			default:
				b.errorf(o.dpos, "type %s: unknown directive //crdt:%s (want //crdt:message or //crdt:record)", name, o.dir)
			}
		}
	}
	computeCanFail(out)
	sort.SliceStable(b.errs, func(i, j int) bool { return posLess(b.errs[i].Pos, b.errs[j].Pos) })
	return out, b.errs
}

func posLess(a, b token.Position) bool {
	if a.Filename != b.Filename {
		return a.Filename < b.Filename
	}
	if a.Line != b.Line {
		return a.Line < b.Line
	}
	return a.Column < b.Column
}

func isInteger(t types.Type) bool {
	bt, ok := t.(*types.Basic)
	return ok && bt.Info()&types.IsInteger != 0 && bt.Kind() != types.Uintptr
}

// isContainer reports a slice (other than []byte) or a map.
func isContainer(t types.Type) bool {
	switch tt := types.Unalias(t).Underlying().(type) {
	case *types.Map:
		return true
	case *types.Slice:
		bt, ok := tt.Elem().(*types.Basic)
		return !ok || bt.Kind() != types.Byte
	}
	return false
}

func isStruct(t types.Type) bool { _, ok := t.(*types.Struct); return ok }

func (b *builder) constGroup(gd *ast.GenDecl) *ConstGroup {
	g := &ConstGroup{Doc: gd.Doc.Text()}
	for _, s := range gd.Specs {
		vs := s.(*ast.ValueSpec)
		for _, id := range vs.Names {
			if id.Name == "_" {
				continue
			}
			obj, _ := b.pkg.TypesInfo.Defs[id].(*types.Const)
			if obj == nil {
				continue
			}
			c := Const{Name: id.Name, Doc: vs.Doc.Text()}
			typ := obj.Type()
			if bt, ok := typ.(*types.Basic); !ok || bt.Info()&types.IsUntyped == 0 {
				switch tt := typ.(type) {
				case *types.Named:
					if tt.Obj().Pkg() != b.pkg.Types {
						b.errorf(id.Pos(), "constant %s: type %s is not declared in the schema", id.Name, tt)
						continue
					}
					c.Type = tt.Obj().Name()
				case *types.Basic:
					c.Type = tt.Name()
				default:
					b.errorf(id.Pos(), "constant %s: unsupported type %s", id.Name, typ)
					continue
				}
			}
			c.Value = constLiteral(obj)
			g.Consts = append(g.Consts, c)
		}
	}
	if len(g.Consts) == 0 {
		return nil
	}
	return g
}

// constLiteral is Go source for the value of c that, declared with c's
// type (or untyped, for an untyped constant), gives c's exact value and,
// untyped, its kind: constant.Value.ExactString alone writes 0.5 as 1/2,
// which Go reads as the integer 0, 2.0 as the untyped integer 2, and 'a'
// as 97.
func constLiteral(c *types.Const) string {
	v := c.Val()
	bt, _ := c.Type().Underlying().(*types.Basic)
	typed := bt != nil && bt.Info()&types.IsUntyped == 0
	switch v.Kind() {
	case constant.String:
		return strconv.Quote(constant.StringVal(v))
	case constant.Int:
		if bt != nil && bt.Kind() == types.UntypedRune {
			if r, ok := constant.Int64Val(v); ok && r >= 0 && utf8.ValidRune(rune(r)) {
				return strconv.QuoteRune(rune(r))
			}
			return "'\\x00' + " + v.ExactString()
		}
	case constant.Float:
		return floatText(v, typed, bt)
	case constant.Complex:
		re, im := constant.ToFloat(constant.Real(v)), constant.ToFloat(constant.Imag(v))
		return "complex(" + floatText(re, typed, bt) + ", " + floatText(im, typed, bt) + ")"
	}
	return v.ExactString()
}

// floatText is a literal for the float constant v. A typed constant's value
// is already rounded to its type: the shortest text that rounds back to it
// will do.
func floatText(v constant.Value, typed bool, bt *types.Basic) string {
	if !typed {
		return floatLiteral(v)
	}
	f, _ := constant.Float64Val(v)
	bits := 64
	if bt.Kind() == types.Float32 || bt.Kind() == types.Complex64 {
		bits = 32
	}
	return strconv.FormatFloat(f, 'g', -1, bits)
}

// floatLiteral is an untyped float constant expression for the exact value
// of v (a Float constant): a decimal literal when v has one, 1.0 / 3 for
// other fractions, and the exact hexadecimal form for values beyond the
// range go/constant keeps as fractions.
func floatLiteral(v constant.Value) string {
	r, ok := constant.Val(v).(*big.Rat)
	if !ok {
		return v.ExactString() // *big.Float: a hexadecimal float literal
	}
	if s, ok := decimalLiteral(r); ok {
		return s
	}
	return r.Num().String() + ".0 / " + r.Denom().String()
}

// decimalLiteral writes r as a Go float literal, when it has a finite
// decimal expansion (its denominator is 2^a 5^b): plain for moderate
// exponents, otherwise in e notation.
func decimalLiteral(r *big.Rat) (string, bool) {
	den := new(big.Int).Set(r.Denom())
	twos := den.TrailingZeroBits()
	den.Rsh(den, twos)
	fives := uint(0)
	five, rem := big.NewInt(5), new(big.Int)
	for den.Cmp(big.NewInt(1)) != 0 {
		q, m := new(big.Int).QuoRem(den, five, rem)
		if m.Sign() != 0 {
			return "", false
		}
		den, fives = q, fives+1
	}
	s := r.FloatString(int(max(twos, fives))) // exact
	sign := ""
	if s[0] == '-' {
		sign, s = "-", s[1:]
	}
	intPart, frac, _ := strings.Cut(s, ".")
	// The value is digits * 10^exp.
	digits, exp := strings.TrimLeft(intPart+frac, "0"), -len(frac)
	for len(digits) > 0 && digits[len(digits)-1] == '0' {
		digits, exp = digits[:len(digits)-1], exp+1
	}
	n := len(digits)
	switch {
	case n == 0:
		return "0.0", true
	case exp >= 0 && n+exp <= 21:
		return sign + digits + strings.Repeat("0", exp) + ".0", true
	case exp < 0 && -exp < n:
		return sign + digits[:n+exp] + "." + digits[n+exp:], true
	case exp < 0 && -exp-n <= 6:
		return sign + "0." + strings.Repeat("0", -exp-n) + digits, true
	}
	mant := digits[:1]
	if n > 1 {
		mant += "." + digits[1:]
	}
	return sign + mant + "e" + strconv.Itoa(exp+n-1), true
}

// message builds a //crdt:message struct, reporting every field error.
func (b *builder) message(spec *ast.TypeSpec, obj *types.TypeName, doc string) *Message {
	st, ok := obj.Type().Underlying().(*types.Struct)
	astStruct, ok2 := spec.Type.(*ast.StructType)
	if !ok || !ok2 {
		b.errorf(spec.Name.Pos(), "type %s: //crdt:message must be a struct type", obj.Name())
		return nil
	}
	m := &Message{Name: obj.Name(), Doc: doc, Pos: spec.Name.Pos(), SizeMethod: "Size"}
	nums := map[int]*Field{}
	jsonNames := map[string]*Field{}
	i := 0
	for _, af := range astStruct.Fields.List {
		if len(af.Names) == 0 {
			b.errorf(af.Type.Pos(), "%s: embedded fields are not supported; name the field", m.Name)
			i++
			continue
		}
		for _, id := range af.Names {
			v := st.Field(i)
			tag := st.Tag(i)
			i++
			f := b.field(m, id, af, v, tag)
			if f == nil {
				continue
			}
			if generatedMethods[f.Name] {
				b.errorf(id.Pos(), "%s.%s: field name collides with the generated method %s; rename the field", m.Name, f.Name, f.Name)
				continue
			}
			if f.Name == "Size" {
				m.SizeMethod = "WireSize"
			}
			if prev := nums[f.Num]; prev != nil {
				b.errorf(b.tagPos(af, id), "%s.%s: duplicate wire number %d (also used by %s)", m.Name, f.Name, f.Num, prev.Name)
			} else {
				nums[f.Num] = f
			}
			if !f.JSONSkip {
				if prev := jsonNames[f.JSONName]; prev != nil {
					b.errorf(b.tagPos(af, id), "%s.%s: duplicate JSON name %q (also used by %s)", m.Name, f.Name, f.JSONName, prev.Name)
				} else {
					jsonNames[f.JSONName] = f
				}
			}
			m.Fields = append(m.Fields, f)
		}
	}
	return m
}

func (b *builder) tagPos(af *ast.Field, id *ast.Ident) token.Pos {
	if af.Tag != nil {
		return af.Tag.Pos()
	}
	return id.Pos()
}

func (b *builder) field(m *Message, id *ast.Ident, af *ast.Field, v *types.Var, tag string) *Field {
	name := id.Name
	if !ast.IsExported(name) {
		b.errorf(id.Pos(), "%s.%s: unexported field; schema fields must be exported", m.Name, name)
		return nil
	}
	f := &Field{Name: name, Doc: af.Doc.Text(), Pos: id.Pos()}
	ok := true
	st := reflect.StructTag(tag)
	w, has := st.Lookup("wire")
	switch n, err := strconv.Atoi(w); {
	case !has:
		b.errorf(b.tagPos(af, id), "%s.%s: missing wire:\"N\" tag", m.Name, name)
		ok = false
	case err != nil || n < 1 || n > 1<<29-1:
		b.errorf(b.tagPos(af, id), "%s.%s: invalid wire tag %q: want a field number from 1 to %d", m.Name, name, w, 1<<29-1)
		ok = false
	default:
		f.Num = n
	}
	f.JSONName = snakeCase(name)
	if j, has := st.Lookup("json"); has {
		jname, opts, _ := strings.Cut(j, ",")
		switch {
		case j == "-":
			f.JSONSkip = true
		case jname != "":
			if !validJSONName(jname) {
				b.errorf(b.tagPos(af, id), "%s.%s: invalid JSON name %q: use letters, digits and _ - . $ @", m.Name, name, jname)
				ok = false
			}
			f.JSONName = jname
		}
		if opts != "" {
			for _, o := range strings.Split(opts, ",") {
				if o == "omitempty" {
					f.OmitEmpty = true
					continue
				}
				b.errorf(b.tagPos(af, id), "%s.%s: unsupported json option %q (only omitempty is supported)", m.Name, name, o)
				ok = false
			}
		}
	}
	t, msg := b.fieldType(v.Type(), 0)
	if t == nil {
		b.errorf(af.Type.Pos(), "%s.%s: %s", m.Name, name, msg)
		return nil
	}
	f.Type = t
	if !ok {
		return nil
	}
	return f
}

// fieldType classifies a field type; on failure it returns nil and why.
// level is 0 for a field, 1 for a slice element or map value.
func (b *builder) fieldType(t types.Type, level int) (*Type, string) {
	t = types.Unalias(t)
	switch tt := t.(type) {
	case *types.Basic:
		return basicType(tt)
	case *types.Named:
		obj := tt.Obj()
		if obj.Pkg() != nil && obj.Pkg().Path() == "time" {
			switch obj.Name() {
			case "Time":
				return &Type{Kind: KindTime, Name: "time.Time"}, ""
			case "Duration":
				return &Type{Kind: KindDuration, Name: "time.Duration", Bits: 64, Signed: true}, ""
			}
		}
		if obj.Pkg() != b.pkg.Types {
			return nil, fmt.Sprintf("unsupported type %s: only types declared in the schema, time.Time and time.Duration may be named", types.TypeString(t, nil))
		}
		switch b.kinds[obj.Name()] {
		case "message":
			return &Type{Kind: KindMessage, Name: obj.Name()}, ""
		case "record":
			return nil, recordInMessage(obj.Name())
		case "enum":
			base := tt.Underlying().(*types.Basic)
			bt, _ := basicType(base)
			return &Type{Kind: KindEnum, Name: obj.Name(), Bits: bt.Bits, Signed: bt.Signed, Base: base.Name()}, ""
		}
		return nil, fmt.Sprintf("unsupported type %s: declare it as a //crdt:message struct or an integer enum", obj.Name())
	case *types.Pointer:
		elem, msg := b.fieldType(tt.Elem(), 2)
		if elem == nil {
			return nil, msg
		}
		if elem.Kind != KindMessage {
			return nil, fmt.Sprintf("unsupported type %s: pointers must point to a //crdt:message type", types.TypeString(t, b.qualifier))
		}
		return &Type{Kind: KindPointer, Elem: elem}, ""
	case *types.Slice:
		if bt, ok := tt.Elem().(*types.Basic); ok && bt.Kind() == types.Byte {
			return &Type{Kind: KindBytes, Name: "[]byte"}, ""
		}
		if level > 0 || isContainer(tt.Elem()) {
			return nil, fmt.Sprintf("unsupported type %s: slices and maps cannot hold slices or maps (except []byte)", types.TypeString(t, b.qualifier))
		}
		elem, msg := b.fieldType(tt.Elem(), 1)
		if elem == nil {
			return nil, msg
		}
		return &Type{Kind: KindSlice, Elem: elem}, ""
	case *types.Map:
		if level > 0 || isContainer(tt.Elem()) {
			return nil, fmt.Sprintf("unsupported type %s: slices and maps cannot hold slices or maps (except []byte)", types.TypeString(t, b.qualifier))
		}
		key, msg := b.fieldType(tt.Key(), 1)
		if key == nil {
			return nil, msg
		}
		switch key.Kind {
		case KindString, KindInt, KindUint, KindEnum:
		default:
			return nil, fmt.Sprintf("unsupported map key type %s: keys must be strings or integers", types.TypeString(tt.Key(), b.qualifier))
		}
		elem, msg := b.fieldType(tt.Elem(), 1)
		if elem == nil {
			return nil, msg
		}
		return &Type{Kind: KindMap, Key: key, Elem: elem}, ""
	}
	return nil, fmt.Sprintf("unsupported type %s", types.TypeString(t, b.qualifier))
}

// recordInMessage is the error for a record used in a message field. The
// record emitter does not provide the methods a message's codecs call on a
// field (appendJSON, jsonSize, decodeBinary, ...), so such a field would
// generate code that does not compile.
func recordInMessage(name string) string {
	return fmt.Sprintf("unsupported type %s: a //crdt:record cannot be a message field; carry its MarshalBinary encoding in a []byte field", name)
}

func (b *builder) qualifier(p *types.Package) string {
	if p == b.pkg.Types {
		return ""
	}
	return p.Name()
}

func basicType(bt *types.Basic) (*Type, string) {
	switch bt.Kind() {
	case types.Bool:
		return &Type{Kind: KindBool, Name: "bool"}, ""
	case types.Int, types.Int64:
		return &Type{Kind: KindInt, Name: bt.Name(), Bits: 64, Signed: true}, ""
	case types.Int8:
		return &Type{Kind: KindInt, Name: "int8", Bits: 8, Signed: true}, ""
	case types.Int16:
		return &Type{Kind: KindInt, Name: "int16", Bits: 16, Signed: true}, ""
	case types.Int32:
		return &Type{Kind: KindInt, Name: bt.Name(), Bits: 32, Signed: true}, ""
	case types.Uint, types.Uint64:
		return &Type{Kind: KindUint, Name: bt.Name(), Bits: 64}, ""
	case types.Uint8:
		return &Type{Kind: KindUint, Name: bt.Name(), Bits: 8}, ""
	case types.Uint16:
		return &Type{Kind: KindUint, Name: "uint16", Bits: 16}, ""
	case types.Uint32:
		return &Type{Kind: KindUint, Name: "uint32", Bits: 32}, ""
	case types.Float32:
		return &Type{Kind: KindFloat, Name: "float32", Bits: 32}, ""
	case types.Float64:
		return &Type{Kind: KindFloat, Name: "float64", Bits: 64}, ""
	case types.String:
		return &Type{Kind: KindString, Name: "string"}, ""
	}
	return nil, fmt.Sprintf("unsupported type %s", bt.Name())
}

// snakeCase turns a Go field name into its default JSON name:
// CandidateID -> candidate_id, HTTPAddr -> http_addr.
func snakeCase(s string) string {
	r := []rune(s)
	var sb strings.Builder
	for i, c := range r {
		if unicode.IsUpper(c) {
			if i > 0 && (unicode.IsLower(r[i-1]) || unicode.IsDigit(r[i-1]) ||
				(i+1 < len(r) && unicode.IsLower(r[i+1]) && unicode.IsUpper(r[i-1]))) {
				sb.WriteByte('_')
			}
			sb.WriteRune(unicode.ToLower(c))
			continue
		}
		sb.WriteRune(c)
	}
	return sb.String()
}

func validJSONName(s string) bool {
	for _, c := range s {
		if !(c == '_' || c == '-' || c == '.' || c == '$' || c == '@' ||
			unicode.IsLetter(c) || unicode.IsDigit(c)) {
			return false
		}
	}
	return s != ""
}

// canFail reports whether encoding a value of type t can return an error:
// floats (JSON only: NaN and infinities), times, and messages that can.
func (p *Package) canFail(t *Type, json bool) bool {
	switch t.Kind {
	case KindFloat:
		return json
	case KindTime:
		return true
	case KindMessage:
		m := p.Messages[t.Name]
		if m == nil {
			return true // a record: assume it can
		}
		if json {
			return m.canFailJSON
		}
		return m.canFailBinary
	case KindPointer, KindSlice, KindMap:
		return p.canFail(t.Elem, json)
	}
	return false
}

// computeCanFail marks messages whose encoders can return an error, to a
// fixed point over nested messages.
func computeCanFail(p *Package) {
	for changed := true; changed; {
		changed = false
		for _, m := range p.Messages {
			for _, f := range m.Fields {
				if !m.canFailJSON && !f.JSONSkip && p.canFail(f.Type, true) {
					m.canFailJSON, changed = true, true
				}
				if !m.canFailBinary && p.canFail(f.Type, false) {
					m.canFailBinary, changed = true, true
				}
			}
		}
	}
}
