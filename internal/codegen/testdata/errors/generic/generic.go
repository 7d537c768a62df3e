package generic

//crdt:message
type M[T any] struct {
	A T `wire:"1"`
}
