// Package replicawire declares the wire messages of runtime/crdt/replica, the
// anti-entropy engine that moves CRDT deltas between replicas.
//
// This package is a schema: crdtgen reads it and emits the types with their
// JSON and binary codecs into gen/replicawire. Nothing imports it at run time.
// Field numbers (wire:"N") are part of the wire format: never reuse or
// renumber one; add new fields with new numbers.
//
// Encoded CRDT records travel as opaque bytes (Delta.Data, State.Data), so the
// engine never depends on a concrete record type.
package replicawire

// Envelope is the only message replicas exchange. It names its sender and
// carries any combination of the parts below; a receiver handles them in the
// order Ack, Deltas, State, Digest, Pull.
//
//crdt:message
type Envelope struct {
	// From is the sending node's name (its membership identity).
	From string `wire:"1"`
	// Epoch is the sender's incarnation: it grows every time a node starts,
	// so a restarted node's sequence numbers are not mistaken for its
	// predecessor's.
	Epoch uint64 `wire:"2"`
	// Replica is the CRDT replica id the sender's state writes its dots
	// under; a receiver prunes it once the sender is gone.
	Replica string `wire:"3"`
	// To names the receiver; empty on a broadcast.
	To string `wire:"4"`
	// ToEpoch is the receiver incarnation the sender believes in, 0 when
	// unknown. Acks and pulls meant for an earlier incarnation are ignored.
	ToEpoch uint64  `wire:"5"`
	Deltas  *Deltas `wire:"6"`
	Ack     *Ack    `wire:"7"`
	State   *State  `wire:"8"`
	Digest  *Digest `wire:"9"`
	// Pull asks the receiver to send its full state.
	Pull bool `wire:"10"`
	// Pruned lists CRDT replica ids the sender knows were pruned (their
	// nodes are gone for good): the receiver stops accepting messages of
	// those incarnations, and a receiver that finds its own replica id here
	// is fenced (it must rejoin under a new epoch).
	Pruned []string `wire:"11"`
	// Forget lists pruned replica ids whose pruning every live peer of the
	// pruner has acknowledged: the receiver may drop their pruning markers.
	Forget []string `wire:"12"`
	// Refused lists, on a full state, the departed replica ids whose
	// incarnations the sender no longer accepts messages from: the state
	// holds every update of them the sender will hold, so a pruner that
	// merged it need not wait for equal digests.
	Refused []string `wire:"13"`
}

// Delta is one encoded delta of the sender's own stream.
//
//crdt:message
type Delta struct {
	// Seq numbers the sender's deltas 1, 2, 3, ... within its epoch.
	Seq  uint64 `wire:"1"`
	Data []byte `wire:"2"`
}

// Deltas carries consecutive deltas of the sender's stream, oldest first.
//
//crdt:message
type Deltas struct {
	Items []Delta `wire:"1"`
}

// Ack reports how much of the addressee's delta stream the sender has
// applied.
//
//crdt:message
type Ack struct {
	// Seq is the highest sequence number applied with no gap before it.
	Seq uint64 `wire:"1"`
	// Missing is set when later deltas arrived and wait for the gap after
	// Seq to be filled: the addressee should resend from Seq+1 now.
	Missing bool `wire:"2"`
}

// State is the sender's full encoded state; it covers the sender's deltas up
// to and including Seq.
//
//crdt:message
type State struct {
	Seq  uint64 `wire:"1"`
	Data []byte `wire:"2"`
}

// Progress is how far a replica has applied one origin's delta stream.
//
//crdt:message
type Progress struct {
	Origin string `wire:"1"`
	Epoch  uint64 `wire:"2"`
	Seq    uint64 `wire:"3"`
}

// Digest summarises the sender's state so that identical states are never
// transferred.
//
//crdt:message
type Digest struct {
	// Seq is the sender's own latest delta sequence number.
	Seq uint64 `wire:"1"`
	// Sum is the SHA-256 of the sender's encoded state (encodings are
	// deterministic, so equal states have equal sums).
	Sum []byte `wire:"2"`
	// Progress lists, per origin, how far the sender has applied its stream.
	Progress []Progress `wire:"3"`
	// Offer is set when the sender would otherwise send its full state: the
	// receiver answers with a Pull unless its own sum is equal.
	Offer bool `wire:"4"`
	// Reply is set on the answer to a digest, which is not answered again.
	Reply bool `wire:"5"`
}

// KeyedItem is one record of a keyed state: its key and its encoded delta or
// state.
//
//crdt:message
type KeyedItem struct {
	Key  string `wire:"1"`
	Data []byte `wire:"2"`
}

// KeyedBatch is the encoding of a keyed state (replica.Keyed) or of its
// delta: records sorted by key, so equal states encode to equal bytes.
//
//crdt:message
type KeyedBatch struct {
	Items []KeyedItem `wire:"1"`
}
