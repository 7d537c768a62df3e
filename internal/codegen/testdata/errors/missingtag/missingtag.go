package missingtag

//crdt:message
type M struct {
	A int64
	B int64 `json:"b"`
}
