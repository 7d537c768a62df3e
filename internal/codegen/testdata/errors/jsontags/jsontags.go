package jsontags

//crdt:message
type M struct {
	A int64 `wire:"1" json:"same"`
	B int64 `wire:"2" json:"same"`
	C int64 `wire:"3" json:"c,string"`
	D int64 `wire:"4" json:"d e"`
}
