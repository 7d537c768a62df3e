package codegen

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"reflect"
	"strconv"
	"strings"
)

// crdtPkg is the import path of the CRDT runtime record fields refer to.
const crdtPkg = "github.com/dwsdk/distributed/runtime/crdt"

// Record is a //crdt:record struct: every field is a CRDT of runtime/crdt or
// another record of the schema.
type Record struct {
	Name   string
	Doc    string
	Fields []*RecordField
	Pos    token.Pos
}

// RecordField is one field of a record.
type RecordField struct {
	Name     string
	Num      int
	JSONName string
	Doc      string
	Type     *CRDTType
}

// CRDT kinds a record field may have.
const (
	CRDTGCounter    = "GCounter"
	CRDTPNCounter   = "PNCounter"
	CRDTLWWRegister = "LWWRegister"
	CRDTMVRegister  = "MVRegister"
	CRDTORSet       = "ORSet"
	CRDTORMap       = "ORMap"
	CRDTRecord      = "record"
)

// CRDTType is the type of a record field or of an ORMap value.
type CRDTType struct {
	Kind string
	// Elem is the element of LWWRegister, MVRegister and ORSet, and the key
	// of ORMap: "string", "int64", "uint64" or "bool".
	Elem string
	// Value is the value type of an ORMap.
	Value *CRDTType
	// Record names the record of kind CRDTRecord.
	Record string
}

// dotted reports whether values of t hold dots (and so implement
// crdt.DotSeeder).
func (t *CRDTType) dotted() bool {
	switch t.Kind {
	case CRDTMVRegister, CRDTORSet, CRDTORMap, CRDTRecord:
		return true
	}
	return false
}

// elemCodecs names the crdt element codec of each supported element type.
var elemCodecs = map[string]string{
	"string": "StringCodec",
	"int64":  "Int64Codec",
	"uint64": "Uint64Codec",
	"bool":   "BoolCodec",
}

const crdtFieldHelp = "record fields must be crdt.GCounter, crdt.PNCounter, crdt.LWWRegister[T], crdt.MVRegister[T], crdt.ORSet[T], crdt.ORMap[K, V] or another //crdt:record"

func init() { recordModel = buildRecord }

// buildRecord is the recordModel hook: it checks a //crdt:record struct and
// returns its Decl, reporting every schema error at its position.
func buildRecord(b *builder, spec *ast.TypeSpec, obj *types.TypeName, doc string) Decl {
	st, ok := obj.Type().Underlying().(*types.Struct)
	astStruct, ok2 := spec.Type.(*ast.StructType)
	if !ok || !ok2 {
		b.errorf(spec.Name.Pos(), "type %s: //crdt:record must be a struct type", obj.Name())
		return nil
	}
	r := &Record{Name: obj.Name(), Doc: doc, Pos: spec.Name.Pos()}
	nums := map[int]string{}
	jsonNames := map[string]string{}
	i := 0
	valid := true
	for _, af := range astStruct.Fields.List {
		if len(af.Names) == 0 {
			b.errorf(af.Type.Pos(), "%s: embedded fields are not supported; name the field", r.Name)
			i++
			valid = false
			continue
		}
		for _, ident := range af.Names {
			v, tag := st.Field(i), st.Tag(i)
			i++
			f := b.recordField(r, ident, af, v, tag)
			if f == nil {
				valid = false
				continue
			}
			if prev, dup := nums[f.Num]; dup {
				b.errorf(b.tagPos(af, ident), "%s.%s: duplicate wire number %d (also used by %s)", r.Name, f.Name, f.Num, prev)
				valid = false
				continue
			}
			nums[f.Num] = f.Name
			if prev, dup := jsonNames[f.JSONName]; dup {
				b.errorf(b.tagPos(af, ident), "%s.%s: duplicate JSON name %q (also used by %s)", r.Name, f.Name, f.JSONName, prev)
				valid = false
				continue
			}
			jsonNames[f.JSONName] = f.Name
			r.Fields = append(r.Fields, f)
		}
	}
	if !valid {
		return nil
	}
	return r
}

// recordMethods are the methods generated on records; fields may not use
// these names.
var recordMethods = map[string]bool{
	"Merge": true, "MergeDelta": true, "TakeDelta": true, "Equal": true, "Clone": true, "IsZero": true,
	"TombstoneCount": true, "GarbageCollect": true, "SetAutoGC": true, "SeedDots": true, "MaxDot": true,
	"AppendJSON": true, "MarshalJSON": true, "UnmarshalJSON": true, "MarshalEasyJSON": true, "UnmarshalEasyJSON": true,
	"AppendBinary": true, "MarshalBinary": true, "UnmarshalBinary": true, "Size": true,
}

func (b *builder) recordField(r *Record, ident *ast.Ident, af *ast.Field, v *types.Var, tag string) *RecordField {
	name := ident.Name
	if !ast.IsExported(name) {
		b.errorf(ident.Pos(), "%s.%s: unexported field; schema fields must be exported", r.Name, name)
		return nil
	}
	if recordMethods[name] {
		b.errorf(ident.Pos(), "%s.%s: field name collides with the generated method %s; rename the field", r.Name, name, name)
		return nil
	}
	f := &RecordField{Name: name, Doc: af.Doc.Text(), JSONName: snakeCase(name)}
	st := reflect.StructTag(tag)
	w, has := st.Lookup("wire")
	switch n, err := strconv.Atoi(w); {
	case !has:
		b.errorf(b.tagPos(af, ident), "%s.%s: missing wire:\"N\" tag", r.Name, name)
		return nil
	case err != nil || n < 1 || n > 1<<29-1:
		b.errorf(b.tagPos(af, ident), "%s.%s: invalid wire tag %q: want a field number from 1 to %d", r.Name, name, w, 1<<29-1)
		return nil
	default:
		f.Num = n
	}
	if j, has := st.Lookup("json"); has {
		jname, opts, _ := strings.Cut(j, ",")
		if j == "-" || opts != "" || !validJSONName(jname) {
			b.errorf(b.tagPos(af, ident), "%s.%s: invalid json tag %q: record fields take a plain JSON name", r.Name, name, j)
			return nil
		}
		f.JSONName = jname
	}
	t, msg := b.crdtType(v.Type(), false)
	if t == nil {
		b.errorf(af.Type.Pos(), "%s.%s: %s", r.Name, name, msg)
		return nil
	}
	f.Type = t
	return f
}

// crdtType classifies a record field type (or, with inMap, an ORMap value).
func (b *builder) crdtType(t types.Type, inMap bool) (*CRDTType, string) {
	t = types.Unalias(t)
	named, ok := t.(*types.Named)
	if !ok {
		return nil, fmt.Sprintf("type %s is not a CRDT: %s", types.TypeString(t, b.qualifier), crdtFieldHelp)
	}
	obj := named.Obj()
	if obj.Pkg() == b.pkg.Types {
		if b.records[obj.Name()] {
			return &CRDTType{Kind: CRDTRecord, Record: obj.Name()}, ""
		}
		return nil, fmt.Sprintf("type %s is not a CRDT: %s", obj.Name(), crdtFieldHelp)
	}
	if obj.Pkg() == nil || obj.Pkg().Path() != crdtPkg {
		return nil, fmt.Sprintf("type %s is not a CRDT: %s", types.TypeString(t, b.qualifier), crdtFieldHelp)
	}
	args := named.TypeArgs()
	elem := func(i int) (string, string) {
		a := types.Unalias(args.At(i))
		bt, ok := a.(*types.Basic)
		if !ok || elemCodecs[bt.Name()] == "" {
			return "", fmt.Sprintf("unsupported element type %s in %s: elements and keys must be string, int64, uint64 or bool",
				types.TypeString(a, b.qualifier), types.TypeString(t, b.qualifier))
		}
		return bt.Name(), ""
	}
	switch name := obj.Name(); name {
	case CRDTGCounter, CRDTPNCounter:
		return &CRDTType{Kind: name}, ""
	case CRDTLWWRegister, CRDTMVRegister, CRDTORSet:
		e, msg := elem(0)
		if e == "" {
			return nil, msg
		}
		return &CRDTType{Kind: name, Elem: e}, ""
	case CRDTORMap:
		if inMap {
			return nil, "an ORMap value cannot be another ORMap; wrap it in a //crdt:record"
		}
		k, msg := elem(0)
		if k == "" {
			return nil, msg
		}
		v, msg := b.crdtType(args.At(1), true)
		if v == nil {
			return nil, "ORMap value: " + msg
		}
		return &CRDTType{Kind: name, Elem: k, Value: v}, ""
	}
	return nil, fmt.Sprintf("crdt.%s cannot be a record field: %s", obj.Name(), crdtFieldHelp)
}
