package collision

//crdt:message
type M struct {
	MarshalJSON string `wire:"1"`
	Size        uint64 `wire:"2"`
}
