package replica

import (
	"crypto/sha256"
	"fmt"
)

// State is the replicated CRDT as the engine sees it: encoded deltas and
// encoded states. Implementations must be safe for concurrent use, because
// the application mutates the CRDT while the engine merges into it.
//
// MergeDelta and MergeState must be idempotent, commutative and associative
// (a join), so duplicated, resent or overlapping data is harmless.
type State interface {
	// TakeDelta returns the encoded delta of the local changes made since
	// the previous call, or nil when nothing changed. Merged remote data
	// must not reappear in it.
	TakeDelta() ([]byte, error)
	// MergeDelta joins a peer's encoded delta into the state.
	MergeDelta(delta []byte) error
	// Snapshot encodes the whole state. Equal states must encode to equal
	// bytes (digests compare them).
	Snapshot() ([]byte, error)
	// MergeState joins a peer's encoded full state into the state.
	MergeState(state []byte) error
	// Prune folds the contributions of CRDT replicas that left for good
	// into this replica and removes their metadata, as a local change whose
	// delta TakeDelta returns (runtime/crdt's GarbageCollect with Departed).
	// The engine calls it on one replica only, the lowest replica id among
	// the known ones, as the pruning protocol requires (prune.go); the
	// others receive the pruning through its delta. A replica already
	// pruned (its marker is present) must be left as it is.
	Prune(replicas []string) error
}

// Digester is implemented by states that can compute their digest more
// cheaply than hashing Snapshot. The digest must be equal exactly when the
// snapshots are equal.
type Digester interface {
	Digest() ([32]byte, error)
}

// digestOf returns the digest of s.
func digestOf(s State) ([32]byte, error) {
	if d, ok := s.(Digester); ok {
		return d.Digest()
	}
	b, err := s.Snapshot()
	if err != nil {
		return [32]byte{}, fmt.Errorf("replica: digest: %w", err)
	}
	return sha256.Sum256(b), nil
}
