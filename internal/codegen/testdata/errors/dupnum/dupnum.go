package dupnum

//crdt:message
type M struct {
	A int64 `wire:"1"`
	B int64 `wire:"1"`
}
