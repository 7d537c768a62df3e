// Package crdt provides delta-state conflict-free replicated data types
// (Almeida, Shoker and Baquero 2018) built on dots and causal contexts, the
// way riak_dt's ORSWOT and Akka Distributed Data do it:
//
//   - GCounter, PNCounter: counters, one entry per replica.
//   - LWWRegister[T]: last-writer-wins by hybrid logical clock (Clock).
//   - MVRegister[T]: keeps concurrent writes.
//   - ORSet[T]: add-wins observed-remove set without tombstones.
//   - ORMap[K, V]: observed-remove map of CRDT values (or generated records).
//
// Every mutator applies its change and returns it as a delta (m(X) = X ⊔
// mδ(X)); TakeDelta returns the join of the deltas produced since the last
// call. Deltas are values of the same type: ship them with the codecs
// (AppendTo / DecodeFrom, WriteJSON / ReadJSON) and apply them with
// MergeDelta. None of the deltas here needs causal delivery: counters and
// registers are idempotent joins, and the dot-based types carry exact causal
// contexts, holding out-of-order dots until the gap below them fills.
//
// Removal metadata (out-of-order dots, pruning markers of departed
// replicas) is reported by TombstoneCount and reclaimed by GarbageCollect,
// following the pruning protocol documented on GCOptions; AutoGC runs it
// after merges once a threshold is passed.
//
// A replica applies a local change and ships the delta:
//
//	var tags crdt.ORSet[string]
//	tags.Add("node-1", "hot")
//	wire := tags.TakeDelta().AppendTo(nil, crdt.StringCodec)
//
// and a peer merges it:
//
//	var d crdt.ORSet[string]
//	dec := crdt.NewDecoder(wire, "tags", 0)
//	d.DecodeFrom(dec, crdt.StringCodec)
//	if err := dec.Err(); err != nil { ... }
//	peerTags.MergeDelta(&d)
//
// Values are not safe for concurrent use; guard each with a mutex or own it
// from one goroutine (the replica engine in runtime/crdt/replica does).
package crdt
