// Package allkinds is a test schema with a field of every kind crdtgen
// supports, used by the golden-file and end-to-end tests.
package allkinds

import "time"

// Color is an unsigned enum.
type Color uint8

// The colors.
const (
	Red Color = iota
	Green
	Blue
)

// Level is a signed enum.
type Level int16

// Levels, including a negative one.
const (
	Debug Level = -4
	Info  Level = 0
	Warn  Level = 4
)

// MaxItems is an untyped constant; Version a typed one.
const (
	MaxItems        = 64
	Version  uint32 = 2
	Name            = "allkinds"
)

// Leaf is a small nested message.
//
//crdt:message
type Leaf struct {
	ID    string `wire:"1"`
	Value int64  `wire:"2"`
}

// Scalars has one field of every scalar kind.
//
//crdt:message
type Scalars struct {
	B       bool          `wire:"1"`
	I       int           `wire:"2"`
	I8      int8          `wire:"3"`
	I16     int16         `wire:"4"`
	I32     int32         `wire:"5"`
	I64     int64         `wire:"6"`
	U       uint          `wire:"7"`
	U8      uint8         `wire:"8"`
	U16     uint16        `wire:"9"`
	U32     uint32        `wire:"10"`
	U64     uint64        `wire:"11"`
	F32     float32       `wire:"12"`
	F64     float64       `wire:"13"`
	S       string        `wire:"14"`
	Bytes   []byte        `wire:"15"`
	At      time.Time     `wire:"16"`
	Timeout time.Duration `wire:"17"`
	Color   Color         `wire:"18"`
	Level   Level         `wire:"19"`
	Rune    rune          `wire:"20"`
	Byte    byte          `wire:"21"`
}

// Composite has nested messages, pointers, slices and maps of every kind.
//
//crdt:message
type Composite struct {
	Leaf      Leaf                 `wire:"1"`
	LeafPtr   *Leaf                `wire:"2"`
	Leaves    []Leaf               `wire:"3"`
	LeafPtrs  []*Leaf              `wire:"4"`
	Strings   []string             `wire:"5"`
	Blobs     [][]byte             `wire:"6"`
	Bools     []bool               `wire:"7"`
	Ints      []int32              `wire:"8"`
	Uints     []uint64             `wire:"9"`
	Floats    []float64            `wire:"10"`
	Float32s  []float32            `wire:"11"`
	Times     []time.Time          `wire:"12"`
	Durations []time.Duration      `wire:"13"`
	Colors    []Color              `wire:"14"`
	Levels    []Level              `wire:"15"`
	ByName    map[string]Leaf      `wire:"16"`
	ByID      map[int64]*Leaf      `wire:"17"`
	Counts    map[uint32]uint64    `wire:"18"`
	Labels    map[string]string    `wire:"19"`
	ByColor   map[Color]string     `wire:"20"`
	ByLevel   map[Level][]byte     `wire:"21"`
	Weights   map[int8]float64     `wire:"22"`
	Deadlines map[string]time.Time `wire:"23"`
	Scalars   Scalars              `wire:"24"`
}

// Tagged exercises json tags: names, omitempty and "-", and sparse and
// large field numbers.
//
//crdt:message
type Tagged struct {
	Renamed   string            `wire:"1" json:"renamed_field"`
	Omitted   string            `wire:"2" json:"omitted,omitempty"`
	OmitNum   int64             `wire:"3" json:",omitempty"`
	OmitPtr   *Leaf             `wire:"4" json:"omit_ptr,omitempty"`
	OmitSlice []string          `wire:"5" json:"omit_slice,omitempty"`
	OmitMap   map[string]string `wire:"6" json:"omit_map,omitempty"`
	OmitBytes []byte            `wire:"7" json:"omit_bytes,omitempty"`
	OmitBool  bool              `wire:"8" json:"omit_bool,omitempty"`
	OmitFloat float64           `wire:"9" json:"omit_float,omitempty"`
	OmitTime  time.Time         `wire:"10" json:"omit_time,omitempty"`
	OmitLeaf  Leaf              `wire:"11" json:"omit_leaf,omitempty"`
	Hidden    string            `wire:"12" json:"-"`
	Dash      string            `wire:"13" json:"-,"`
	HTTPAddr  string            `wire:"200000"`
	Big       uint64            `wire:"536870911"`
}

// Tree is recursive, to exercise the nesting bound.
//
//crdt:message
type Tree struct {
	Value    int32  `wire:"1"`
	Children []Tree `wire:"2"`
	Next     *Tree  `wire:"3"`
}

// Check and PtrLeaf have names the generated tests' helpers once took
// (genCheck, and genPtrLeaf for Leaf).
//
//crdt:message
type Check struct {
	Leaf *Leaf `wire:"1"`
}

// PtrLeaf: see Check.
//
//crdt:message
type PtrLeaf struct {
	Leaf *Leaf `wire:"1"`
}

// Empty has no fields.
//
//crdt:message
type Empty struct{}
