package unsupported

//crdt:message
type M struct {
	C complex128      `wire:"1"`
	A [4]byte         `wire:"2"`
	F func()          `wire:"3"`
	I interface{}     `wire:"4"`
	U uintptr         `wire:"5"`
	N [][]int         `wire:"6"`
	P *int            `wire:"7"`
	K map[bool]int    `wire:"8"`
	T struct{ X int } `wire:"9"`
}
