// Package benchwire is the schema of the SWIM benchmark packet: Alive is
// swimwire.Alive field for field, and Packet compounds several of them, as
// a SWIM UDP packet does. crdtgen generates it into bench/codec/gen/benchwire.
package benchwire

// Alive mirrors swimwire.Alive.
//
//crdt:message
type Alive struct {
	Incarnation uint32 `wire:"1"`
	Node        string `wire:"2"`
	Addr        string `wire:"3"`
	Meta        []byte `wire:"4"`
}

// Packet is a SWIM packet compounding several Alive messages.
//
//crdt:message
type Packet struct {
	Alives []Alive `wire:"1"`
}
