package nodirective

// M has no directive.
type M struct {
	A int64 `wire:"1"`
}

// S is neither a struct nor an integer.
type S string

//crdt:mesage
type T struct{}
