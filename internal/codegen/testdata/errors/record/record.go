package record

//crdt:record
type Inventory struct {
	Stock int64 `wire:"1"`
}
