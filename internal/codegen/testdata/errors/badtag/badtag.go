package badtag

//crdt:message
type M struct {
	A int64 `wire:"0"`
	B int64 `wire:"x"`
	C int64 `wire:"536870912"`
	D int64 `wire:"-3"`
}
