// Package swimwire declares the wire messages of runtime/swim.
//
// This package is a schema: crdtgen reads it and emits the types with their
// JSON and binary codecs into gen/swimwire. Nothing imports it at run time.
// Field numbers (wire:"N") are part of the wire format: never reuse or
// renumber one; add new fields with new numbers.
package swimwire

// State is what a member believes about another member.
type State uint8

const (
	// StateAlive is a member that answers probes.
	StateAlive State = iota
	// StateSuspect is a member that missed a probe and has not yet refuted it.
	StateSuspect
	// StateDead is a member declared failed.
	StateDead
	// StateLeft is a member that left gracefully.
	StateLeft
)

// Ping is a direct probe.
//
//crdt:message
type Ping struct {
	SeqNo uint32 `wire:"1"`
	// Target is the name of the member being probed, so a restarted member
	// at the same address does not answer for its predecessor.
	Target     string `wire:"2"`
	SourceNode string `wire:"3"`
	SourceAddr string `wire:"4"`
}

// IndirectPing asks a member to probe Target on the sender's behalf.
//
//crdt:message
type IndirectPing struct {
	SeqNo      uint32 `wire:"1"`
	Target     string `wire:"2"`
	TargetAddr string `wire:"3"`
	// Nack asks the intermediary to answer with a Nack if Target does not
	// answer in time (Lifeguard).
	Nack       bool   `wire:"4"`
	SourceNode string `wire:"5"`
	SourceAddr string `wire:"6"`
}

// Ack answers a Ping or an IndirectPing.
//
//crdt:message
type Ack struct {
	SeqNo   uint32 `wire:"1"`
	Payload []byte `wire:"2"`
}

// Nack tells the originator of an IndirectPing that the intermediary is alive
// but got no answer from the target.
//
//crdt:message
type Nack struct {
	SeqNo uint32 `wire:"1"`
}

// Alive announces a member, or refutes a suspicion with a higher incarnation.
//
//crdt:message
type Alive struct {
	Incarnation uint32 `wire:"1"`
	Node        string `wire:"2"`
	Addr        string `wire:"3"`
	Meta        []byte `wire:"4"`
}

// Suspect says From suspects Node at the given incarnation.
//
//crdt:message
type Suspect struct {
	Incarnation uint32 `wire:"1"`
	Node        string `wire:"2"`
	From        string `wire:"3"`
}

// Dead says From declared Node dead; Node == From means a graceful leave.
//
//crdt:message
type Dead struct {
	Incarnation uint32 `wire:"1"`
	Node        string `wire:"2"`
	From        string `wire:"3"`
}

// PushNodeState is one member's entry in a push-pull exchange.
//
//crdt:message
type PushNodeState struct {
	Name        string `wire:"1"`
	Addr        string `wire:"2"`
	Meta        []byte `wire:"3"`
	Incarnation uint32 `wire:"4"`
	State       State  `wire:"5"`
}

// PushPull is a full-state exchange over TCP, on join and periodically.
//
//crdt:message
type PushPull struct {
	Join      bool            `wire:"1"`
	Nodes     []PushNodeState `wire:"2"`
	UserState []byte          `wire:"3"`
}

// UserMsg carries an application payload, either piggybacked as a broadcast
// or sent directly.
//
//crdt:message
type UserMsg struct {
	Payload []byte `wire:"1"`
	// Origin and Seq identify a broadcast: every member that receives it
	// delivers it once and relays it. Seq grows with every broadcast of
	// Origin and starts from its clock, so it keeps growing across restarts.
	// Both are empty in direct messages.
	Origin string `wire:"2"`
	Seq    uint64 `wire:"3"`
}
