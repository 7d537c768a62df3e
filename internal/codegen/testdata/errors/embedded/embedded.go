package embedded

//crdt:message
type Base struct {
	A int64 `wire:"1"`
}

//crdt:message
type M struct {
	Base
	B int64 `wire:"2"`
}
