package unexported

//crdt:message
type M struct {
	A int64 `wire:"1"`
	b int64 `wire:"2"`
}
