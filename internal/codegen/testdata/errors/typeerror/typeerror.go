package typeerror

//crdt:message
type M struct {
	A Missing `wire:"1"`
}
