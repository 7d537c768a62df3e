package raft

import "io"

// FSM is the replicated state machine. Apply, Snapshot and Restore are called
// from one goroutine, never concurrently with each other.
type FSM interface {
	// Apply applies the command of a committed entry and returns the
	// response handed to the proposer (Result.Response). cmd is the log's
	// copy, which may still be replicated: Apply may keep it but must not
	// modify it.
	Apply(index uint64, cmd []byte) any
	// Snapshot captures the state as of the last applied entry. It should be
	// quick; the returned FSMSnapshot is persisted on another goroutine,
	// concurrently with further Apply calls.
	Snapshot() (FSMSnapshot, error)
	// Restore replaces the state with a snapshot's contents.
	Restore(r io.Reader) error
}

// FSMSnapshot is a point-in-time capture returned by FSM.Snapshot.
type FSMSnapshot interface {
	// Persist writes the snapshot to w.
	Persist(w io.Writer) error
	// Release is called when the snapshot is no longer needed.
	Release()
}
