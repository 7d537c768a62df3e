// Package replica is the transport-agnostic anti-entropy engine that moves
// the deltas of a delta-state CRDT between replicas.
//
// An Engine replicates one State: anything that can hand out its local
// changes as an encoded delta, merge a peer's delta or full state, and
// encode itself. It never sees a concrete CRDT type (the generated records of
// gen/ are adapted to State by the caller), so it works for any record.
//
// The protocol, per pair of nodes:
//
//   - Every node numbers the deltas it takes from its own State 1, 2, 3, ...
//     within its epoch (its incarnation; a restarted node starts a new one).
//   - Deltas are sent to every peer (broadcast when the transport can and the
//     delta is small), kept in a bounded buffer, and resent (go-back-N) until
//     the peer acknowledges them. A delta is reclaimed from the buffer once
//     every live peer has acknowledged it.
//   - Delivery is causal per origin: a receiver applies delta n of an origin
//     only after delta n-1; later ones wait in a bounded pending buffer and
//     the ack asks for the gap to be resent. No delta is ever applied across
//     a gap.
//   - A peer whose acknowledged position fell out of the buffer (it was down,
//     partitioned or new) gets the full state instead, but first a digest
//     (SHA-256 of the deterministic encoding): identical states are never
//     transferred, the positions are simply fast-forwarded.
//   - Periodic anti-entropy exchanges digests with one peer at a time; when
//     two replicas applied the same deltas yet their digests differ, they
//     exchange full states, which repairs any divergence.
//   - Membership drives the peer set: AddPeer, SuspendPeer (failed, may come
//     back: no longer holds the buffer), RemovePeer (left gracefully) and
//     RemoveDeadPeer (declared dead and given up on). The CRDT replica id of
//     a node gone for good is handed to State.Prune by one designated
//     survivor, only on the majority side of a partition, and only once
//     every known peer is reachable and the survivor holds all of that
//     replica's updates any of them holds. A peer that
//     restarts with a new epoch has its previous replica id pruned the same
//     way. Once every live peer acknowledged a pruning, its markers are
//     forgotten (Forgetter). A node that finds its own replica id pruned
//     (it was declared dead while only cut off) is fenced: see
//     Engine.Fenced. prune.go documents the rules.
//
// Usage:
//
//	eng, err := replica.New(replica.Config{
//		ID:        "node-1",
//		Replica:   "node-1-0x18f3",
//		State:     myState,      // implements replica.State
//		Transport: myTransport,  // implements replica.Transport
//	})
//	// membership events: eng.AddPeer("node-2"), eng.SuspendPeer(...), eng.RemovePeer(...)
//	go eng.Run(ctx)                // ticks and drains Transport.Inbound until ctx ends
//	eng.Notify()                   // after a local update: flush its delta soon
//
// Messages are replicawire.Envelope values (generated from
// schemas/replicawire); a transport encodes them with their generated binary
// codec. The dwnode reference node sends small deltas as SWIM user
// broadcasts, other small messages as SWIM packets, and large ones over the
// TCP anti-entropy stream of package replica/stream.
package replica
